import assert from "node:assert/strict";
import { cp } from "node:fs/promises";
import Database from "libsql";
import { ask, request, startRosey, tempDir, type TestService } from "../_helpers.ts";

const FIXTURES = "tests/fixtures/plugins";

type Reply = Record<string, unknown> & {
  code?: string;
  error?: { code: string; message: string };
  applied?: { version: number; filename: string }[];
  rolled_back?: { version: number }[];
  current_version?: number;
};

/** The whole reply body of `rosey.db.migrate.<subject>` and its ADR-32 code. */
async function migrate(t: TestService, subject: string, body: unknown = {}): Promise<Reply> {
  const reply = await request(t.nc, `rosey.db.migrate.${subject}`, body, 10_000);
  return { ...reply.data, code: reply.errorCode } as Reply;
}

/** A service on a database file in `dir`, its plugins' migrations read from `plugins`. */
function serve(dir: string, plugins: string): Promise<TestService> {
  return startRosey({ DATABASE_PATH: `${dir}/rosey.db`, PLUGINS_DIR: plugins });
}

/** Runs `sql` on a plugin's database file directly, as another process would. */
function onPluginDb<T>(dir: string, plugin: string, sql: string): T[] {
  const db = new Database(`${dir}/plugins/${plugin}.db`);
  try {
    const statement = db.prepare(sql);
    return statement.reader ? statement.all() as T[] : (statement.run(), []);
  } finally {
    db.close();
  }
}

/** Names of the plugin's own tables, triggers and indexes (not the service's `_rosey_*` ones). */
function pluginSchema(dir: string, plugin: string): string[] {
  return onPluginDb<{ name: string }>(
    dir,
    plugin,
    "SELECT name FROM sqlite_master WHERE name NOT LIKE '\\_rosey\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name",
  ).map((row) => row.name);
}

function columns(dir: string, plugin: string, table: string): string[] {
  return onPluginDb<{ name: string }>(dir, plugin, `SELECT name FROM pragma_table_info('${table}')`).map((r) => r.name);
}

/** A PLUGINS_DIR in `dir` holding one plugin whose migrations are `files` (name → text). */
async function pluginsWith(dir: string, plugin: string, files: Record<string, string>): Promise<string> {
  const folder = `${dir}/plugin-files/${plugin}/migrations`;
  await Deno.mkdir(folder, { recursive: true });
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(`${folder}/${name}`, text);
  return `${dir}/plugin-files`;
}

