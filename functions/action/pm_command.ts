import { z } from "zod";
import { name, text } from "../../shared/function/text.ts";
import { defineEvent } from "../../shared/function/define.ts";
import { eventTime, Timestamp, Username } from "../_event.ts";

const Text = z.union([text(), z.number(), z.boolean()]).transform(String);

export default defineEvent({
  description: "A private-message command a user ran: logged as a pm_command user action",
  input: z.object({
    username: Username,
    command: name().trim().min(1, "must not be empty"),
    args: z.union([Text, z.array(Text).transform((a) => a.join(" "))]).optional(),
    result: Text.optional(),
    error: Text.optional(),
    timestamp: Timestamp,
  }),
  async handle(input, ctx) {
    const parts = [`cmd=${input.command}`];
    if (input.args) parts.push(`args=${input.args}`);
    if (input.result) parts.push(`result=${input.result}`);
    if (input.error) parts.push(`error=${input.error}`);
    await ctx.db.run(
      "INSERT INTO user_actions (timestamp, username, action_type, details) VALUES (?, ?, 'pm_command', ?)",
      [
        eventTime(input, ctx),
        input.username,
        parts.join(" "),
      ],
    );
  },
});
