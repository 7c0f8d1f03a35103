import { z } from "zod";
import { text } from "../../../shared/function/text.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { EventId, nowSeconds, ReminderEvent, requireEvent, Snowflake } from "../_model.ts";
import { Emojis, IntervalMinutes } from "./_fields.ts";

export default defineRequest({
  description: "Change an event's title, description, channel, interval or required reactions",
  input: z.object({
    event_id: EventId,
    channel_id: Snowflake.optional(),
    title: text().trim().min(1).max(500).optional(),
    description: text().max(4000).nullable().optional(),
    interval_minutes: IntervalMinutes.optional(),
    required_reactions: Emojis.optional(),
  }),
  output: ReminderEvent,
  handle(input, ctx) {
    return ctx.write(async (tx) => {
      const event = await requireEvent(tx, input.event_id);
      const next = {
        ...event,
        channel_id: input.channel_id ?? event.channel_id,
        title: input.title ?? event.title,
        description: input.description === undefined ? event.description : input.description,
        interval_minutes: input.interval_minutes ?? event.interval_minutes,
        required_reactions: input.required_reactions ?? event.required_reactions,
        updated_at: nowSeconds(),
      };
      await tx.run(
        `UPDATE reminder_events SET channel_id = ?, title = ?, description = ?, interval_minutes = ?, required_reactions = ?, updated_at = ?
          WHERE id = ?`,
        [
          next.channel_id,
          next.title,
          next.description,
          next.interval_minutes,
          JSON.stringify(next.required_reactions),
          next.updated_at,
          event.id,
        ],
      );
      return next;
    });
  },
});