Deno.test("rosey.db.migrate.<plugin>.apply runs every pending file in order and status reports it", async () => {
  await using dir = await tempDir();
  await using t = await serve(dir.path, FIXTURES);
  const before = await migrate(t, "quote-db.status");
  assert.deepEqual([before.success, before.current_version, before.applied_migrations], [true, 0, []]);
  assert.deepEqual((before.pending_migrations as { filename: string }[]).map((p) => p.filename), [
    "001_create_quotes_table.sql",
    "002_add_score.sql",
  ]);
  // Asking made no database: the plugin has none until it writes.
  await assert.rejects(Deno.stat(`${dir.path}/plugins/quote-db.db`), Deno.errors.NotFound);

  const applied = await migrate(t, "quote-db.apply", { target_version: "latest", applied_by: "ci" });
  assert.equal(applied.success, true);
  assert.deepEqual(applied.applied!.map((m) => m.version), [1, 2]);
  assert.deepEqual(applied.applied_migrations, applied.applied, "the CI script reads applied_migrations");
  assert.equal(applied.current_version, 2);
  assert.deepEqual(pluginSchema(dir.path, "quote-db"), ["idx_quotes_author", "quotes", "quotes_score_floor"]);
  assert.deepEqual(columns(dir.path, "quote-db", "quotes"), ["id", "text", "author", "added_by", "added_at", "score"]);
  // The string with a ";" in it went in whole; the trigger with CASE … END in its body works.
  const [seed] = onPluginDb<{ text: string }>(dir.path, "quote-db", "SELECT text FROM quotes");
  assert.equal(seed.text, "It's not a bug; it's an undocumented feature");
  onPluginDb(dir.path, "quote-db", "UPDATE quotes SET score = -50");
  assert.deepEqual(onPluginDb(dir.path, "quote-db", "SELECT score FROM quotes"), [{ score: -10 }]);

  const status = await migrate(t, "quote-db.status");
  assert.equal(status.current_version, 2);
  assert.deepEqual(status.pending_migrations, []);
  assert.deepEqual(status.changed_migrations, []);
  const records = status.applied_migrations as Record<string, unknown>[];
  assert.deepEqual(records.map((r) => [r.version, r.name, r.applied_by, r.status]), [
    [1, "create_quotes_table", "ci", "applied"],
    [2, "add_score", "ci", "applied"],
  ]);
  const file = await Deno.readFile(`${FIXTURES}/quote-db/migrations/001_create_quotes_table.sql`);
  assert.equal(records[0].checksum, await sha256(file), "the checksum is the file's SHA-256");
  assert.ok(!Number.isNaN(Date.parse(records[0].applied_at as string)));

  const again = await migrate(t, "quote-db.apply", {});
  assert.deepEqual([again.applied, again.current_version, again.message], [[], 2, "No pending migrations"]);
  // Another plugin's migrations went to its own database, beside quote-db's.
  assert.equal((await migrate(t, "countdown.apply", {})).current_version, 2);
  assert.deepEqual(pluginSchema(dir.path, "countdown"), ["countdowns", "idx_countdowns_pending"]);
  assert.ok(!pluginSchema(dir.path, "quote-db").includes("countdowns"));
});

Deno.test("rosey.db.migrate.<plugin>.apply stops at target_version, version or to_version", async () => {
  await using dir = await tempDir();
  await using t = await serve(dir.path, FIXTURES);
  assert.equal((await migrate(t, "countdown.apply", { to_version: 1 })).current_version, 1);
  assert.deepEqual(columns(dir.path, "countdown", "countdowns").includes("is_paused"), false);
  // The unique constraint of 001 holds.
  onPluginDb(
    dir.path,
    "countdown",
    "INSERT INTO countdowns (name, channel, target_time, created_by) VALUES ('a', 'c', 1, 'u')",
  );
  assert.throws(() =>
    onPluginDb(
      dir.path,
      "countdown",
      "INSERT INTO countdowns (name, channel, target_time, created_by) VALUES ('a', 'c', 2, 'u')",
    )
  );
  const refused = await migrate(t, "countdown.apply", { target_version: 2, version: 1 });
  assert.deepEqual([refused.code, refused.error?.code], ["400", "VALIDATION_ERROR"]);
  const missing = await migrate(t, "countdown.apply", { version: 7 });
  assert.deepEqual([missing.code, missing.error?.code], ["404", "NOT_FOUND"]);
  assert.equal((await migrate(t, "countdown.apply", { version: "2" })).current_version, 2);
  const backwards = await migrate(t, "countdown.apply", { target_version: 1 });
  assert.deepEqual([backwards.code, backwards.error?.code], ["400", "VALIDATION_ERROR"]);
  assert.match(backwards.error!.message, /rollback/);
});

