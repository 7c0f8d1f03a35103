import { z } from "zod";
import { defineRequest } from "../../../shared/function.ts";
import { EventId, requireEvent } from "../_model.ts";

export default defineRequest({
  description: "An event's reminder log, newest first",
  input: z.object({ event_id: EventId, limit: z.number().int().min(1).max(1000).default(50) }),
  output: z.array(z.object({
    id: z.number(),
    scheduled_at: z.number(),
    sent_at: z.number().nullable(),
    users_notified: z.number(),
    status: z.string(),
    error_message: z.string().nullable(),
  })),
  async handle(input, ctx) {
    await requireEvent(ctx.db, input.event_id);
    return ctx.db.query(
      "SELECT id, scheduled_at, sent_at, users_notified, status, error_message FROM reminder_logs WHERE event_id = ? ORDER BY id DESC LIMIT ?",
      [input.event_id, input.limit],
    );
  },
});
