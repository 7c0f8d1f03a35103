import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";

export default defineRequest({
  description: "User-count samples of the last `hours` hours, oldest first",
  input: z.object({ hours: z.number().positive().max(24 * 366).default(24) }),
  output: z.array(z.object({ timestamp: z.number(), chat_users: z.number(), connected_users: z.number() })),
  readOnly: true,
  handle(input, ctx) {
    return ctx.db.query(
      `SELECT timestamp, chat_users, connected_users FROM user_count_history
        WHERE timestamp >= ? ORDER BY timestamp, id`,
      [Math.floor(ctx.receivedAt - input.hours * 3600)],
    );
  },
});
