import assert from "node:assert/strict";
import { loadConfig } from "../../../shared/config.ts";
import { createLogger } from "../../../shared/log.ts";
import { openDatabase } from "../../../shared/storage/db.ts";
import { loadMigrations, migrate } from "../../../shared/storage/migrate.ts";
import { request, startRosey, tempDir } from "../../_helpers.ts";

Deno.test("migration 0009 repairs integers beyond ±2^53 that earlier versions stored, so their rows read again", async () => {
  await using dir = await tempDir();
  const url = `file:${dir.path}/rosey.db`;
  const lines: string[] = [];
  const log = createLogger({ level: "INFO", write: (line) => void lines.push(line) });
  const db = await openDatabase(loadConfig({ DATABASE_URL: url }), log);
  const migrations = await loadMigrations();
  await migrate(db, migrations.filter((m) => m.version < 9), log);
  // What an event with timestamp 1e18 left behind before the JSON policy refused it.
  await db.transaction(async (tx) => {
    await tx.run("INSERT INTO recent_chat (timestamp, username, message) VALUES (1000000000000000000, 'eve', 'far')");
    await tx.run("INSERT INTO recent_chat (timestamp, username, message) VALUES (1700000000, 'bob', 'now')");
    await tx.run(
      "INSERT INTO user_stats (username, first_seen, last_seen, current_session_start) VALUES ('eve', 1, -1000000000000000000, 1000000000000000000)",
    );
  });
  await assert.rejects(() => db.read.query("SELECT * FROM recent_chat"), "the poisoned row fails every read");
  await migrate(db, migrations, log);
  assert.deepEqual(await db.read.query("SELECT timestamp, username FROM recent_chat ORDER BY id"), [
    { timestamp: 9007199254740991, username: "eve" },
    { timestamp: 1700000000, username: "bob" },
  ]);
  assert.deepEqual(await db.read.query("SELECT last_seen, current_session_start FROM user_stats"), [
    { last_seen: -9007199254740991, current_session_start: null },
  ]);
  assert.ok(lines.some((l) => l.includes("Repaired integers beyond") && l.includes('"recent_chat"')), lines.join("\n"));
  assert.ok(lines.some((l) => l.includes('"user_stats"') && l.includes('"values":2')), lines.join("\n"));
  db.close();

  await using t = await startRosey({ DATABASE_URL: url });
  const recent = await request(t.nc, "rosey.db.stats.recent_chat.get", {});
  assert.equal(recent.errorCode, undefined, recent.error ?? "");
  assert.equal((recent.data as unknown as unknown[]).length, 2);
  assert.equal((await request(t.nc, "rosey.db.query.user_stats", { username: "eve" })).errorCode, undefined);
});
