/**
 * Cold-storage files: compressed JSON Lines, one conversation a line with every row it has in the live
 * tables, written so that a file is either whole under its final name or not there at all.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { Row, Sql } from "../../shared/function/sql.ts";

/** Folder of the cold-storage files under BACKUP_DIR. */
export const COLD_FOLDER = "conversations-cold";
/** Final names end so; a name ending in `.tmp` is a file an archival was still writing. */
export const COLD_SUFFIX = ".jsonl.gz";

/** One archived conversation: its row and its rows in each table keyed by conversation_id, in order. */
export interface ColdConversation {
  conversation: Row;
  tables: Record<string, Row[]>;
}

/**
 * Tables whose rows belong to one conversation through `conversation_id`, children after their parents.
 * message_embeddings exists only with EMBEDDING_DIMENSIONS set (the memory store's); a table the
 * database lacks has no stored columns and is passed over.
 */
export const CONVERSATION_TABLES = ["conversation_messages", "conversation_summaries", "message_embeddings"] as const;

/** The stored (not generated) columns of a table: the allow-list of names a cold row may set. */
export async function storedColumns(db: Sql, table: string): Promise<string[]> {
  const columns = await db.query<{ name: string; hidden: number }>("SELECT name, hidden FROM pragma_table_xinfo(?)", [
    table,
  ]);
  // hidden 2 and 3 are generated columns, 1 the hidden columns of a virtual table: none is written.
  return columns.filter((column) => column.hidden === 0).map((column) => column.name);
}

/** Blobs (embeddings) as `{"$base64": …}`, so a row goes through JSON and back unchanged. */
function encodeValue(_key: string, value: unknown): unknown {
  if (value instanceof ArrayBuffer || value instanceof Uint8Array) {
    const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return { $base64: btoa(binary) };
  }
  return value;
}

/** A value read back from a line: blobs become bytes again. */
export function decodeValue(value: unknown): unknown {
  if (value !== null && typeof value === "object" && "$base64" in value) {
    return Uint8Array.from(atob((value as { $base64: string }).$base64), (c) => c.charCodeAt(0));
  }
  return value;
}

/**
 * Writes the conversations to `path` compressed: first under `path.tmp`, synced, then renamed and the
 * folder synced, so a crash leaves either no file or a whole one under the final name.
 */
export async function writeColdFile(path: string, conversations: ColdConversation[]): Promise<void> {
  const text = conversations.map((c) => JSON.stringify(c, encodeValue)).join("\n") + "\n";
  // zlib in one call: half the time of a CompressionStream on a batch's few MiB.
  const bytes = gzipSync(new TextEncoder().encode(text));
  const temporary = `${path}.tmp`;
  // Whole conversations: readable by the service's user alone (the umask only narrows the mode).
  const file = await Deno.open(temporary, { write: true, create: true, truncate: true, mode: 0o600 });
  await Deno.chmod(temporary, 0o600);
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.syncData();
  } finally {
    file.close();
  }
  await Deno.rename(temporary, path);
  await syncFolder(path.slice(0, path.lastIndexOf("/")));
}

/** The conversation with id `id` in a cold-storage file, or undefined. */
export async function readColdConversation(path: string, id: string): Promise<ColdConversation | undefined> {
  const text = new TextDecoder().decode(gunzipSync(await Deno.readFile(path)));
  // Each line starts with the conversation's row, whose first column is its id: no need to parse the rest.
  const marker = `{"conversation":{"id":${JSON.stringify(id)},`;
  const line = text.split("\n").find((line) => line.startsWith(marker));
  return line ? JSON.parse(line) : undefined;
}

/** fsync of a folder, so a rename in it outlives a crash (best effort where the platform cannot). */
async function syncFolder(path: string): Promise<void> {
  try {
    const folder = await Deno.open(path, { read: true });
    try {
      await folder.sync();
    } finally {
      folder.close();
    }
  } catch {
    // Not every platform opens a folder as a file; the file itself was synced before the rename.
  }
}
