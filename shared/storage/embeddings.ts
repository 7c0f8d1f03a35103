/**
 * The embedding tables, made at start-up for the configured EMBEDDING_DIMENSIONS. A vector column's
 * length is part of its declared type (`F32_BLOB(384)`) and cannot change, so these tables are not
 * a numbered migration: they are made the first time the service starts with a dimension, and that
 * declared type is from then on the database's record of it. A later start with another dimension
 * (0 included) stops with a ConfigError naming the stored one, rather than failing on every write.
 */
import { ConfigError } from "../config/error.ts";
import type { Logger } from "../log.ts";
import type { Sql } from "../function/sql.ts";
import type { Database } from "./db.ts";

/**
 * The vector index's options, measured on 384-dimension vectors in 200 clusters (README "LLM memory"):
 * neighbours kept as 1-bit signs and at most 32 of them build the index ~9× faster and ~13× smaller
 * than the defaults (float32 neighbours). Over 105,000 vectors a shorter insertion search (insert_l 16,
 * not 70) built 3× faster (154 s against 494 s) and found more of the true top 10 (recall@10 0.77
 * against 0.49), and a longer query search (search_l 500, not 200) raised that to 0.90. Fewer than 32
 * neighbours lost recall (16: 0.21–0.64). Scopes of up to EXACT_SCOPE vectors never use the index.
 */
const INDEX_OPTIONS =
  "'metric=cosine', 'compress_neighbors=float1bit', 'max_neighbors=32', 'insert_l=16', 'search_l=500'";

/** The tables holding vectors; the first one's declared type records the database's dimension. */
export const EMBEDDING_TABLES = ["message_embeddings", "memory_embeddings"] as const;

function schema(dimensions: number): string[] {
  const vector = `F32_BLOB(${dimensions})`;
  return [
    // user_id and conversation_id are copied from the conversation, so that a scope is an index range.
    `CREATE TABLE IF NOT EXISTS message_embeddings (
      seq INTEGER PRIMARY KEY REFERENCES conversation_messages (seq) ON DELETE CASCADE,
      user_id TEXT NOT NULL,
      conversation_id TEXT NOT NULL,
      model TEXT,
      embedding ${vector} NOT NULL
    )`,
    "CREATE INDEX IF NOT EXISTS idx_message_embeddings_user ON message_embeddings (user_id)",
    "CREATE INDEX IF NOT EXISTS idx_message_embeddings_conversation ON message_embeddings (conversation_id)",
    `CREATE INDEX IF NOT EXISTS idx_message_embeddings_vector
       ON message_embeddings (libsql_vector_idx(embedding, ${INDEX_OPTIONS}))`,
    `CREATE TABLE IF NOT EXISTS memory_embeddings (
      item_id INTEGER PRIMARY KEY REFERENCES memory_items (id) ON DELETE CASCADE,
      embedding ${vector} NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS idx_memory_embeddings_vector
       ON memory_embeddings (libsql_vector_idx(embedding, ${INDEX_OPTIONS}))`,
  ];
}

/** The dimension the database's embedding tables were made with, or undefined when it has none. */
export async function storedDimensions(db: Sql): Promise<number | undefined> {
  const row = await db.first<{ sql: string }>(
    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
    [EMBEDDING_TABLES[0]],
  );
  const match = row && /F32_BLOB\((\d+)\)/i.exec(row.sql);
  return match ? Number(match[1]) : undefined;
}

/**
 * Makes the embedding tables for `dimensions` when the database has none (after the numbered
 * migrations, which make the tables they refer to). Throws a ConfigError when the database was made
 * with another dimension.
 */
export async function prepareEmbeddings(db: Database, dimensions: number, log: Logger): Promise<void> {
  const stored = await storedDimensions(db.read);
  if (stored === dimensions) return;
  if (stored !== undefined) {
    throw new ConfigError([
      `EMBEDDING_DIMENSIONS: the database stores ${stored}-dimension embeddings, not ${dimensions} ` +
      `(a vector column's length is fixed when it is made): set EMBEDDING_DIMENSIONS=${stored}, ` +
      `or start on a new database`,
    ]);
  }
  if (dimensions === 0) return;
  await db.transaction(async (tx) => {
    for (const statement of schema(dimensions)) await tx.run(statement);
  });
  log.info("Made the embedding tables", { dimensions });
}
