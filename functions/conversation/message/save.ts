import { z } from "zod";
import { id, text } from "../../../shared/function/text.ts";
import { ServiceError } from "../../../shared/function/errors.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { count } from "../../../shared/function/numbers.ts";
import { requireDeliverable } from "../../../shared/function/fit_items.ts";
import { Embedding, vectorOf } from "../../../shared/function/vectors.ts";
import { EmbeddingModel, storeEmbedding } from "./_embedding.ts";
import {
  ConversationId,
  Message,
  nextActivity,
  nowSeconds,
  requireConversation,
  Role,
  writeConversation,
} from "../_model.ts";

export default defineRequest({
  description:
    "Append a message to an active conversation (insert, message_count+1 and last_message_at in one transaction)",
  input: z.object({
    conversation_id: ConversationId,
    role: Role,
    content: text().min(1, "must not be empty").refine((s) => s.trim() !== "", "must not be blank"),
    metadata: z.looseObject({
      request_id: id().optional(),
      source: id().optional(),
      tokens: count().optional(),
      model_name: z.string().optional(),
      latency_ms: z.number().nonnegative().optional(),
    }).default({}),
    embedding: Embedding.optional().describe("The content's embedding, EMBEDDING_DIMENSIONS numbers"),
    embedding_model: EmbeddingModel.optional(),
  }).refine((input) => input.embedding || !input.embedding_model, {
    path: ["embedding_model"],
    message: "comes with an embedding",
  }),
  output: Message,
  handle(input, ctx) {
    const vector = input.embedding && vectorOf(ctx.config, input.embedding);
    return writeConversation(ctx, async (tx) => {
      const conversation = await requireConversation(tx, input.conversation_id);
      if (conversation.status !== "ACTIVE") {
        throw new ServiceError(
          409,
          `Conversation "${input.conversation_id}" is ${conversation.status}: only ACTIVE ones take messages`,
        );
      }
      const message = {
        id: crypto.randomUUID(),
        conversation_id: input.conversation_id,
        role: input.role,
        content: input.content,
        metadata: input.metadata,
        created_at: nowSeconds(),
      };
      // Stored, it is returned whole by message.list, last and export: one that never fits is refused now.
      requireDeliverable(message, ctx.replyBytes, "Message");
      const { lastInsertRowid: seq } = await tx.run(
        "INSERT INTO conversation_messages (id, conversation_id, role, content, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
          message.id,
          message.conversation_id,
          message.role,
          message.content,
          JSON.stringify(message.metadata),
          message.created_at,
        ],
      );
      if (vector) await storeEmbedding(tx, { seq: seq!, conversation, vector, model: input.embedding_model });
      await tx.run(
        `UPDATE conversations SET message_count = message_count + 1, last_message_at = ?1, updated_at = ?1, activity = ?2
          WHERE id = ?3`,
        [message.created_at, await nextActivity(tx), message.conversation_id],
      );
      return message;
    });
  },
});
