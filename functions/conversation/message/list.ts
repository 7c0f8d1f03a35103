import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { ConversationId, Cursor, Message, MESSAGE_COLUMNS, messageOf, requireConversation } from "../_model.ts";

export default defineRequest({
  description: "A conversation's messages in order, a page at a time",
  input: z.object({
    conversation_id: ConversationId,
    limit: z.number().int().min(1).max(500).default(50),
    /** The `next_after` of the previous page. */
    after: Cursor.optional(),
  }),
  readOnly: true,
  output: z.object({ messages: z.array(Message), next_after: z.string().nullable() }),
  async handle(input, ctx) {
    await requireConversation(ctx.db, input.conversation_id);
    const rows = await ctx.db.query<Record<string, unknown> & { seq: number }>(
      `SELECT ${MESSAGE_COLUMNS}, seq FROM conversation_messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
      [input.conversation_id, input.after ? Number(input.after) : 0, input.limit + 1],
    );
    const page = rows.slice(0, input.limit);
    return {
      messages: page.map(({ seq: _, ...row }) => messageOf(row)),
      next_after: rows.length > input.limit ? String(page.at(-1)!.seq) : null,
    };
  },
});
