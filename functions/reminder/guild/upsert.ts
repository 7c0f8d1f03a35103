import { z } from "zod";
import { name } from "../../../shared/function/text.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { requireDeliverable } from "../../../shared/function/fit_items.ts";
import { Guild, nowSeconds, Snowflake } from "../_model.ts";

export default defineRequest({
  description: "Create a guild or update its name and settings",
  input: z.object({
    guild_id: Snowflake,
    name: name().max(200).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
  }),
  output: Guild,
  async handle(input, ctx) {
    const now = nowSeconds();
    return await ctx.write(async (tx) => {
      const [row] = await tx.query<Record<string, unknown>>(
        `INSERT INTO reminder_guilds (guild_id, name, settings, created_at, updated_at) VALUES (?1, ?2, coalesce(?3, '{}'), ?4, ?4)
         ON CONFLICT (guild_id) DO UPDATE SET name = coalesce(?2, name), settings = coalesce(?3, settings), updated_at = ?4
         RETURNING guild_id, name, settings, created_at, updated_at`,
        [input.guild_id, input.name ?? null, input.settings ? JSON.stringify(input.settings) : null, now],
      );
      const guild = { ...(row as z.infer<typeof Guild>), settings: JSON.parse(row.settings as string) };
      // Returned whole by reminder.guild.get: a guild that never fits is refused, and the write rolled back.
      requireDeliverable(guild, ctx.replyBytes, "Guild");
      return guild;
    });
  },
});
