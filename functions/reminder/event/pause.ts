import { definePause } from "./_pause.ts";

export default definePause("Stop reminding for an event until it is resumed", true);
