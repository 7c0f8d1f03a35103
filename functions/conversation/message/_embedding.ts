/** A message's embedding: its model's name and how it is stored beside the message (message_embeddings). */
import { name } from "../../../shared/function/text.ts";
import type { Sql } from "../../../shared/function/sql.ts";

/** The name of the model an embedding came from, kept with it. */
export const EmbeddingModel = name().min(1).max(200);

/** Adds or replaces the embedding of the message at `seq`; whether it replaced one. */
export async function storeEmbedding(
  tx: Sql,
  embedding: { seq: number; conversation: { id: string; user_id: string }; vector: Uint8Array; model?: string },
): Promise<boolean> {
  const { seq, conversation, vector, model } = embedding;
  const existed = await tx.first("SELECT 1 FROM message_embeddings WHERE seq = ?", [seq]);
  await tx.run(
    `INSERT INTO message_embeddings (seq, user_id, conversation_id, model, embedding) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (seq) DO UPDATE SET model = excluded.model, embedding = excluded.embedding`,
    [seq, conversation.user_id, conversation.id, model ?? null, vector],
  );
  return existed !== undefined;
}
