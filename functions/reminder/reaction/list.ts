import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { EventId, requireEvent } from "../_model.ts";

export default defineRequest({
  description: "An event's reactions, oldest first",
  input: z.object({ event_id: EventId }),
  readOnly: true,
  output: z.array(z.object({ user_id: z.string(), emoji: z.string(), reacted_at: z.number() })),
  async handle(input, ctx) {
    await requireEvent(ctx.db, input.event_id);
    return ctx.db.query("SELECT user_id, emoji, reacted_at FROM reminder_reactions WHERE event_id = ? ORDER BY id", [
      input.event_id,
    ]);
  },
});
