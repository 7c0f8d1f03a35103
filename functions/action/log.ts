import { z } from "zod";
import { name, text } from "../../shared/function/text.ts";
import { defineEvent } from "../../shared/function/define.ts";
import { eventTime, Timestamp, Username } from "../_event.ts";

export default defineEvent({
  description: "A user action (kick, ban, mode change, …) to keep in the audit log",
  input: z.object({
    username: Username,
    action_type: name().trim().min(1, "must not be empty"),
    details: z.union([text(), z.number(), z.boolean()]).transform(String).nullable().optional(),
    timestamp: Timestamp,
  }),
  async handle(input, ctx) {
    await ctx.db.run("INSERT INTO user_actions (timestamp, username, action_type, details) VALUES (?, ?, ?, ?)", [
      eventTime(input, ctx),
      input.username,
      input.action_type,
      input.details ?? null,
    ]);
  },
});
