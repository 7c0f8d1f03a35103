import { z } from "zod";
import { ServiceError } from "../../../shared/function/errors.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { Guild, Snowflake } from "../_model.ts";

export default defineRequest({
  description: "One guild (404 when unknown)",
  input: z.object({ guild_id: Snowflake }),
  readOnly: true,
  output: Guild,
  async handle(input, ctx) {
    const [row] = await ctx.db.query<Record<string, unknown>>(
      "SELECT guild_id, name, settings, created_at, updated_at FROM reminder_guilds WHERE guild_id = ?",
      [input.guild_id],
    );
    if (!row) throw new ServiceError(404, `Unknown guild: "${input.guild_id}"`);
    return { ...(row as z.infer<typeof Guild>), settings: JSON.parse(row.settings as string) };
  },
});
