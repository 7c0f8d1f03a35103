import { z } from "zod";
import { id } from "../../../shared/function/text.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { ConversationId, Message, MESSAGE_COLUMNS, messageOf, requireConversation } from "../_model.ts";

export default defineRequest({
  description: "A conversation's messages whose metadata.source is the given one, in order",
  input: z.object({
    conversation_id: ConversationId,
    source: id().min(1),
    limit: z.number().int().min(1).max(1000).default(100),
  }),
  readOnly: true,
  output: z.array(Message),
  async handle(input, ctx) {
    await requireConversation(ctx.db, input.conversation_id);
    const rows = await ctx.db.query(
      `SELECT ${MESSAGE_COLUMNS} FROM conversation_messages WHERE conversation_id = ? AND source = ? ORDER BY seq LIMIT ?`,
      [input.conversation_id, input.source, input.limit],
    );
    return rows.map(messageOf);
  },
});
