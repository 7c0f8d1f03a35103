import { z } from "zod";
import { text } from "../../shared/function/text.ts";
import { defineRequest } from "../../shared/function/define.ts";
import { fitItems } from "../../shared/function/fit_items.ts";
import type { Sql, SqlValue } from "../../shared/function/sql.ts";
import { fuseRanks, type Matched } from "../../shared/function/rank_fusion.ts";
import { Embedding, nearest, similarityOf, vectorOf } from "../../shared/function/vectors.ts";
import {
  Item,
  ITEM_COLUMNS,
  itemOf,
  type ItemRow,
  LIVE,
  NamespacePrefix,
  RefreshTtl,
  refreshTtl,
  underPrefix,
} from "./_item.ts";
import { Filter, filterSql } from "./_filter.ts";

/** Each list a hybrid search fuses holds this many candidates at least. */
const HYBRID_CANDIDATES = 50;

/** Each word of the query as a quoted FTS5 term, any of them matching (bm25 ranks those with more first). */
function ftsQuery(query: string): string {
  return query.split(/\s+/).filter(Boolean).map((word) => `"${word.replaceAll('"', '""')}"`).join(" OR ");
}

/** A ranked candidate: its item id, score and which searches found it. */
interface Ranked {
  id: number;
  score: number | null;
  matched: Matched[];
}

export default defineRequest({
  description:
    "Memories under a namespace prefix, by full-text query, embedding or both (fused by reciprocal rank), filtered by value fields; importance and recency break ties",
  input: z.object({
    namespace_prefix: NamespacePrefix.describe("Path prefix; [] searches every namespace"),
    query: text().trim().min(1).max(500).optional().describe("Full-text over the items' text (any word)"),
    embedding: Embedding.optional().describe("Nearest by cosine similarity (EMBEDDING_DIMENSIONS numbers)"),
    filter: Filter.optional().describe("Top-level value fields each equal to the value given"),
    limit: z.number().int().min(1).max(100).default(10),
    offset: z.number().int().min(0).max(1000).default(0),
    refresh_ttl: RefreshTtl,
  }),
  output: z.object({
    items: z.array(Item.extend({
      score: z.number().nullable().describe(
        "Cosine similarity (embedding only), reciprocal rank fusion (both), s/(1+s) of s = −bm25 (query only), null (neither)",
      ),
      matched: z.array(z.enum(["text", "vector"])),
    })),
  }),
  async handle(input, ctx) {
    const vector = input.embedding && vectorOf(ctx.config, input.embedding);
    const now = ctx.receivedAt;
    const prefix = underPrefix(input.namespace_prefix);
    const filter = filterSql(input.filter);
    const scope = { sql: `${prefix.sql} AND ${filter.sql} AND ${LIVE}`, args: [...prefix.args, ...filter.args, now] };
    const wanted = input.offset + input.limit;
    const hybrid = vector !== undefined && input.query !== undefined;
    const candidates = hybrid ? Math.max(HYBRID_CANDIDATES, wanted) : wanted;

    let ranked: Ranked[];
    const texts = input.query === undefined ? [] : await textMatches(ctx.db, input.query, scope, candidates);
    const vectors = vector === undefined ? [] : await nearest(ctx.db, {
      table: "memory_embeddings",
      join: "JOIN memory_items i ON i.id = t.item_id",
      where: scope.sql,
      args: scope.args,
      // The prefix alone, a range of the namespace index: counting through the join read every row.
      size: { from: "memory_items i", where: prefix.sql, args: prefix.args },
      vector,
      limit: candidates,
    });
    if (hybrid) {
      ranked = fuseRanks({ text: texts.map((t) => t.id), vector: vectors.map((v) => v.id) })
        .map(({ key, score, matched }) => ({ id: key, score, matched }));
    } else if (vector) {
      ranked = vectors.map((v) => ({ id: v.id, score: similarityOf(v.distance), matched: ["vector"] }));
    } else if (input.query !== undefined) {
      ranked = texts.map((t) => ({ id: t.id, score: -t.rank / (1 - t.rank), matched: ["text"] }));
    } else {
      const rows = await ctx.db.query<{ id: number }>(
        `SELECT i.id FROM memory_items i WHERE ${scope.sql}
          ORDER BY i.importance DESC NULLS LAST, i.updated_at DESC, i.id DESC LIMIT ? OFFSET ?`,
        [...scope.args, input.limit, input.offset],
      );
      ranked = rows.map(({ id }) => ({ id, score: null, matched: [] }));
    }
    const rows = await itemRows(ctx.db, ranked.map((r) => r.id));
    const found = ranked.filter((r) => rows.has(r.id));
    // Equal scores: the more important, then the more recent, first. A listing is in that order already.
    const page = ranked.every((r) => r.score === null) ? found : found.sort((a, b) =>
      b.score! - a.score! ||
      (rows.get(b.id)!.importance ?? 0) - (rows.get(a.id)!.importance ?? 0) ||
      rows.get(b.id)!.updated_at - rows.get(a.id)!.updated_at
    ).slice(input.offset, wanted);
    if (input.refresh_ttl && page.length > 0) {
      await ctx.write((tx) => refreshTtl(tx, page.map((r) => r.id), now));
    }
    const items = page.map((r) => {
      const row = rows.get(r.id)!;
      const refreshed = input.refresh_ttl && row.ttl_seconds !== null ? now + row.ttl_seconds : row.expires_at;
      return { ...itemOf({ ...row, expires_at: refreshed }), score: r.score, matched: r.matched };
    });
    return { items: fitItems(items, ctx.replyBytes).kept };
  },
});

/** Items matching the full-text query in scope, best first, with their bm25 (lower is better). */
function textMatches(db: Sql, query: string, scope: { sql: string; args: SqlValue[] }, limit: number) {
  return db.query<{ id: number; rank: number }>(
    `SELECT i.id, bm25(memory_items_fts) AS rank FROM memory_items_fts
       JOIN memory_items i ON i.id = memory_items_fts.rowid
      WHERE memory_items_fts MATCH ? AND ${scope.sql} ORDER BY rank, i.id LIMIT ?`,
    [ftsQuery(query), ...scope.args, limit],
  );
}

/** The rows of the given items, by id. */
async function itemRows(db: Sql, ids: number[]): Promise<Map<number, ItemRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.query<ItemRow>(
    `SELECT ${ITEM_COLUMNS} FROM memory_items i WHERE i.id IN (SELECT value FROM json_each(?))`,
    [JSON.stringify(ids)],
  );
  return new Map(rows.map((row) => [row.id, row]));
}
