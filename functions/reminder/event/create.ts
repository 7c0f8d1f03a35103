import { z } from "zod";
import { text } from "../../../shared/function/text.ts";
import { ServiceError } from "../../../shared/function/errors.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { EVENT_COLUMNS, eventOf, nowSeconds, ReminderEvent, requireGuild, Snowflake } from "../_model.ts";
import { Emojis, IntervalMinutes } from "./_fields.ts";

export default defineRequest({
  description: "Watch an announcement message: remind members every interval until they react",
  input: z.object({
    message_id: Snowflake,
    channel_id: Snowflake,
    guild_id: Snowflake,
    title: text().trim().min(1, "must not be empty").max(500),
    description: text().max(4000).optional(),
    interval_minutes: IntervalMinutes,
    required_reactions: Emojis.default([]),
  }),
  output: ReminderEvent,
  handle(input, ctx) {
    return ctx.write(async (tx) => {
      await requireGuild(tx, input.guild_id);
      const taken = await tx.query("SELECT id FROM reminder_events WHERE message_id = ?", [input.message_id]);
      if (taken.length > 0) throw new ServiceError(409, `An event already watches message "${input.message_id}"`);
      const now = nowSeconds();
      const [row] = await tx.query(
        `INSERT INTO reminder_events (message_id, channel_id, guild_id, title, description, interval_minutes, required_reactions, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${EVENT_COLUMNS}`,
        [
          input.message_id,
          input.channel_id,
          input.guild_id,
          input.title,
          input.description ?? null,
          input.interval_minutes,
          JSON.stringify(input.required_reactions),
          now,
          now,
        ],
      );
      return eventOf(row);
    });
  },
});
