import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";

const Mark = z.object({ users: z.number(), timestamp: z.number().nullable() });

export default defineRequest({
  description: "High-water marks, the top 10 chatters and how many users were ever seen",
  input: z.object({}),
  readOnly: true,
  output: z.object({
    high_water_mark: Mark,
    high_water_connected: Mark,
    top_chatters: z.array(z.object({ username: z.string(), chat_lines: z.number() })),
    total_users_seen: z.number(),
  }),
  async handle(_input, ctx) {
    const [marks] = await ctx.db.query<Record<string, number | null>>(
      "SELECT max_users, max_users_timestamp, max_connected, max_connected_timestamp FROM channel_stats WHERE id = 1",
    );
    const top = await ctx.db.query<{ username: string; chat_lines: number }>(
      `SELECT username, total_chat_lines AS chat_lines FROM user_stats
        WHERE total_chat_lines > 0 ORDER BY total_chat_lines DESC, username LIMIT 10`,
    );
    const [{ total }] = await ctx.db.query<{ total: number }>("SELECT count(*) AS total FROM user_stats");
    return {
      high_water_mark: { users: marks?.max_users ?? 0, timestamp: marks?.max_users_timestamp ?? null },
      high_water_connected: { users: marks?.max_connected ?? 0, timestamp: marks?.max_connected_timestamp ?? null },
      top_chatters: top.map(({ username, chat_lines }) => ({ username, chat_lines })),
      total_users_seen: total,
    };
  },
});
