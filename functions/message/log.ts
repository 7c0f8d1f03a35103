import { z } from "zod";
import { defineEvent } from "../../shared/function/define.ts";
import { ChatText, eventTime, insertRows, Timestamp, Username } from "../_event.ts";

const COUNT_LINES = `INSERT INTO user_stats (username, first_seen, last_seen, total_chat_lines, total_time_connected)
  VALUES (?, ?, ?, ?, 0)
  ON CONFLICT (username) DO UPDATE SET
    total_chat_lines = total_chat_lines + excluded.total_chat_lines,
    last_seen = max(last_seen, excluded.last_seen)`;

/** The channel's own announcements are counted but never kept as chat. */
function isServer(username: string) {
  return username.toLowerCase() === "server";
}

export default defineEvent({
  description: "A chat message: count the user's line, keep the message in recent chat (unless from the server)",
  input: z.object({ username: Username, message: ChatText, timestamp: Timestamp }),
  async handle(input, ctx) {
    const t = eventTime(input, ctx);
    await ctx.db.run(COUNT_LINES, [input.username, t, t, 1]);
    if (!isServer(input.username)) {
      await ctx.db.run("INSERT INTO recent_chat (timestamp, username, message) VALUES (?, ?, ?)", [
        t,
        input.username,
        input.message,
      ]);
    }
  },
  async handleBatch(inputs, ctx) {
    const users = new Map<string, { first: number; last: number; lines: number }>();
    const chat: [number, string, string][] = [];
    for (const input of inputs) {
      const t = eventTime(input, ctx);
      const user = users.get(input.username);
      if (!user) users.set(input.username, { first: t, last: t, lines: 1 });
      else Object.assign(user, { last: Math.max(user.last, t), lines: user.lines + 1 });
      if (!isServer(input.username)) chat.push([t, input.username, input.message]);
    }
    for (const [username, { first, last, lines }] of users) {
      await ctx.db.run(COUNT_LINES, [username, first, last, lines]);
    }
    await insertRows(ctx.db, "recent_chat", ["timestamp", "username", "message"], chat);
  },
});
