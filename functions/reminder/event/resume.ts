import { definePause } from "./_pause.ts";

export default definePause("Remind for a paused event again", false);
