import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { ConversationId, Message, MESSAGE_COLUMNS, messageOf, requireConversation } from "../_model.ts";

export default defineRequest({
  description: "The last n messages in chronological order, ready to be a prompt's context",
  input: z.object({ conversation_id: ConversationId, n: z.number().int().min(1).max(500).default(20) }),
  readOnly: true,
  output: z.array(Message),
  // Cut to the server's max_payload, the newest messages stay: they are the ones a prompt needs most.
  cut: { keep: "last" },
  async handle(input, ctx) {
    await requireConversation(ctx.db, input.conversation_id);
    const rows = await ctx.db.query(
      `SELECT ${MESSAGE_COLUMNS} FROM (
         SELECT ${MESSAGE_COLUMNS}, seq FROM conversation_messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?
       ) ORDER BY seq`,
      [input.conversation_id, input.n],
    );
    return rows.map(messageOf);
  },
});
