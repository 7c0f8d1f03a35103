import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { ChatText } from "../../_event.ts";
import { requireDeliverable } from "../../../shared/function/fit_items.ts";

export default defineRequest({
  description: "Queue a message for the bot to send; replies with its id",
  input: z.object({ message: ChatText }),
  output: z.object({ id: z.number() }),
  async handle(input, ctx) {
    // Stored, it is returned whole by messages.outbound.get: one that never fits is refused now.
    const due = { id: Number.MAX_SAFE_INTEGER, timestamp: ctx.receivedAt, message: input.message, retry_count: 0 };
    requireDeliverable({ ...due, last_error: null }, ctx.replyBytes, "Message");
    const { lastInsertRowid } = await ctx.write((tx) =>
      tx.run("INSERT INTO outbound_messages (timestamp, message, sent, retry_count) VALUES (?, ?, 0, 0)", [
        ctx.receivedAt,
        input.message,
      ])
    );
    return { id: lastInsertRowid! };
  },
});
