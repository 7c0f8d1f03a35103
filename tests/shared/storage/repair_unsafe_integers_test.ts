import assert from "node:assert/strict";
import { loadConfig } from "../../../shared/config.ts";
import { createLogger } from "../../../shared/log.ts";
import { openDatabase } from "../../../shared/storage/db.ts";
import { loadMigrations, migrate } from "../../../shared/storage/migrate.ts";
import { now, publish, request, startRosey, tempDir } from "../../_helpers.ts";

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
  // 0009 alone: migration 0011 then brings these times within their fields (the test below).
  await migrate(db, migrations.filter((m) => m.version <= 10), log);
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

/** A file database migrated up to (not including) 0009, the logger's lines collected. */
async function databaseBefore0009(path: string) {
  const lines: string[] = [];
  const log = createLogger({ level: "INFO", write: (line) => void lines.push(line) });
  const db = await openDatabase(loadConfig({ DATABASE_URL: `file:${path}/rosey.db` }), log);
  const migrations = await loadMigrations();
  await migrate(db, migrations.filter((m) => m.version < 9), log);
  return { db, log, lines, migrate: () => migrate(db, migrations, log) };
}

Deno.test("migration 0009 gives poisoned values of a UNIQUE NOT NULL column distinct safe values in their old order, so start-up succeeds and the rows list again", async () => {
  await using dir = await tempDir();
  const { db, lines, migrate } = await databaseBefore0009(dir.path);
  // conversations.activity is UNIQUE NOT NULL: clamping both poisoned rows to 2^53 - 1 would collide.
  await db.transaction(async (tx) => {
    for (const [id, activity] of [["older", "5"], ["far", "1000000000000000000"], ["farther", "2000000000000000000"]]) {
      await tx.run(
        `INSERT INTO conversations (id, user_id, status, created_at, updated_at, activity)
          VALUES (?, 'u1', 'ACTIVE', 1700000000, 1700000000, CAST(? AS INTEGER))`,
        [id, activity],
      );
    }
  });
  await migrate();
  assert.deepEqual(await db.read.query("SELECT id, activity FROM conversations ORDER BY activity"), [
    { id: "older", activity: 5 },
    { id: "far", activity: 6 },
    { id: "farther", activity: 7 },
  ]);
  assert.ok(lines.some((l) => l.includes('"conversations"') && l.includes('"values":2')), lines.join("\n"));
  db.close();

  await using t = await startRosey({ DATABASE_URL: `file:${dir.path}/rosey.db` });
  const created = await request(t.nc, "rosey.db.conversation.create", { user_id: "u1" });
  assert.equal(created.errorCode, undefined, created.error ?? "");
  const list = await request(t.nc, "rosey.db.conversation.list", { user_id: "u1" });
  assert.equal(list.errorCode, undefined, list.error ?? "");
  const ids = (list.data!.conversations as { id: string }[]).map((c) => c.id);
  assert.deepEqual(ids, [(created.data as { id: string }).id, "farther", "far", "older"], "newest activity first");
});

