import { defineEvent } from "../../../shared/function/define.ts";
import { eventIdOf, ReactionInput } from "./_target.ts";

export default defineEvent({
  description: "A member took a reaction back",
  input: ReactionInput,
  async handle(input, ctx) {
    const eventId = await eventIdOf(ctx.db, input);
    await ctx.db.run("DELETE FROM reminder_reactions WHERE event_id = ? AND user_id = ? AND emoji = ?", [
      eventId,
      input.user_id,
      input.emoji,
    ]);
  },
});
