/**
 * Embeddings as functions take them and nearest-neighbour reads over libSQL's vector tables
 * (shared/storage/embeddings.ts makes them for EMBEDDING_DIMENSIONS).
 */
import { z } from "zod";
import { validateInput } from "./decode.ts";
import { ServiceError } from "./errors.ts";
import type { FunctionSettings } from "./define.ts";
import type { Sql, SqlValue } from "./sql.ts";

/** The largest EMBEDDING_DIMENSIONS accepted (shared/config.ts). */
export const MAX_EMBEDDING_DIMENSIONS = 8192;
/** Largest magnitude a float32 holds: beyond it a finite JSON number would be stored as Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** An embedding as input; its length is checked against EMBEDDING_DIMENSIONS by {@linkcode vectorOf}. */
export const Embedding = z.array(
  z.number().refine((x) => Math.abs(x) <= FLOAT32_MAX, "must be within the float32 range (±3.4e38)"),
).min(1, "must not be empty").max(MAX_EMBEDDING_DIMENSIONS);

/** A cosine similarity bound, on the scale of the scores returned. */
export const MinScore = z.number().min(-1).max(1);

/**
 * The embedding at `field` as the float32 bytes a `F32_BLOB` column takes, or a 400 naming the field
 * when embeddings are off, its length is not EMBEDDING_DIMENSIONS, or it is all zeros (no direction).
 */
export function vectorOf(config: FunctionSettings, embedding: number[], field = "embedding"): Uint8Array {
  const dimensions = config.EMBEDDING_DIMENSIONS;
  if (dimensions === 0) {
    const message = "embeddings are off: the service has no EMBEDDING_DIMENSIONS";
    throw new ServiceError(400, `Invalid input: ${field}: ${message}`, [{ path: [field], message }]);
  }
  const exact = z.object({
    [field]: z.array(z.number())
      .length(dimensions, `must have ${dimensions} numbers (EMBEDDING_DIMENSIONS), not ${embedding.length}`)
      .refine((v) => v.some((x) => x !== 0), "must not be all zeros (a cosine needs a direction)"),
  });
  validateInput(exact, { [field]: embedding });
  return new Uint8Array(Float32Array.from(embedding).buffer);
}

/** Cosine similarity (−1…1) from libSQL's cosine distance (0…2). */
export function similarityOf(distance: number): number {
  return 1 - distance;
}

/** The vector tables, each with its key column and index: the only names {@linkcode nearest} puts in SQL. */
const TABLES = {
  message_embeddings: { key: "seq", index: "idx_message_embeddings_vector" },
  memory_embeddings: { key: "item_id", index: "idx_memory_embeddings_vector" },
} as const;

/** What {@linkcode nearest} searches: a vector table `t`, narrowed by SQL the calling function owns. */
export interface NearestOptions {
  table: keyof typeof TABLES;
  /** Joins onto `t` (constant SQL of the function). */
  join?: string;
  /** The scope as a condition over `t` and the joins (constant SQL with `?` placeholders). */
  where: string;
  args: SqlValue[];
  /**
   * A condition holding at least the scope, that an index answers (`t.user_id = ?`): how many rows it
   * holds picks the exact scan or the index, without reading the joins. Over `t` alone, or over `from`
   * (constant SQL, such as the items' table whose namespace index answers a prefix).
   */
  size?: { from?: string; where: string; args: SqlValue[] };
  /** The query vector, from {@linkcode vectorOf}. */
  vector: Uint8Array;
  limit: number;
}

/**
 * A scope up to this many vectors is searched exactly (a scan of its index range, measured under
 * 15 ms at 384 dimensions; README "LLM memory"); a larger one through the approximate index.
 */
export const EXACT_SCOPE = 10_000;
/** Candidates taken from the approximate index per result wanted, then re-ranked by exact distance. */
const OVERSAMPLE = 4;
const MIN_CANDIDATES = 40;
const MAX_CANDIDATES = 1000;

/**
 * The `limit` keys of `table` nearest to `vector` within the scope, nearest first, with their cosine
 * distance. Exact for a scope of up to {@linkcode EXACT_SCOPE} vectors; beyond it, the index's
 * candidates re-ranked exactly, or an exact scan when too few of them fall in the scope.
 */
export async function nearest(db: Sql, options: NearestOptions): Promise<{ id: number; distance: number }[]> {
  const { key, index } = TABLES[options.table];
  const from = `${options.table} t ${options.join ?? ""}`;
  const size = options.size ?? { where: options.where, args: options.args };
  const sizeFrom = size === options.size ? size.from ?? `${options.table} t` : from;
  const sized = await db.first<{ n: number }>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM ${sizeFrom} WHERE ${size.where} LIMIT ${EXACT_SCOPE + 1})`,
    size.args,
  );
  if (sized!.n > EXACT_SCOPE) {
    const candidates = Math.min(MAX_CANDIDATES, Math.max(MIN_CANDIDATES, options.limit * OVERSAMPLE));
    const found = await db.query<{ id: number; distance: number }>(
      `SELECT t.${key} AS id, vector_distance_cos(t.embedding, ?) AS distance
         FROM vector_top_k('${index}', ?, ?) v CROSS JOIN ${options.table} t ON t.rowid = v.id ${options.join ?? ""}
        WHERE ${options.where} ORDER BY distance LIMIT ?`,
      [options.vector, options.vector, candidates, ...options.args, options.limit],
    );
    // CROSS JOIN keeps the index's candidates as the outer loop whatever the planner thinks of the scope.
    if (found.length === options.limit) return found;
  }
  return db.query(
    `SELECT t.${key} AS id, vector_distance_cos(t.embedding, ?) AS distance FROM ${from}
      WHERE ${options.where} ORDER BY distance, t.${key} LIMIT ?`,
    [options.vector, ...options.args, options.limit],
  );
}
