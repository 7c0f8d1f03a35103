import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { EventId, LOG_COLUMNS, LogEntry, requireEvent } from "../_model.ts";

export default defineRequest({
  description: "An event's reminder log, newest first",
  input: z.object({ event_id: EventId, limit: z.number().int().min(1).max(1000).default(50) }),
  readOnly: true,
  output: z.array(LogEntry),
  async handle(input, ctx) {
    await requireEvent(ctx.db, input.event_id);
    return ctx.db.query(
      `SELECT ${LOG_COLUMNS} FROM reminder_logs WHERE event_id = ? ORDER BY id DESC LIMIT ?`,
      [input.event_id, input.limit],
    );
  },
});
