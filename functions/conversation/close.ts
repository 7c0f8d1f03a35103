import { defineTransition } from "./_transition.ts";

export default defineTransition("Close a conversation for good: no more messages", ["ACTIVE", "ARCHIVED"], "CLOSED");
