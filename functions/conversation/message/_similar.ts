/** The messages nearest an embedding within a user's or a conversation's messages (deleted conversations left out). */
import type { Sql } from "../../../shared/function/sql.ts";
import { nearest, similarityOf } from "../../../shared/function/vectors.ts";

/** Whose messages a similarity search covers. */
export type MessageScope = { user_id: string } | { conversation_id: string };

/** Message seqs nearest `vector` in the scope, best first, with their cosine similarity. */
export async function similarMessages(
  db: Sql,
  scope: MessageScope,
  vector: Uint8Array,
  limit: number,
): Promise<{ seq: number; score: number }[]> {
  const byUser = "user_id" in scope;
  const owner = byUser ? "t.user_id = ?" : "t.conversation_id = ?";
  const args = [byUser ? scope.user_id : scope.conversation_id];
  const found = await nearest(db, {
    table: "message_embeddings",
    join: "JOIN conversations c ON c.id = t.conversation_id",
    where: `${owner} AND c.status != 'DELETED'`,
    args,
    size: { where: owner, args },
    vector,
    limit,
  });
  return found.map(({ id, distance }) => ({ seq: id, score: similarityOf(distance) }));
}
