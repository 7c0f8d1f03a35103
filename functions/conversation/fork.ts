import { z } from "zod";
import { ServiceError } from "../../shared/function/errors.ts";
import { defineRequest } from "../../shared/function/define.ts";
import type { Sql } from "../../shared/function/sql.ts";
import { storedColumns } from "./_cold_file.ts";
import {
  Conversation,
  ConversationId,
  insertConversation,
  nowSeconds,
  requireConversation,
  writeConversation,
} from "./_model.ts";

export default defineRequest({
  description:
    "A new conversation holding copies of a conversation's messages up to through_message_id, with forked_from naming both (regenerate from here); summaries covering no later message come along",
  input: z.object({ conversation_id: ConversationId, through_message_id: z.string().min(1).max(200) }),
  output: Conversation,
  handle(input, ctx) {
    return writeConversation(ctx, async (tx) => {
      const source = await requireConversation(tx, input.conversation_id);
      const through = await tx.first<{ seq: number }>(
        "SELECT seq FROM conversation_messages WHERE id = ? AND conversation_id = ?",
        [input.through_message_id, input.conversation_id],
      );
      if (!through) {
        throw new ServiceError(
          404,
          `Unknown message "${input.through_message_id}" in conversation "${input.conversation_id}"`,
        );
      }
      const now = nowSeconds();
      const fork: Conversation = {
        ...source,
        id: crypto.randomUUID(),
        status: "ACTIVE",
        message_count: 0,
        created_at: now,
        updated_at: now,
        last_message_at: null,
        archived_at: null,
        forked_from: { conversation_id: source.id, message_id: input.through_message_id },
      };
      await insertConversation(tx, fork);
      // Copies keep role, content, metadata and time; each gets an id of its own.
      const messages = await tx.query<{ seq: number; id: string; created_at: number }>(
        "SELECT seq, id, created_at FROM conversation_messages WHERE conversation_id = ? AND seq <= ? ORDER BY seq",
        [source.id, through.seq],
      );
      const copies = new Map<string, string>();
      const embeddings = await embeddingCopy(tx);
      for (const message of messages) {
        const copy = crypto.randomUUID();
        copies.set(message.id, copy);
        const { lastInsertRowid } = await tx.run(
          `INSERT INTO conversation_messages (id, conversation_id, role, content, metadata, created_at)
            SELECT ?, ?, role, content, metadata, created_at FROM conversation_messages WHERE seq = ?`,
          [copy, fork.id, message.seq],
        );
        if (embeddings) await tx.run(embeddings, [lastInsertRowid!, fork.id, message.seq]);
      }
      const summaries = await tx.query<{ id: number; through_message_id: string }>(
        "SELECT id, through_message_id FROM conversation_summaries WHERE conversation_id = ? AND through_seq <= ? ORDER BY id",
        [source.id, through.seq],
      );
      for (const summary of summaries) {
        const copy = copies.get(summary.through_message_id)!;
        await tx.run(
          `INSERT INTO conversation_summaries (conversation_id, summary, through_message_id, through_seq, token_count, created_at)
            SELECT ?, summary, ?, (SELECT seq FROM conversation_messages WHERE id = ?), token_count, created_at
              FROM conversation_summaries WHERE id = ?`,
          [fork.id, copy, copy, summary.id],
        );
      }
      const last = messages.at(-1)!;
      fork.message_count = messages.length;
      fork.last_message_at = last.created_at;
      await tx.run("UPDATE conversations SET message_count = ?, last_message_at = ? WHERE id = ?", [
        fork.message_count,
        fork.last_message_at,
        fork.id,
      ]);
      return fork;
    });
  },
});

/**
 * The statement copying a message's embedding to its copy (seq, conversation_id, source seq), or
 * undefined where the database keeps none (EMBEDDING_DIMENSIONS unset): the copy is found by meaning too.
 */
async function embeddingCopy(tx: Sql): Promise<string | undefined> {
  const columns = (await storedColumns(tx, "message_embeddings")).filter((c) => c !== "seq" && c !== "conversation_id");
  if (columns.length === 0) return undefined;
  return `INSERT INTO message_embeddings (seq, conversation_id, ${columns.join(", ")})
    SELECT ?, ?, ${columns.join(", ")} FROM message_embeddings WHERE seq = ?`;
}