Deno.test("rosey.db.migrate.<plugin>.rollback goes back by count (default 1) or to a version, and apply goes forward again", async () => {
  await using dir = await tempDir();
  await using t = await serve(dir.path, FIXTURES);
  await migrate(t, "quote-db.apply", {});
  const one = await migrate(t, "quote-db.rollback", {});
  assert.deepEqual([one.success, one.rolled_back!.map((m) => m.version), one.current_version], [true, [2], 1]);
  assert.deepEqual(columns(dir.path, "quote-db", "quotes"), ["id", "text", "author", "added_by", "added_at"]);
  assert.deepEqual(pluginSchema(dir.path, "quote-db"), ["idx_quotes_author", "quotes"]);
  const status = await migrate(t, "quote-db.status");
  assert.deepEqual((status.pending_migrations as { version: number }[]).map((p) => p.version), [2]);

  await migrate(t, "quote-db.apply", {});
  const all = await migrate(t, "quote-db.rollback", { to_version: 0, applied_by: "ops" });
  assert.deepEqual([all.rolled_back!.map((m) => m.version), all.current_version], [[2, 1], 0]);
  assert.deepEqual(pluginSchema(dir.path, "quote-db"), []);
  const history = onPluginDb<{ status: string; rolled_back_by: string }>(
    dir.path,
    "quote-db",
    "SELECT status, rolled_back_by FROM _rosey_migrations ORDER BY version",
  );
  assert.deepEqual(history, [{ status: "rolled_back", rolled_back_by: "ops" }, {
    status: "rolled_back",
    rolled_back_by: "ops",
  }]);

  // Applied again after a rollback: the record is applied once more, not a UNIQUE clash as in Rosey.
  assert.equal((await migrate(t, "quote-db.apply", {})).current_version, 2);
  assert.equal((await migrate(t, "quote-db.rollback", { count: 2 })).current_version, 0);
  const none = await migrate(t, "quote-db.rollback", {});
  assert.deepEqual([none.code, none.error?.code], ["400", "VALIDATION_ERROR"], "count 1 with nothing applied");
  const both = await migrate(t, "quote-db.rollback", { version: 0, count: 1 });
  assert.equal(both.code, "400");
  await migrate(t, "quote-db.apply", { version: 1 });
  const above = await migrate(t, "quote-db.rollback", { target_version: 2 });
  assert.deepEqual([above.code, above.error?.code], ["400", "VALIDATION_ERROR"]);
  const same = await migrate(t, "quote-db.rollback", { target_version: 1 });
  assert.deepEqual([same.rolled_back, same.current_version], [[], 1]);
});

Deno.test("rosey.db.migrate.<plugin> dry_run reports what would run and changes nothing", async () => {
  await using dir = await tempDir();
  await using t = await serve(dir.path, FIXTURES);
  const dry = await migrate(t, "quote-db.apply", { dry_run: true });
  assert.deepEqual([dry.success, dry.dry_run, dry.applied!.map((m) => m.version), dry.current_version], [
    true,
    true,
    [1, 2],
    0,
  ]);
  assert.deepEqual(pluginSchema(dir.path, "quote-db"), []);
  assert.equal((await migrate(t, "quote-db.status")).current_version, 0);

  await migrate(t, "quote-db.apply", {});
  const dryBack = await migrate(t, "quote-db.rollback", { version: 0, dry_run: true });
  assert.deepEqual([dryBack.rolled_back!.map((m) => m.version), dryBack.current_version], [[2, 1], 2]);
  assert.deepEqual(pluginSchema(dir.path, "quote-db"), ["idx_quotes_author", "quotes", "quotes_score_floor"]);
  assert.equal((await migrate(t, "quote-db.status")).current_version, 2);
  assert.equal(onPluginDb(dir.path, "quote-db", "SELECT * FROM quotes").length, 1);
});

