import { defineTransition } from "./_transition.ts";

export default defineTransition("Make an archived conversation active again", ["ARCHIVED"], "ACTIVE");
