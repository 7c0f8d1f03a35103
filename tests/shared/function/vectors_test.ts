/** nearest (shared/function/vectors.ts): which scopes are searched exactly, and that they stay exact. */
import assert from "node:assert/strict";
import { loadConfig } from "../../../shared/config.ts";
import { openDatabase } from "../../../shared/storage/db.ts";
import { silentLogger } from "../../../shared/log.ts";
import { EXACT_SCOPE, nearest } from "../../../shared/function/vectors.ts";

const blob = (v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

Deno.test("a namespace prefix of a few items in a store of more than EXACT_SCOPE is answered exactly, sized by its index range", async () => {
  const db = await openDatabase(loadConfig({ DATABASE_URL: ":memory:" }), silentLogger);
  try {
    await db.transaction(async (tx) => {
      await tx.run(
        "CREATE TABLE memory_items (id INTEGER PRIMARY KEY, namespace TEXT NOT NULL, UNIQUE (namespace, id))",
      );
      await tx.run("CREATE TABLE memory_embeddings (item_id INTEGER PRIMARY KEY, embedding F32_BLOB(3) NOT NULL)");
      await tx.run(
        "CREATE INDEX idx_memory_embeddings_vector ON memory_embeddings (libsql_vector_idx(embedding, 'metric=cosine'))",
      );
      // Many items elsewhere, all closer to the query than any of u1's: an index's candidates would miss u1.
      for (let id = 1; id <= EXACT_SCOPE + 50; id++) {
        await tx.run("INSERT INTO memory_items (id, namespace) VALUES (?, '[\"big\"]')", [id]);
      }
      await tx.run(
        "INSERT INTO memory_embeddings (item_id, embedding) SELECT id, vector32('[1, 0.01, 0]') FROM memory_items",
      );
      const mine: [number, number[]][] = [[900001, [0, 1, 0]], [900002, [0.5, 1, 0]], [900003, [0, 0, 1]]];
      for (const [id, vector] of mine) {
        await tx.run("INSERT INTO memory_items (id, namespace) VALUES (?, '[\"u1\"]')", [id]);
        await tx.run("INSERT INTO memory_embeddings (item_id, embedding) VALUES (?, ?)", [id, blob(vector)]);
      }
    });
    const scope = { sql: "i.namespace = ?", args: ['["u1"]'] };
    const found = await nearest(db.read, {
      table: "memory_embeddings",
      join: "JOIN memory_items i ON i.id = t.item_id",
      where: scope.sql,
      args: scope.args,
      size: { from: "memory_items i", where: scope.sql, args: scope.args },
      vector: blob([1, 0, 0]),
      limit: 2,
    });
    assert.deepEqual(found.map((f) => f.id), [900002, 900001]);
    assert.ok(Math.abs(found[1].distance - 1) < 1e-6);
    // The whole store is larger than EXACT_SCOPE: the index's candidates, re-ranked exactly.
    const all = await nearest(db.read, {
      table: "memory_embeddings",
      join: "JOIN memory_items i ON i.id = t.item_id",
      where: "1",
      args: [],
      size: { from: "memory_items i", where: "1", args: [] },
      vector: blob([1, 0, 0]),
      limit: 3,
    });
    assert.equal(all.length, 3);
    assert.ok(all.every((f) => f.id <= EXACT_SCOPE + 50 && f.distance < 1e-3));
  } finally {
    db.close();
  }
});
