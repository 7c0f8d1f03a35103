import { z } from "zod";
import { defineEvent } from "../../shared/function/define.ts";
import { eventTime, Timestamp, Username } from "../_event.ts";

const UPSERT =
  `INSERT INTO user_stats (username, first_seen, last_seen, total_chat_lines, total_time_connected, current_session_start)
  VALUES (?, ?, ?, 0, 0, ?)
  ON CONFLICT (username) DO UPDATE SET
    last_seen = max(last_seen, excluded.last_seen),
    current_session_start = excluded.current_session_start`;

export default defineEvent({
  description: "A user joined the channel: create the user or update last_seen, and open a session",
  input: z.object({ username: Username, timestamp: Timestamp }),
  async handle(input, ctx) {
    const t = eventTime(input, ctx);
    await ctx.db.run(UPSERT, [input.username, t, t, t]);
  },
  async handleBatch(inputs, ctx) {
    // Per user: the first join creates it, the latest join's time opens the session.
    const users = new Map<string, { first: number; latest: number; last: number }>();
    for (const input of inputs) {
      const t = eventTime(input, ctx);
      const user = users.get(input.username);
      if (!user) users.set(input.username, { first: t, latest: t, last: t });
      else Object.assign(user, { latest: t, last: Math.max(user.last, t) });
    }
    for (const [username, { first, latest, last }] of users) await ctx.db.run(UPSERT, [username, first, last, latest]);
  },
});
