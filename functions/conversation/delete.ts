import { defineTransition } from "./_transition.ts";

export default defineTransition(
  "Delete a conversation softly: hidden from get and list, kept for audit and export",
  ["ACTIVE", "ARCHIVED", "CLOSED"],
  "DELETED",
);