Deno.test("rosey.db.migrate.<plugin> status reports a file changed after being applied and apply refuses to run", async () => {
  await using dir = await tempDir();
  const plugins = `${dir.path}/plugin-files`;
  await cp(FIXTURES, plugins, { recursive: true });
  const first = `${plugins}/quote-db/migrations/001_create_quotes_table.sql`;
  // CRLF line ends hash as LF, as Rosey's read_text did: the same migration.
  const text = await Deno.readTextFile(first);
  await Deno.writeTextFile(first, text.replaceAll("\n", "\r\n"));
  await using t = await serve(dir.path, plugins);
  await migrate(t, "quote-db.apply", { version: 1 });
  const recorded = (await migrate(t, "quote-db.status")).applied_migrations as { checksum: string }[];
  assert.equal(recorded[0].checksum, await sha256(new TextEncoder().encode(text)));

  await Deno.writeTextFile(first, text.replace("one quote", "two quotes"));
  const status = await migrate(t, "quote-db.status");
  assert.equal(status.success, true);
  const changed = status.changed_migrations as Record<string, unknown>[];
  assert.deepEqual(changed.map((c) => [c.version, c.filename, c.recorded_checksum]), [
    [1, "001_create_quotes_table.sql", recorded[0].checksum],
  ]);
  assert.notEqual(changed[0].file_checksum, recorded[0].checksum);
  const refused = await migrate(t, "quote-db.apply", {});
  assert.deepEqual([refused.code, refused.error?.code], ["409", "CONFLICT"]);
  assert.match(refused.error!.message, /001_create_quotes_table\.sql changed/);
  assert.deepEqual(columns(dir.path, "quote-db", "quotes").includes("score"), false, "002 did not run");
  assert.equal((await migrate(t, "quote-db.rollback", {})).code, "409", "nor does a rollback with it");

  await Deno.writeTextFile(first, text);
  assert.equal((await migrate(t, "quote-db.apply", {})).current_version, 2);
});

Deno.test("rosey.db.migrate.<plugin>.apply: a failing migration rolls back whole and keeps the version", async () => {
  await using dir = await tempDir();
  const plugins = await pluginsWith(dir.path, "broken", {
    "001_ok.sql": "-- UP\nCREATE TABLE a (x);\n-- DOWN\nDROP TABLE a;\n",
    "002_fails.sql":
      "-- UP\nCREATE TABLE b (x);\nINSERT INTO b VALUES (1);\nALTER TABLE a ADD COLUMN x TEXT;\n-- DOWN\nDROP TABLE b;\n",
  });
  await using t = await serve(dir.path, plugins);
  const failed = await migrate(t, "broken.apply", {});
  assert.deepEqual([failed.code, failed.success, failed.error?.code], ["422", false, "MIGRATION_FAILED"]);
  const message = failed.error!.message;
  assert.match(message, /002_fails\.sql/);
  assert.match(message, /statement 3 \(line 4\)/);
  assert.match(message, /duplicate column name: x/);
  assert.match(message, /001_ok\.sql was applied before it; the version is 1/);
  assert.ok(!/ALTER TABLE|CREATE TABLE|INSERT/i.test(message), `no SQL text in "${message}"`);
  assert.deepEqual(pluginSchema(dir.path, "broken"), ["a"], "002's CREATE TABLE b was rolled back with it");
  const status = await migrate(t, "broken.status");
  assert.equal(status.current_version, 1);
  assert.deepEqual((status.pending_migrations as { version: number }[]).map((p) => p.version), [2]);

  // A failing DOWN: ROLLBACK_FAILED, the migration stays applied.
  onPluginDb(dir.path, "broken", "DROP TABLE a");
  const back = await migrate(t, "broken.rollback", {});
  assert.deepEqual([back.code, back.error?.code], ["422", "ROLLBACK_FAILED"]);
  assert.match(back.error!.message, /001_ok\.sql failed to roll back.*no such table: a/);
  assert.equal((await migrate(t, "broken.status")).current_version, 1);
});

Deno.test("rosey.db.migrate.<plugin> answers LOCK_TIMEOUT while another run holds the plugin's lock", async () => {
  await using dir = await tempDir();
  await using t = await serve(dir.path, FIXTURES);
  await ask(t, "kv.quote-db.set", { key: "opened", value: true }); // makes the plugin's database
  // Another instance sharing the file took the lock a moment ago.
  const now = Date.now();
  onPluginDb(
    dir.path,
    "quote-db",
    `INSERT INTO _rosey_migration_lock VALUES (1, 'other-run', '"ci" (other-host pid 7)', ${now}, ${now + 60_000})`,
  );
  for (const subject of ["quote-db.apply", "quote-db.rollback"]) {
    const held = await migrate(t, subject, {});
    assert.deepEqual([held.code, held.success, held.error?.code], ["409", false, "LOCK_TIMEOUT"]);
    assert.match(held.error!.message, /in progress for plugin "quote-db": held by "ci" \(other-host pid 7\)/);
  }
  assert.equal((await migrate(t, "quote-db.status")).current_version, 0, "status takes no lock");
  assert.deepEqual(pluginSchema(dir.path, "quote-db"), []);
  // A lease that ran out (its run crashed) no longer holds.
  onPluginDb(dir.path, "quote-db", `UPDATE _rosey_migration_lock SET expires_at = ${now - 1}`);
  assert.equal((await migrate(t, "quote-db.apply", {})).current_version, 2);
  assert.deepEqual(
    onPluginDb(dir.path, "quote-db", "SELECT * FROM _rosey_migration_lock"),
    [],
    "released after the run",
  );
});

