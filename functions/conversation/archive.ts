import { defineTransition } from "./_transition.ts";

export default defineTransition("Archive an active conversation", ["ACTIVE"], "ARCHIVED");
