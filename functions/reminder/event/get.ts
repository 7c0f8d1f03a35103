import { z } from "zod";
import { ServiceError } from "../../../shared/function/errors.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { EVENT_COLUMNS, EventId, eventOf, ReminderEvent, Snowflake } from "../_model.ts";

export default defineRequest({
  description: "One event, by id or by the message it watches",
  input: z.union([z.object({ event_id: EventId }), z.object({ message_id: Snowflake })]),
  readOnly: true,
  output: ReminderEvent,
  async handle(input, ctx) {
    const [column, value] = "event_id" in input ? ["id", input.event_id] : ["message_id", input.message_id];
    const [row] = await ctx.db.query(`SELECT ${EVENT_COLUMNS} FROM reminder_events WHERE ${column} = ?`, [value]);
    if (!row) throw new ServiceError(404, `Unknown event: ${JSON.stringify(value)}`);
    return eventOf(row);
  },
});
