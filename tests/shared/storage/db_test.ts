import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { loadConfig } from "../../../shared/config.ts";
import { databaseMode, openDatabase } from "../../../shared/storage/db.ts";
import { silentLogger } from "../../../shared/log.ts";
import { tempDir } from "../../_helpers.ts";

Deno.test("databaseMode tells the four DATABASE_URL modes apart", () => {
  assert.equal(databaseMode(":memory:"), "memory");
  assert.equal(databaseMode("file:data/rosey.db"), "file");
  assert.equal(databaseMode("file:data/rosey.db", "libsql://primary.example"), "replica");
  assert.equal(databaseMode("libsql://db.example"), "remote");
  assert.equal(databaseMode("https://db.example"), "remote");
});

Deno.test("file databases keep WAL, synchronous, foreign keys and cache size on both connections across transactions", async () => {
  await using dir = await tempDir();
  const db = await openDatabase(
    loadConfig({ DATABASE_PATH: `${dir.path}/p.db`, DATABASE_SYNCHRONOUS: "FULL" }),
    silentLogger,
  );
  for (let i = 0; i < 5; i++) await db.transaction((tx) => tx.run("CREATE TABLE IF NOT EXISTS t (a)"));
  const pragmas = async (sql: typeof db.read) => ({
    journal: (await sql.query<{ journal_mode: string }>("PRAGMA journal_mode"))[0].journal_mode,
    fk: (await sql.query<{ foreign_keys: number }>("PRAGMA foreign_keys"))[0].foreign_keys,
    cache: (await sql.query<{ cache_size: number }>("PRAGMA cache_size"))[0].cache_size,
    sync: (await sql.query<{ synchronous: number }>("PRAGMA synchronous"))[0].synchronous,
  });
  const expected = { journal: "wal", fk: 1, cache: -65536, sync: 2 };
  assert.deepEqual(await pragmas(db.read), expected);
  assert.deepEqual(await db.transaction((tx) => pragmas(tx)), expected);
  db.close();
});

Deno.test("openDatabase's pageCacheKiB sets the page cache of both connections, after a transaction too", async () => {
  await using dir = await tempDir();
  // The ingest thread opens the database this way (shared/ingest/worker.ts).
  const db = await openDatabase(loadConfig({ DATABASE_PATH: `${dir.path}/c.db` }), silentLogger, {
    pageCacheKiB: 8192,
  });
  const cacheSize = async (sql: typeof db.read) =>
    (await sql.query<{ cache_size: number }>("PRAGMA cache_size"))[0].cache_size;
  await db.transaction((tx) => tx.run("CREATE TABLE t (a)"));
  assert.equal(await cacheSize(db.read), -8192);
  assert.equal(await db.transaction((tx) => cacheSize(tx)), -8192);
  db.close();
});

Deno.test("a write waits for another process's lock without blocking the event loop, then commits", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/busy.db`;
  const db = await openDatabase(loadConfig({ DATABASE_PATH: path }), silentLogger);
  await db.transaction((tx) => tx.run("CREATE TABLE t (a)"));
  const other = createClient({ url: `file:${path}` });
  await other.execute("BEGIN IMMEDIATE");
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  const write = db.transaction((tx) => tx.run("INSERT INTO t VALUES (1)"));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await other.execute("COMMIT");
  await write;
  clearInterval(ticker);
  // A blocked event loop would have let almost no timer fire during the second.
  assert.ok(ticks > 40, `only ${ticks} timer ticks while waiting for the lock`);
  assert.deepEqual((await db.read.query("SELECT a FROM t")).map((r) => (r as { a: number }).a), [1]);
  other.close();
  db.close();
});

Deno.test("an encrypted file reopens with its key and hides its contents without it", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/secret.db`;
  const config = loadConfig({ DATABASE_PATH: path, DATABASE_ENCRYPTION_KEY: "correct horse battery staple" });
  const db = await openDatabase(config, silentLogger);
  await db.transaction((tx) => tx.run("CREATE TABLE t (a TEXT)"));
  await db.transaction((tx) => tx.run("INSERT INTO t VALUES ('plain-text-marker')"));
  db.close();
  const again = await openDatabase(config, silentLogger);
  assert.deepEqual((await again.read.query("SELECT a FROM t")).map((r) => (r as { a: string }).a), [
    "plain-text-marker",
  ]);
  again.close();
  const bytes = await Deno.readFile(path);
  assert.ok(!new TextDecoder("latin1").decode(bytes).includes("plain-text-marker"));
  await assert.rejects(
    openDatabase(loadConfig({ DATABASE_PATH: path }), silentLogger).then((d) => d.read.query("SELECT * FROM t")),
  );
});

Deno.test("local databases take and give values as @libsql/client does, with statements reused", async () => {
  await using dir = await tempDir();
  const db = await openDatabase(loadConfig({ DATABASE_PATH: `${dir.path}/v.db` }), silentLogger);
  await db.transaction((tx) => tx.run("CREATE TABLE v (id INTEGER PRIMARY KEY, flag INTEGER, data BLOB, n INTEGER)"));
  await db.transaction(async (tx) => {
    // A boolean reaches the native binding as 0/1 (given as is, it would abort the process).
    await tx.run("INSERT INTO v (flag, data, n) VALUES (?, ?, ?)", [true, new Uint8Array([1, 2, 3]), 7]);
    await tx.run("INSERT INTO v (flag, data, n) VALUES (?, ?, ?)", [false, new Uint8Array([4]).buffer, 2 ** 53 + 2]);
    await tx.run("INSERT INTO v (flag, data, n) VALUES (:flag, :data, :n)", { flag: 1, data: null, n: 3 });
  });
  const first = await db.read.query<{ flag: number; data: ArrayBuffer; n: number }>(
    "SELECT flag, data, n FROM v WHERE id = ?",
    [1],
  );
  assert.deepEqual(first.map((r) => ({ ...r, data: [...new Uint8Array(r.data)] })), [{
    flag: 1,
    data: [1, 2, 3],
    n: 7,
  }]);
  assert.equal((await db.read.query<{ flag: number }>("SELECT flag FROM v WHERE id = ?", [2]))[0].flag, 0);
  await assert.rejects(db.read.query("SELECT n FROM v WHERE id = 2"), RangeError, "no silently rounded integer");
  await assert.rejects(db.read.query("SELECT ? AS x", [undefined as unknown as null]), TypeError);
  const run = await db.transaction((tx) => tx.run("UPDATE v SET n = 0 WHERE id > ?", [1]));
  assert.deepEqual(run, { changes: 2, lastInsertRowid: 3 });
  db.close();
});

Deno.test("a kept statement that failed does not hold up later commits or hide newer rows from the reader", async () => {
  await using dir = await tempDir();
  const db = await openDatabase(loadConfig({ DATABASE_PATH: `${dir.path}/k.db` }), silentLogger);
  await db.transaction((tx) => tx.run("CREATE TABLE k (a INTEGER NOT NULL)"));
  const count = async () => (await db.read.query<{ n: number }>("SELECT count(*) AS n FROM k"))[0].n;
  for (let i = 1; i <= 3; i++) {
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO k (a) VALUES (?)", [i]);
      await assert.rejects(tx.run("INSERT INTO k (a) VALUES (?)", [null]), /NOT NULL/);
      await assert.rejects(tx.query("SELECT 10 / a, abs(-9223372036854775808 + a - a) FROM k"), /overflow/);
    });
    assert.equal(await count(), i);
  }
  db.close();
});