Deno.test("migration 0009 leaves keys and values the schema refuses as they are and names their rows, instead of failing", async () => {
  await using dir = await tempDir();
  const { db, lines, migrate } = await databaseBefore0009(dir.path);
  const far = "1000000000000000000";
  await db.transaction(async (tx) => {
    // A key (changing it would detach what refers to it), a CHECK that refuses the bound (odd), a foreign
    // key, and an integer in a UNIQUE index of two columns.
    await tx.run("CREATE TABLE parents (id INTEGER PRIMARY KEY, size INTEGER NOT NULL CHECK (size % 2 = 0))");
    await tx.run("CREATE TABLE children (parent INTEGER NOT NULL REFERENCES parents (id))");
    await tx.run("CREATE TABLE pairs (n INTEGER NOT NULL, tag TEXT NOT NULL, UNIQUE (n, tag))");
    await tx.run("INSERT INTO parents (id, size) VALUES (CAST(?1 AS INTEGER), CAST(?1 AS INTEGER)), (7, 2)", [far]);
    await tx.run("INSERT INTO children (parent) VALUES (CAST(? AS INTEGER))", [far]);
    await tx.run(
      "INSERT INTO pairs (n, tag) VALUES (CAST(?1 AS INTEGER), 'a'), (CAST(?1 AS INTEGER), 'b'), (2 * CAST(?1 AS INTEGER), 'a'), (3, 'a')",
      [far],
    );
  });
  await migrate();
  assert.deepEqual(await db.read.query("SELECT n, tag FROM pairs ORDER BY n, tag"), [
    { n: 3, tag: "a" },
    { n: 4, tag: "a" },
    { n: 4, tag: "b" },
    { n: 5, tag: "a" },
  ]);
  assert.deepEqual(await db.read.query("SELECT CAST(id AS TEXT) AS id, CAST(size AS TEXT) AS size FROM parents"), [
    { id: "7", size: "2" },
    { id: far, size: far },
  ]);
  assert.deepEqual(await db.read.query("SELECT CAST(parent AS TEXT) AS parent FROM children"), [{ parent: far }]);
  const left = lines.filter((l) => l.includes("left as they are"));
  for (
    const [table, column, rowid] of [["parents", "id", far], ["parents", "size", far], ["children", "parent", "1"]]
  ) {
    assert.ok(
      left.some((l) =>
        l.includes(`"table":"${table}"`) && l.includes(`"column":"${column}"`) && l.includes(`"${rowid}"`)
      ),
      `${table}.${column} at rowid ${rowid} reported:\n${lines.join("\n")}`,
    );
  }
  db.close();
});

Deno.test("migration 0011 brings times 0009 clamped to ±2^53 or stored past the year 3000 within their fields, so a repaired row no longer counts as the newest for good", async () => {
  await using dir = await tempDir();
  const { db, lines, migrate } = await databaseBefore0009(dir.path);
  await db.transaction(async (tx) => {
    // 1e18 (0009 clamps it to 2^53 - 1) and 1e15 (milliseconds times 1000, readable but past the year 3000).
    await tx.run("INSERT INTO recent_chat (timestamp, username, message) VALUES (1000000000000000000, 'eve', 'far')");
    await tx.run("INSERT INTO recent_chat (timestamp, username, message) VALUES (1000000000000000, 'ann', 'ms')");
    await tx.run("INSERT INTO recent_chat (timestamp, username, message) VALUES (1700000000, 'bob', 'then')");
    await tx.run(
      "INSERT INTO user_stats (username, first_seen, last_seen, current_session_start) VALUES ('eve', 1700000000, -1000000000000000000, 1000000000000000)",
    );
  });
  const before = now();
  await migrate();
  const after = now();
  const chat = await db.read.query<{ timestamp: number; username: string }>(
    "SELECT timestamp, username FROM recent_chat ORDER BY id",
  );
  assert.deepEqual(chat.map((r) => r.username), ["eve", "ann", "bob"]);
  for (const { timestamp } of chat.slice(0, 2)) assert.ok(timestamp >= before && timestamp <= after, `${timestamp}`);
  assert.equal(chat[2].timestamp, 1700000000, "a time within the field is kept");
  assert.deepEqual(await db.read.query("SELECT first_seen, last_seen, current_session_start FROM user_stats"), [
    { first_seen: 1700000000, last_seen: 0, current_session_start: null },
  ]);
  assert.ok(
    lines.some((l) => l.includes("Repaired times outside") && l.includes('"recent_chat"') && l.includes('"values":2')),
    lines.join("\n"),
  );
  db.close();

  await using t = await startRosey({ DATABASE_URL: `file:${dir.path}/rosey.db` });
  await publish(t, "message.log", { username: "carol", message: "later", timestamp: after + 60 });
  const recent = await request(t.nc, "rosey.db.stats.recent_chat.get", {});
  const names = (recent.data as unknown as { username: string }[]).map((m) => m.username);
  assert.equal(names.at(-1), "carol", `a message sent after the repair is the newest: ${names}`);
});
