import { z } from "zod";
import { id } from "../../../shared/function/text.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { nowSeconds, writeConversation } from "../_model.ts";
import type { Sql } from "../../../shared/function/sql.ts";
import { removeIfUnnamed } from "../_cold_storage.ts";

const Counts = z.object({
  conversations: z.number(),
  messages: z.number(),
  summaries: z.number(),
  /** Memories under namespaces starting with the user id (the memory store's). */
  memories: z.number(),
  /** Dead letters whose payload named the user or one of the conversations. */
  dead_letters: z.number(),
  /** Conversations in cold storage that can no longer be restored (README: what the files keep). */
  cold_storage: z.number(),
});

export default defineRequest({
  description:
    "Erase a user's conversations, messages, summaries and message embeddings (deleted ones too) and memories under namespaces starting with the user id, from the live tables, their full-text and vector indexes and dead letters, with secure_delete; an audit record keeps ids and counts",
  input: z.object({
    user_id: id().min(1).max(200),
    /**
     * Also VACUUM: rewrites the whole file, so no earlier version of a row (a title or counter changed
     * before the erasure) survives in the unused space of a page. The writer waits meanwhile.
     */
    vacuum: z.boolean().default(false),
  }),
  output: Counts,
  async handle(input, ctx) {
    const { counts, files } = await writeConversation(ctx, async (tx) => {
      // Freed pages and cells are zeroed while it is on; the connection's own setting comes back after.
      const [{ secure_delete: secureDelete }] = await tx.query<{ secure_delete: number }>("PRAGMA secure_delete");
      await tx.run("PRAGMA secure_delete = ON");
      // Live and cold ones: dead letters may name either, and the audit record lists both.
      const ids = JSON.stringify(
        (await tx.query<{ id: string }>(
          "SELECT id FROM conversations WHERE user_id = ?1 UNION SELECT conversation_id FROM conversation_cold WHERE user_id = ?1",
          [input.user_id],
        )).map((row) => row.id),
      );
      const ofUser = "conversation_id IN (SELECT value FROM json_each(?))";
      const deleted = async (sql: string, args: (string | number)[]) => (await tx.run(sql, args)).changes;
      const summaries = await deleted(`DELETE FROM conversation_summaries WHERE ${ofUser}`, [ids]);
      // The full-text index's delete trigger removes each message's terms.
      const messages = await deleted(`DELETE FROM conversation_messages WHERE ${ofUser}`, [ids]);
      const conversations = await deleted("DELETE FROM conversations WHERE id IN (SELECT value FROM json_each(?))", [
        ids,
      ]);
      const files = (await tx.query<{ file: string }>(
        "SELECT DISTINCT file FROM conversation_cold WHERE user_id = ?",
        [input.user_id],
      )).map((row) => row.file);
      const cold = await deleted("DELETE FROM conversation_cold WHERE user_id = ?", [input.user_id]);
      const deadLetters = await deleted(
        `DELETE FROM dead_letters WHERE json_valid(CAST(payload AS TEXT)) AND (
            json_extract(CAST(payload AS TEXT), '$.user_id') = ?1
            OR json_extract(CAST(payload AS TEXT), '$.namespace[0]') = ?1
            OR json_extract(CAST(payload AS TEXT), '$.conversation_id') IN (SELECT value FROM json_each(?2))
            OR json_extract(CAST(payload AS TEXT), '$.id') IN (SELECT value FROM json_each(?2)))`,
        [input.user_id, ids],
      );
      const memories = await eraseMemories(tx, input.user_id);
      // A delete only marks terms deleted in later index segments; merging them all drops the old ones.
      if (messages > 0) {
        await tx.run("INSERT INTO conversation_messages_fts (conversation_messages_fts) VALUES ('optimize')");
      }
      await tx.run(`PRAGMA secure_delete = ${secureDelete === 2 ? "FAST" : secureDelete ? "ON" : "OFF"}`);
      const counts = {
        conversations,
        messages,
        summaries,
        memories,
        dead_letters: deadLetters,
        cold_storage: cold,
      };
      await tx.run(
        "INSERT INTO conversation_erasures (user_id, erased_at, conversation_ids, counts) VALUES (?, ?, ?, ?)",
        [input.user_id, nowSeconds(), ids, JSON.stringify(counts)],
      );
      return { counts, files };
    });
    for (const file of files) await removeIfUnnamed(ctx, file);
    if (input.vacuum) await ctx.write((tx) => tx.run("VACUUM"), { transaction: false });
    // The write-ahead log still holds the pages as they were before: copy them back and empty it.
    await ctx.write((tx) => tx.run("PRAGMA wal_checkpoint(TRUNCATE)"), { transaction: false }).catch((error) => {
      ctx.log.warn("Checkpoint after an erasure failed; the write-ahead log empties at the next one", {
        error: String(error),
      });
    });
    return counts;
  },
});

/**
 * The user's memories: items whose namespace path starts with the user id, by the memory store's
 * convention (their embeddings go with them by cascade). None where the database has no memory store.
 */
async function eraseMemories(tx: Sql, userId: string): Promise<number> {
  const store = await tx.first("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memory_items'");
  if (!store) return 0;
  const { changes } = await tx.run(
    "DELETE FROM memory_items WHERE json_valid(namespace) AND json_extract(namespace, '$[0]') = ?",
    [userId],
  );
  if (changes > 0) await tx.run("INSERT INTO memory_items_fts (memory_items_fts) VALUES ('optimize')");
  return changes;
}
