import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { EventId, Member, requireEvent } from "../_model.ts";

export default defineRequest({
  description: "Members of the event's guild, bots excepted, who have not reacted with every required emoji " +
    "(with no required emoji: who have not reacted at all)",
  input: z.object({ event_id: EventId }),
  readOnly: true,
  output: z.array(Member),
  async handle(input, ctx) {
    const event = await requireEvent(ctx.db, input.event_id);
    const required = event.required_reactions;
    // json_each turns the required list into rows; a member is missing when one of them has no reaction of theirs.
    const rows = await ctx.db.query<Record<string, unknown>>(
      `SELECT m.id, m.user_id, m.guild_id, m.username, m.is_bot, m.last_seen FROM reminder_members m
        WHERE m.guild_id = ?1 AND m.is_bot = 0 AND (
          CASE WHEN json_array_length(?3) = 0
            THEN NOT EXISTS (SELECT 1 FROM reminder_reactions r WHERE r.event_id = ?2 AND r.user_id = m.user_id)
            ELSE EXISTS (
              SELECT 1 FROM json_each(?3) need WHERE NOT EXISTS (
                SELECT 1 FROM reminder_reactions r WHERE r.event_id = ?2 AND r.user_id = m.user_id AND r.emoji = need.value))
          END)
        ORDER BY m.user_id`,
      [event.guild_id, event.id, JSON.stringify(required)],
    );
    return rows.map((row) => ({ ...(row as z.infer<typeof Member>), is_bot: false }));
  },
});
