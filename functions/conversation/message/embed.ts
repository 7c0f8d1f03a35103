import { z } from "zod";
import { id } from "../../../shared/function/text.ts";
import { ServiceError } from "../../../shared/function/errors.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { Embedding, vectorOf } from "../../../shared/function/vectors.ts";
import { writeConversation } from "../_model.ts";
import { EmbeddingModel, storeEmbedding } from "./_embedding.ts";

export default defineRequest({
  description:
    "Add or replace the embedding of a message saved earlier (one saved without, or before embeddings were on)",
  input: z.object({
    message_id: id().min(1),
    embedding: Embedding.describe("The content's embedding, EMBEDDING_DIMENSIONS numbers"),
    embedding_model: EmbeddingModel.optional(),
  }),
  output: z.object({ message_id: z.string(), replaced: z.boolean() }),
  handle(input, ctx) {
    const vector = vectorOf(ctx.config, input.embedding);
    return writeConversation(ctx, async (tx) => {
      const message = await tx.first<{ seq: number; conversation_id: string; user_id: string }>(
        `SELECT m.seq, m.conversation_id, c.user_id FROM conversation_messages m
           JOIN conversations c ON c.id = m.conversation_id
          WHERE m.id = ? AND c.status != 'DELETED'`,
        [input.message_id],
      );
      if (!message) throw new ServiceError(404, `Unknown message: "${input.message_id}"`);
      const replaced = await storeEmbedding(tx, {
        seq: message.seq,
        conversation: { id: message.conversation_id, user_id: message.user_id },
        vector,
        model: input.embedding_model,
      });
      return { message_id: input.message_id, replaced };
    });
  },
});
