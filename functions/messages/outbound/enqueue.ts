import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { ChatText } from "../../_event.ts";

export default defineRequest({
  description: "Queue a message for the bot to send; replies with its id",
  input: z.object({ message: ChatText }),
  output: z.object({ id: z.number() }),
  async handle(input, ctx) {
    const { lastInsertRowid } = await ctx.write((tx) =>
      tx.run("INSERT INTO outbound_messages (timestamp, message, sent, retry_count) VALUES (?, ?, 0, 0)", [
        ctx.receivedAt,
        input.message,
      ])
    );
    return { id: lastInsertRowid! };
  },
});
