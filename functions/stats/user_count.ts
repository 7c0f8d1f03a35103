import { z } from "zod";
import { defineEvent } from "../../shared/function/define.ts";
import { eventTime, insertRows, Timestamp } from "../_event.ts";

const Count = z.number().int().nonnegative();

export default defineEvent({
  description: "A user-count sample: append it to the user-count history",
  input: z.object({ chat_count: Count, connected_count: Count, timestamp: Timestamp }),
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
