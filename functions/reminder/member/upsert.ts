import { z } from "zod";
import { name } from "../../../shared/function/text.ts";
import { unixSeconds } from "../../../shared/function/numbers.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { Member, nowSeconds, requireGuild, Snowflake } from "../_model.ts";

export default defineRequest({
  description: "Create or update a member of a guild (one per guild and user)",
  input: z.object({
    guild_id: Snowflake,
    user_id: Snowflake,
    username: name().max(200).optional(),
    is_bot: z.boolean().optional(),
    last_seen: unixSeconds().optional(),
  }),
  output: Member,
  async handle(input, ctx) {
    const [row] = await ctx.write(async (tx) => {
      await requireGuild(tx, input.guild_id);
      return tx.query<Record<string, unknown>>(
        `INSERT INTO reminder_members (user_id, guild_id, username, is_bot, last_seen) VALUES (?1, ?2, ?3, coalesce(?4, 0), ?5)
         ON CONFLICT (guild_id, user_id) DO UPDATE SET
           username = coalesce(?3, username), is_bot = coalesce(?4, is_bot), last_seen = coalesce(?5, last_seen)
         RETURNING id, user_id, guild_id, username, is_bot, last_seen`,
        [
          input.user_id,
          input.guild_id,
          input.username ?? null,
          input.is_bot === undefined ? null : Number(input.is_bot),
          input.last_seen ?? nowSeconds(),
        ],
      );
    });
    return { ...(row as z.infer<typeof Member>), is_bot: row.is_bot === 1 };
  },
});
