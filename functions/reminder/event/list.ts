import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { EVENT_COLUMNS, eventOf, ReminderEvent, Snowflake } from "../_model.ts";

export default defineRequest({
  description: "A guild's events, oldest first",
  input: z.object({ guild_id: Snowflake }),
  readOnly: true,
  output: z.array(ReminderEvent),
  async handle(input, ctx) {
    const rows = await ctx.db.query(`SELECT ${EVENT_COLUMNS} FROM reminder_events WHERE guild_id = ? ORDER BY id`, [
      input.guild_id,
    ]);
    return rows.map(eventOf);
  },
});
