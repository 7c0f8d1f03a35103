/**
 * Archival to cold storage: maintenance moves conversations inactive for CONVERSATION_ARCHIVE_DAYS out of
 * the live tables into compressed JSON Lines files under BACKUP_DIR, and conversation.restore brings one
 * back. Crash safety rests on one rule: a file holds conversations only once a committed row of
 * `conversation_cold` names it. Each batch writes its file (synced, renamed) inside the write transaction
 * that indexes its conversations and deletes their live rows, so a crash leaves either the live rows and
 * an unnamed file, which the next run removes, or the named file and no live rows.
 */
import type { RequestContext } from "../../shared/function/define.ts";
import type { Row, Sql } from "../../shared/function/sql.ts";
import {
  COLD_FOLDER,
  COLD_SUFFIX,
  type ColdConversation,
  CONVERSATION_TABLES,
  storedColumns,
  writeColdFile,
} from "./_cold_file.ts";

/** Conversations per file and per write transaction: a few MiB of JSON, a write lock held well under a second. */
export const ARCHIVE_BATCH = 500;

/** What one archival run did. */
export interface ArchivalReport {
  /** Conversations moved out of the live tables. */
  archived: number;
  /** Files written. */
  files: number;
  /** Files of earlier runs that never committed (a crash), removed; their conversations were still live. */
  leftovers_removed: number;
}

/** The folder of the cold-storage files. */
export function coldFolder(ctx: RequestContext): string {
  return `${ctx.config.BACKUP_DIR}/${COLD_FOLDER}`;
}

/** Moves every conversation whose last change is before `cutoff` (Unix seconds) to cold storage. */
export async function archiveInactive(ctx: RequestContext, cutoff: number): Promise<ArchivalReport> {
  const folder = coldFolder(ctx);
  // Whole conversations: readable by the service's user alone, as backups are.
  await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
  await Deno.chmod(folder, 0o700);
  const report: ArchivalReport = { archived: 0, files: 0, leftovers_removed: await removeLeftovers(ctx, folder) };
  while (true) {
    const moved = await ctx.write((tx) => archiveBatch(tx, folder, cutoff));
    if (moved === 0) return report;
    report.archived += moved;
    report.files++;
  }
}

/** One file's worth of conversations, moved in the caller's transaction; how many (0: none left). */
async function archiveBatch(tx: Sql, folder: string, cutoff: number): Promise<number> {
  const ids = (await tx.query<{ id: string }>(
    "SELECT id FROM conversations WHERE updated_at < ? ORDER BY updated_at, id LIMIT ?",
    [cutoff, ARCHIVE_BATCH],
  )).map((row) => row.id);
  if (ids.length === 0) return 0;
  const idList = JSON.stringify(ids);
  const conversations = new Map<string, ColdConversation>();
  const columns = await storedColumns(tx, "conversations");
  for (
    const row of await tx.query(
      `SELECT ${columns.join(", ")} FROM conversations WHERE id IN (SELECT value FROM json_each(?))`,
      [idList],
    )
  ) {
    // The id leads each line: restore finds a conversation's line without parsing the others.
    conversations.set(row.id as string, { conversation: { id: row.id, ...row }, tables: {} });
  }
  for (const table of CONVERSATION_TABLES) {
    const stored = await storedColumns(tx, table);
    if (stored.length === 0) continue;
    const order = stored.includes("seq") ? "seq" : "rowid";
    const rows = await tx.query(
      `SELECT ${
        stored.join(", ")
      } FROM ${table} WHERE conversation_id IN (SELECT value FROM json_each(?)) ORDER BY ${order}`,
      [idList],
    );
    for (const row of rows) (conversations.get(row.conversation_id as string)!.tables[table] ??= []).push(row as Row);
  }
  const name = `conversations-${new Date().toISOString().replaceAll(":", "-")}-${
    crypto.randomUUID().slice(0, 8)
  }${COLD_SUFFIX}`;
  await writeColdFile(`${folder}/${name}`, [...conversations.values()]);
  const archivedAt = Math.floor(Date.now() / 1000);
  await tx.run(
    `INSERT INTO conversation_cold (conversation_id, user_id, file, archived_at)
      SELECT id, user_id, ?, ? FROM conversations WHERE id IN (SELECT value FROM json_each(?))`,
    [name, archivedAt, idList],
  );
  for (const table of [...CONVERSATION_TABLES].reverse()) {
    if ((await storedColumns(tx, table)).length === 0) continue;
    await tx.run(`DELETE FROM ${table} WHERE conversation_id IN (SELECT value FROM json_each(?))`, [idList]);
  }
  await tx.run("DELETE FROM conversations WHERE id IN (SELECT value FROM json_each(?))", [idList]);
  return ids.length;
}

/**
 * Removes files no committed row names: `.tmp` files a crash cut short, and whole files whose
 * transaction never committed. Runs holding the write lock, so no archival is between its rename and
 * its commit meanwhile, in this process or another on the same database.
 */
function removeLeftovers(ctx: RequestContext, folder: string): Promise<number> {
  return ctx.write(async (tx) => {
    let removed = 0;
    for await (const entry of Deno.readDir(folder)) {
      if (!entry.isFile || !entry.name.startsWith("conversations-")) continue;
      const named = entry.name.endsWith(COLD_SUFFIX) &&
        await tx.first("SELECT 1 FROM conversation_cold WHERE file = ? LIMIT 1", [entry.name]);
      if (named) continue;
      await Deno.remove(`${folder}/${entry.name}`).catch(ignoreNotFound);
      removed++;
    }
    return removed;
  });
}

/** Removes a cold-storage file once no row names it any more (after a restore or an erasure committed). */
export async function removeIfUnnamed(ctx: RequestContext, file: string): Promise<void> {
  if (await ctx.db.first("SELECT 1 FROM conversation_cold WHERE file = ? LIMIT 1", [file])) return;
  await Deno.remove(`${coldFolder(ctx)}/${file}`).catch(ignoreNotFound);
}

function ignoreNotFound(error: unknown): void {
  if (!(error instanceof Deno.errors.NotFound)) throw error;
}
