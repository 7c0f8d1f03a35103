/**
 * The memory store's shapes and SQL (README "LLM memory"): items addressed by a namespace path and a
 * key, stored with the path as its JSON text, so that a path prefix is a range of the unique index.
 */
import { z } from "zod";
import { text } from "../../shared/function/text.ts";
import type { Sql, SqlValue } from "../../shared/function/sql.ts";

export const NamespaceLabel = text().min(1, "must not be empty").max(200);
/** A namespace path, e.g. [user_id, "preferences"]: by convention the first label is the user's id. */
export const Namespace = z.array(NamespaceLabel).min(1, "must have a label at least").max(10);
/** A namespace path's first labels; [] is every namespace. */
export const NamespacePrefix = z.array(NamespaceLabel).max(10);
export const Key = text().min(1, "must not be empty").max(500);
/** Restarts the TTL of what is returned (from now, for its ttl_seconds). */
export const RefreshTtl = z.boolean().default(false).describe("Restart the TTL of what is returned");

/** A stored memory as returned. */
export const Item = z.object({
  namespace: z.array(z.string()),
  key: z.string(),
  value: z.record(z.string(), z.unknown()),
  text: z.string().nullable(),
  importance: z.number().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
  expires_at: z.number().nullable(),
});
export type Item = z.infer<typeof Item>;

/** The columns of {@linkcode Item}, over the alias `i`. */
export const ITEM_COLUMNS =
  "i.id, i.namespace, i.key, i.value, i.text, i.importance, i.created_at, i.updated_at, i.expires_at, i.ttl_seconds";

export interface ItemRow {
  id: number;
  namespace: string;
  key: string;
  value: string;
  text: string | null;
  importance: number | null;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  ttl_seconds: number | null;
}

/** A row as returned: the namespace and value parsed back. */
export function itemOf(row: ItemRow): Item {
  return {
    namespace: JSON.parse(row.namespace),
    key: row.key,
    value: JSON.parse(row.value),
    text: row.text,
    importance: row.importance,
    created_at: row.created_at,
    updated_at: row.updated_at,
    expires_at: row.expires_at,
  };
}

/** The stored form of a namespace path. */
export function namespaceText(namespace: readonly string[]): string {
  return JSON.stringify(namespace);
}

/** Not expired at `now` (over the alias `i`): an expired item reads as missing until it is swept. */
export const LIVE = "(i.expires_at IS NULL OR i.expires_at > ?)";

/**
 * Items under `prefix` (the path itself and every deeper one) as a condition over `i`: `["u1"]` is
 * `["u1"]` and the range from `["u1",` to `["u1"-`, since "-" follows "," in every encoding.
 */
export function underPrefix(prefix: readonly string[]): { sql: string; args: SqlValue[] } {
  if (prefix.length === 0) return { sql: "1", args: [] };
  const exact = namespaceText(prefix);
  const open = exact.slice(0, -1);
  return { sql: "(i.namespace = ? OR (i.namespace > ? AND i.namespace < ?))", args: [exact, `${open},`, `${open}-`] };
}

/** At most this many expired items are swept per write, so that a write never waits long for it. */
const SWEEP_BATCH = 100;

/** Deletes expired items (their full-text terms and embeddings go with them), a batch per call. */
export async function sweepExpired(tx: Sql, now: number): Promise<number> {
  const { changes } = await tx.run(
    "DELETE FROM memory_items WHERE id IN (SELECT id FROM memory_items WHERE expires_at <= ? LIMIT ?)",
    [now, SWEEP_BATCH],
  );
  return changes;
}

/** Restarts the TTL of the given items that have one, from `now`. */
export async function refreshTtl(tx: Sql, ids: number[], now: number): Promise<void> {
  await tx.run(
    `UPDATE memory_items SET expires_at = ? + ttl_seconds
      WHERE ttl_seconds IS NOT NULL AND id IN (SELECT value FROM json_each(?))`,
    [now, JSON.stringify(ids)],
  );
}
