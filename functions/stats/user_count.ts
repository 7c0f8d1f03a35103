import { z } from "zod";
import { count } from "../../shared/function/numbers.ts";
import { defineEvent } from "../../shared/function/define.ts";
import { eventTime, insertRows, Timestamp } from "../_event.ts";

export default defineEvent({
  description: "A user-count sample: append it to the user-count history",
  input: z.object({ chat_count: count(), connected_count: count(), timestamp: Timestamp }),
  async handle(input, ctx) {
    await ctx.db.run("INSERT INTO user_count_history (timestamp, chat_users, connected_users) VALUES (?, ?, ?)", [
      eventTime(input, ctx),
      input.chat_count,
      input.connected_count,
    ]);
  },
  async handleBatch(inputs, ctx) {
    const rows = inputs.map((input) => [eventTime(input, ctx), input.chat_count, input.connected_count]);
    await insertRows(ctx.db, "user_count_history", ["timestamp", "chat_users", "connected_users"], rows);
  },
});
