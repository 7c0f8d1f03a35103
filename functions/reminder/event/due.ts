import { z } from "zod";
import { id } from "../../../shared/function/text.ts";
import { unixSeconds } from "../../../shared/function/numbers.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { EVENT_COLUMNS, eventOf, ReminderEvent } from "../_model.ts";

export default defineRequest({
  description: "Events not paused whose interval has elapsed since their last reminder (or since creation)",
  input: z.object({ now: unixSeconds().optional(), guild_id: id().min(1).optional() }),
  output: z.array(ReminderEvent),
  readOnly: true,
  async handle(input, ctx) {
    const rows = await ctx.db.query(
      `SELECT ${EVENT_COLUMNS} FROM reminder_events
        WHERE is_paused = 0 AND coalesce(last_reminder, created_at) + interval_minutes * 60 <= ?1
          AND (?2 IS NULL OR guild_id = ?2)
        ORDER BY coalesce(last_reminder, created_at) + interval_minutes * 60, id`,
      [Math.floor(input.now ?? ctx.receivedAt), input.guild_id ?? null],
    );
    return rows.map(eventOf);
  },
});
