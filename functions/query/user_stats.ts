import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";
import { Username } from "../_event.ts";

const Found = z.object({
  found: z.literal(true),
  username: z.string(),
  first_seen: z.number(),
  last_seen: z.number(),
  total_chat_lines: z.number(),
  total_time_connected: z.number(),
  current_session_start: z.number().nullable(),
});

export default defineRequest({
  description: "One user's statistics, or {found:false}",
  input: z.object({ username: Username }),
  readOnly: true,
  output: z.union([z.object({ found: z.literal(false) }), Found]),
  async handle(input, ctx) {
    const [user] = await ctx.db.query<Omit<z.infer<typeof Found>, "found">>(
      `SELECT username, first_seen, last_seen, total_chat_lines, total_time_connected, current_session_start
         FROM user_stats WHERE username = ?`,
      [input.username],
    );
    if (!user) return { found: false as const };
    return { found: true as const, ...user };
  },
});
