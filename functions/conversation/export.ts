import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";
import { Conversation, ConversationId, Message, MESSAGE_COLUMNS, messageOf, requireConversation } from "./_model.ts";

export default defineRequest({
  description: "A conversation with all its messages as one JSON document (deleted ones too, for audit)",
  input: z.object({ id: ConversationId }),
  readOnly: true,
  output: z.object({ conversation: Conversation, messages: z.array(Message) }),
  async handle(input, ctx) {
    const conversation = await requireConversation(ctx.db, input.id, true);
    const rows = await ctx.db.query(
      `SELECT ${MESSAGE_COLUMNS} FROM conversation_messages WHERE conversation_id = ? ORDER BY seq`,
      [input.id],
    );
    return { conversation, messages: rows.map(messageOf) };
  },
});
