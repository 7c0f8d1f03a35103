import { z } from "zod";
import { text } from "../../../shared/function/text.ts";
import { count, unixSeconds } from "../../../shared/function/numbers.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { EventId, LOG_COLUMNS, LogEntry, requireEvent } from "../_model.ts";

export default defineRequest({
  description: "Record a reminder run; a sent one also becomes the event's last reminder",
  input: z.object({
    event_id: EventId,
    status: z.enum(["pending", "sent", "failed"]),
    scheduled_at: unixSeconds().optional(),
    sent_at: unixSeconds().optional(),
    users_notified: count().default(0),
    error_message: text().max(4000).optional(),
  }),
  output: LogEntry,
  handle(input, ctx) {
    return ctx.write(async (tx) => {
      await requireEvent(tx, input.event_id);
      const scheduledAt = Math.floor(input.scheduled_at ?? ctx.receivedAt);
      const sentAt = input.status === "sent" ? Math.floor(input.sent_at ?? ctx.receivedAt) : input.sent_at ?? null;
      const [row] = await tx.query<z.infer<typeof LogEntry>>(
        `INSERT INTO reminder_logs (event_id, scheduled_at, sent_at, users_notified, status, error_message)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING ${LOG_COLUMNS}`,
        [input.event_id, scheduledAt, sentAt, input.users_notified, input.status, input.error_message ?? null],
      );
      if (input.status === "sent") {
        await tx.run("UPDATE reminder_events SET last_reminder = max(coalesce(last_reminder, 0), ?) WHERE id = ?", [
          sentAt,
          input.event_id,
        ]);
      }
      return { ...row };
    });
  },
});
