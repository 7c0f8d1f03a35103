import assert from "node:assert/strict";
import { loadConfig } from "../../../shared/config.ts";
import { openDatabase } from "../../../shared/storage/db.ts";
import { createLogger, silentLogger } from "../../../shared/log.ts";
import { tempDir } from "../../_helpers.ts";

/** Writes `megabytes` MiB in transactions of 1 MiB, letting timers run between them as the service's loop does. */
async function write(db: Awaited<ReturnType<typeof openDatabase>>, megabytes: number) {
  for (let i = 0; i < megabytes; i++) {
    await db.transaction(async (tx) => {
      for (let j = 0; j < 256; j++) await tx.run("INSERT INTO t (b) VALUES (randomblob(4000))");
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function until(check: () => boolean, ms = 10_000) {
  const since = Date.now();
  while (!check() && Date.now() - since < ms) await new Promise((resolve) => setTimeout(resolve, 50));
  return check();
}

Deno.test("with a checkpoint thread the writer's commits never checkpoint, and the thread copies the WAL into the file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/c.db`;
  const db = await openDatabase(loadConfig({ DATABASE_PATH: path }), silentLogger, { checkpointThread: true });
  try {
    const own = await db.withoutTransaction((sql) =>
      sql.first<{ wal_autocheckpoint: number }>("PRAGMA wal_autocheckpoint")
    );
    assert.equal(own?.wal_autocheckpoint, 0);
    await db.transaction((tx) => tx.run("CREATE TABLE t (b BLOB)"));
    await write(db, 8);
    // Only a checkpoint puts pages into the database file: without one it stays a few pages long.
    assert.ok(await until(() => Deno.statSync(path).size > 8 * 1024 * 1024), `file ${Deno.statSync(path).size} bytes`);
  } finally {
    db.close();
  }
});

Deno.test("an encrypted database is checkpointed by the thread with its key, and reopens with its rows", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/e.db`;
  const config = loadConfig({ DATABASE_PATH: path, DATABASE_ENCRYPTION_KEY: "correct horse battery staple" });
  const errors: string[] = [];
  const log = createLogger({ level: "ERROR", write: (line) => errors.push(line) });
  const db = await openDatabase(config, log, { checkpointThread: true });
  try {
    await db.transaction((tx) => tx.run("CREATE TABLE t (b BLOB)"));
    await write(db, 4);
    assert.ok(await until(() => Deno.statSync(path).size > 4 * 1024 * 1024), `file ${Deno.statSync(path).size} bytes`);
    // Without its key the thread fails, and the writer's own checkpoints would have grown the file instead.
    assert.deepEqual(errors, []);
  } finally {
    db.close();
  }
  const again = await openDatabase(config, silentLogger);
  try {
    assert.equal((await again.read.first<{ n: number }>("SELECT count(*) AS n FROM t"))?.n, 4 * 256);
  } finally {
    again.close();
  }
});

Deno.test("under a steady flood of commits the checkpoint thread starts the WAL over rather than letting it grow", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/f.db`;
  const db = await openDatabase(loadConfig({ DATABASE_PATH: path }), silentLogger, { checkpointThread: true });
  try {
    await db.transaction((tx) => tx.run("CREATE TABLE t (b BLOB)"));
    await write(db, 110);
    // 110 MiB went through the WAL; restarted at 64 MiB, it never held much more than that.
    const wal = Deno.statSync(`${path}-wal`).size;
    assert.ok(wal < 90 * 1024 * 1024, `WAL ${(wal / 1048576).toFixed(1)} MiB`);
  } finally {
    db.close();
  }
});

Deno.test("without the option the writer checkpoints in its own commits, as SQLite does by default", async () => {
  await using dir = await tempDir();
  const db = await openDatabase(loadConfig({ DATABASE_PATH: `${dir.path}/d.db` }), silentLogger);
  try {
    const own = await db.withoutTransaction((sql) =>
      sql.first<{ wal_autocheckpoint: number }>("PRAGMA wal_autocheckpoint")
    );
    assert.equal(own?.wal_autocheckpoint, 1000);
  } finally {
    db.close();
  }
});
