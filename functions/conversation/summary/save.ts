import { z } from "zod";
import { text } from "../../../shared/function/text.ts";
import { count } from "../../../shared/function/numbers.ts";
import { ServiceError } from "../../../shared/function/errors.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { requireDeliverable } from "../../../shared/function/fit_items.ts";
import { ConversationId, nowSeconds, requireConversation, writeConversation } from "../_model.ts";
import { Summary } from "./_summary.ts";

export default defineRequest({
  description:
    "Keep a summary of a conversation's messages up to through_message_id; the newest is the one used, older ones stay for audit",
  input: z.object({
    conversation_id: ConversationId,
    summary: text().min(1, "must not be empty").max(100_000),
    through_message_id: z.string().min(1).max(200),
    token_count: count().optional(),
  }),
  output: Summary,
  handle(input, ctx) {
    return writeConversation(ctx, async (tx) => {
      await requireConversation(tx, input.conversation_id);
      const message = await tx.first<{ seq: number }>(
        "SELECT seq FROM conversation_messages WHERE id = ? AND conversation_id = ?",
        [input.through_message_id, input.conversation_id],
      );
      if (!message) {
        throw new ServiceError(
          404,
          `Unknown message "${input.through_message_id}" in conversation "${input.conversation_id}"`,
        );
      }
      const createdAt = nowSeconds();
      const summary = {
        conversation_id: input.conversation_id,
        summary: input.summary,
        through_message_id: input.through_message_id,
        token_count: input.token_count ?? null,
        created_at: createdAt,
      };
      // Returned whole by summary.get and conversation.context: one that never fits a reply is refused now.
      requireDeliverable(summary, ctx.replyBytes, "Summary");
      const { lastInsertRowid } = await tx.run(
        `INSERT INTO conversation_summaries (conversation_id, summary, through_message_id, through_seq, token_count, created_at)
          VALUES (?, ?, ?, ?, ?, ?)`,
        [
          input.conversation_id,
          input.summary,
          input.through_message_id,
          message.seq,
          input.token_count ?? null,
          createdAt,
        ],
      );
      return { id: lastInsertRowid!, ...summary };
    });
  },
});