Deno.test("rosey.db.migrate.<plugin> answers NOT_CONFIGURED naming PLUGINS_DIR without it", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` });
  for (const subject of ["quote-db.status", "quote-db.apply", "quote-db.rollback"]) {
    const reply = await migrate(t, subject, {});
    assert.deepEqual([reply.code, reply.success, reply.error?.code], ["503", false, "NOT_CONFIGURED"], subject);
    assert.match(reply.error!.message, /PLUGINS_DIR/);
  }
  await using missing = await startRosey({ DATABASE_URL: ":memory:", PLUGINS_DIR: `${dir.path}/nowhere` });
  const reply = await migrate(missing, "quote-db.status");
  assert.deepEqual([reply.code, reply.error?.code], ["503", "NOT_CONFIGURED"]);
  assert.match(reply.error!.message, /PLUGINS_DIR ".*nowhere" is not a folder/);
});

/** Migrations a plugin could ship to reach beyond its own tables; each must be refused before it runs. */
function attacks(dir: string): Record<string, string> {
  return {
    attach: "ATTACH '../rosey.db' AS main2;\nCREATE TABLE main2.stolen AS SELECT * FROM main2.schema_migrations;",
    "attach-hidden": `/* hi */ attach/**/database '${dir}/rosey.db' as "x";`,
    vacuum: `-- a copy\nVACUUM INTO '${dir}/copy.db';`,
    "rosey-create": "CREATE TABLE _rosey_kv2 (a);",
    "rosey-drop": "DROP TABLE _rosey_kv;",
    "rosey-case": 'DROP TABLE "_ROSEY_KV";',
    "rosey-bracket": "DELETE FROM main.[_rosey_migrations];",
    "rosey-string": "CREATE TABLE '_rosey_x' (a);",
    "quote-escape": 'CREATE TABLE "x";ATTACH \'../rosey.db\' AS y;--" (a);',
    "comment-escape": "SELECT 1 /* ; */ ; ATTACH 'x.db' AS y;",
    "bracket-escape": "CREATE TABLE [a'] (b); ATTACH 'x.db' AS y; -- '",
    "backtick-escape": "CREATE TABLE `a'` (b); ATTACH 'x.db' AS y; -- '",
    writefile: `SELECT writefile('${dir}/written', 'x');`,
    "load-extension": "SELECT \"load_extension\"('x');",
    "sha3-query": "SELECT sha3_query('ATTACH ''x.db'' AS y');",
    fsdir: "SELECT * FROM fsdir('/');",
    "pragma-schema": "PRAGMA writable_schema = ON;",
    "pragma-journal": "pragma main.journal_mode = DELETE;",
    "sqlite-sequence": "CREATE TABLE q (a);\nUPDATE sqlite_sequence SET seq = 0;",
    "on-conflict-rollback": "CREATE TABLE t (a UNIQUE ON CONFLICT ROLLBACK);",
    commit: "CREATE TABLE t (a);\nCOMMIT;",
    temp: "CREATE TEMP TABLE t (a);",
    trigger: "CREATE TABLE q (a);\nCREATE TRIGGER t AFTER INSERT ON q BEGIN DELETE FROM _rosey_kv; END;",
    unterminated: "SELECT 'no end;",
    parameter: "CREATE TABLE q (a);\nINSERT INTO q VALUES (:a);",
  };
}

