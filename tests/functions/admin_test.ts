import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { ask, publish, request, startRosey, tempDir } from "../_helpers.ts";

Deno.test("rosey.db.admin.health reports the database, tables, migrations and size", async () => {
  await using t = await startRosey();
  const health = await ask<
    {
      status: string;
      database_available: boolean;
      tables_exist: boolean;
      migrations: { pending: number[]; applied: number };
      size_bytes: number;
      errors: string[];
    }
  >(t, "admin.health");
  assert.equal(health.status, "ok");
  assert.equal(health.database_available, true);
  assert.equal(health.tables_exist, true);
  assert.deepEqual(health.migrations.pending, []);
  assert.ok(health.migrations.applied >= 6);
  assert.ok(health.size_bytes > 0);
  assert.deepEqual(health.errors, []);
});

Deno.test("rosey.db.admin.backup writes copies that open and pass integrity_check while writes continue, keeping the newest", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({
    DATABASE_PATH: `${dir.path}/live.db`,
    BACKUP_DIR: `${dir.path}/backups`,
    RETENTION: "backups=2",
  });
  const files: string[] = [];
  for (let round = 0; round < 3; round++) {
    // Writes in flight while the backup runs.
    const writes = Array.from(
      { length: 300 },
      (_, i) => ({ username: `u${i % 7}`, message: `round ${round} line ${i}` }),
    );
    const publishing = publish(t, "message.log", ...writes);
    const backup = await ask<{ file: string; size_bytes: number; removed: string[] }>(t, "admin.backup");
    await publishing;
    files.push(backup.file);
    assert.ok(backup.file.startsWith(`${dir.path}/backups/rosey-db-`));
    const copy = createClient({ url: `file:${backup.file}` });
    assert.deepEqual((await copy.execute("PRAGMA integrity_check")).rows.map((r) => r.integrity_check), ["ok"]);
    assert.ok(Number((await copy.execute("SELECT count(*) AS n FROM recent_chat")).rows[0].n) >= round * 300);
    copy.close();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const kept = [...Deno.readDirSync(`${dir.path}/backups`)].map((e) => `${dir.path}/backups/${e.name}`).sort();
  assert.deepEqual(kept, files.slice(1));
  const integrity = await ask<{ ok: boolean }>(t, "admin.integrity");
  assert.equal(integrity.ok, true);
  const optimized = await request(t.nc, "rosey.db.admin.optimize", {});
  assert.equal(optimized.errorCode, undefined, optimized.error ?? "");
});

Deno.test("rosey.db.admin.backup called six times at once: six copies, the newest kept, no error", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({
    DATABASE_PATH: `${dir.path}/live.db`,
    BACKUP_DIR: `${dir.path}/backups`,
    RETENTION: "backups=2",
  });
  for (let round = 0; round < 3; round++) {
    const replies = await Promise.all(Array.from({ length: 6 }, () => request(t.nc, "rosey.db.admin.backup", {})));
    assert.deepEqual(replies.map((r) => r.errorCode), Array(6).fill(undefined), replies.map((r) => r.error).join());
    assert.equal(new Set(replies.map((r) => (r.data as { file: string }).file)).size, 6, "six distinct files");
  }
  assert.equal([...Deno.readDirSync(`${dir.path}/backups`)].length, 2);
});
