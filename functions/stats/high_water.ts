import { z } from "zod";
import { count } from "../../shared/function/numbers.ts";
import { defineEvent } from "../../shared/function/define.ts";
import { eventTime, Timestamp } from "../_event.ts";

export default defineEvent({
  description: "Raise the channel's high-water marks (users, connected) when strictly exceeded, stamping each",
  input: z.object({ chat_count: count(), connected_count: count().optional(), timestamp: Timestamp }),
  async handle(input, ctx) {
    const t = eventTime(input, ctx);
    await ctx.db.run("INSERT OR IGNORE INTO channel_stats (id, max_users, max_connected) VALUES (1, 0, 0)");
    await ctx.db.run(
      `UPDATE channel_stats SET max_users = ?1, max_users_timestamp = ?2, last_updated = ?2
        WHERE id = 1 AND ?1 > coalesce(max_users, 0)`,
      [input.chat_count, t],
    );
    if (input.connected_count === undefined) return;
    await ctx.db.run(
      `UPDATE channel_stats SET max_connected = ?1, max_connected_timestamp = ?2, last_updated = ?2
        WHERE id = 1 AND ?1 > coalesce(max_connected, 0)`,
      [input.connected_count, t],
    );
  },
});
