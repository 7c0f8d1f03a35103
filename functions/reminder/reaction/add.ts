import { defineEvent } from "../../../shared/function/define.ts";
import { eventIdOf, ReactionInput } from "./_target.ts";

export default defineEvent({
  description: "A member reacted to a watched message (a repeat of the same reaction changes nothing)",
  input: ReactionInput,
  async handle(input, ctx) {
    const eventId = await eventIdOf(ctx.db, input);
    await ctx.db.run(
      "INSERT OR IGNORE INTO reminder_reactions (event_id, user_id, emoji, reacted_at) VALUES (?, ?, ?, ?)",
      [eventId, input.user_id, input.emoji, Math.floor(input.timestamp ?? ctx.receivedAt)],
    );
  },
});
