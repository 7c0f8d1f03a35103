import { z } from "zod";
import { ServiceError } from "../../shared/function/errors.ts";
import { defineRequest } from "../../shared/function/define.ts";
import type { Sql } from "../../shared/function/sql.ts";
import { Conversation, ConversationId, nextActivity, requireConversation, writeConversation } from "./_model.ts";
import { CONVERSATION_TABLES, decodeValue, readColdConversation, storedColumns } from "./_cold_file.ts";
import { coldFolder, removeIfUnnamed } from "./_cold_storage.ts";

export default defineRequest({
  description:
    "Bring a conversation back from cold storage into the live tables, every message and summary as it was (it lists as the newest activity)",
  input: z.object({ conversation_id: ConversationId }),
  output: Conversation,
  async handle(input, ctx) {
    const id = input.conversation_id;
    const file = await writeConversation(ctx, async (tx) => {
      const cold = await tx.first<{ file: string }>("SELECT file FROM conversation_cold WHERE conversation_id = ?", [
        id,
      ]);
      if (!cold) {
        const live = await tx.first("SELECT 1 FROM conversations WHERE id = ?", [id]);
        throw live
          ? new ServiceError(409, `Conversation "${id}" is not in cold storage`)
          : new ServiceError(404, `Unknown conversation: "${id}"`);
      }
      const stored = await readColdConversation(`${coldFolder(ctx)}/${cold.file}`, id);
      if (!stored) throw new Error(`Cold-storage file "${cold.file}" lacks conversation "${id}"`);
      // Its old place in "newest activity first" may be taken by now: it comes back as the newest.
      await insertRows(tx, "conversations", [{ ...stored.conversation, activity: await nextActivity(tx) }]);
      for (const table of CONVERSATION_TABLES) await insertRows(tx, table, stored.tables[table] ?? []);
      await tx.run("DELETE FROM conversation_cold WHERE conversation_id = ?", [id]);
      return cold.file;
    });
    await removeIfUnnamed(ctx, file);
    return requireConversation(ctx.db, id, true);
  },
});

/** Inserts rows read from a cold-storage file; only the table's stored columns may be named. */
async function insertRows(tx: Sql, table: string, rows: Record<string, unknown>[]): Promise<void> {
  const allowed = new Set(await storedColumns(tx, table));
  if (rows.length > 0 && allowed.size === 0) {
    // Embeddings archived while EMBEDDING_DIMENSIONS was set, restored without it: nowhere to go.
    throw new ServiceError(409, `Conversation has rows for "${table}", which this database lacks`);
  }
  for (const row of rows) {
    const names = Object.keys(row).filter((name) => allowed.has(name));
    await tx.run(
      `INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`,
      names.map((name) => decodeValue(row[name]) as never),
    );
  }
}