Deno.test("rosey.db.migrate.<plugin>.apply refuses migration SQL that reaches beyond the plugin's own tables", async () => {
  await using dir = await tempDir();
  const plugins = `${dir.path}/plugin-files`;
  for (const [plugin, up] of Object.entries(attacks(dir.path))) {
    await pluginsWith(dir.path, plugin, { "001_attack.sql": `-- UP\n${up}\n-- DOWN\nSELECT 1;\n` });
  }
  // A quoted name that only looks like it escapes is a name: the table is made, nothing else happens.
  await pluginsWith(dir.path, "quoted-name", {
    "001_name.sql": '-- UP\nCREATE TABLE "x"";ATTACH \'../rosey.db\' AS y;--" (a);\n-- DOWN\nSELECT 1;\n',
  });
  await using t = await serve(dir.path, plugins);
  await request(t.nc, "rosey.db.kv.victim.set", { key: "k", value: "untouched" });
  const mainTables = await t.service.db()!.read.query("SELECT name, sql FROM sqlite_master ORDER BY name");

  for (const plugin of Object.keys(attacks(dir.path))) {
    const reply = await migrate(t, `${plugin}.apply`, {});
    assert.deepEqual(
      [reply.code, reply.error?.code],
      ["422", "MIGRATION_FAILED"],
      `${plugin}: ${JSON.stringify(reply)}`,
    );
    assert.match(
      reply.error!.message,
      /^Migration 001_attack\.sql cannot apply: line \d+: .+; nothing was changed$/,
      plugin,
    );
    assert.deepEqual(pluginSchema(dir.path, plugin), [], `${plugin} made nothing`);
    assert.equal((await migrate(t, `${plugin}.status`)).current_version, 0);
    const pending = (await migrate(t, `${plugin}.status`)).pending_migrations as { problem?: string }[];
    assert.ok(pending[0].problem, `${plugin}: status names the problem`);
  }
  const named = await migrate(t, "quoted-name.apply", {});
  assert.equal(named.current_version, 1);
  assert.deepEqual(pluginSchema(dir.path, "quoted-name"), [`x";ATTACH '../rosey.db' AS y;--`]);

  for (const file of ["copy.db", "written", "plugins/x.db", "x.db"]) {
    assert.equal(
      await Deno.stat(`${dir.path}/${file}`).then(() => true, () => false),
      false,
      `${file} was not written`,
    );
  }
  assert.deepEqual(await t.service.db()!.read.query("SELECT name, sql FROM sqlite_master ORDER BY name"), mainTables);
  const victim = await request(t.nc, "rosey.db.kv.victim.get", { key: "k" });
  assert.equal(victim.data!.value, "untouched");
});

Deno.test("rosey.db.migrate.<plugin>: a subject token that is no plugin name is an INVALID_SUBJECT, a dotted one reaches nothing", async () => {
  await using dir = await tempDir();
  await using t = await serve(dir.path, FIXTURES);
  for (const token of ["Quote-DB", "%2e%2e", "_rosey", "a$b", "x".repeat(65)]) {
    for (const op of ["apply", "rollback", "status"]) {
      const reply = await migrate(t, `${token}.${op}`, {});
      assert.deepEqual([reply.code, reply.error?.code], ["400", "INVALID_SUBJECT"], `${token}.${op}`);
    }
  }
  // "quote.db" and ".." are more than one token: no migrate subject matches them.
  await assert.rejects(request(t.nc, "rosey.db.migrate.quote.db.apply", {}, 1000));
  await assert.rejects(request(t.nc, "rosey.db.migrate.quote-db.x.apply", {}, 1000));
  const files = [];
  for await (const entry of Deno.readDir(dir.path)) files.push(entry.name);
  assert.deepEqual(files.filter((f) => !f.startsWith("rosey.db")), [], "no plugin database was opened");
});

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
