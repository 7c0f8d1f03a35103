import assert from "node:assert/strict";
import Database from "libsql";
import { importRosey } from "../../../shared/cli/import_rosey.ts";
import { ask, startRosey, tempDir } from "../../_helpers.ts";

const FIXTURES = new URL("../../fixtures/legacy/", import.meta.url).pathname;
const FIXTURE = `${FIXTURES}rosey-882c482-plugins.db`;
const EXPECTED: {
  tables: Record<string, number>;
  kv_plugins: Record<string, number>;
  registered_tables: string[];
  applied_migrations: string[];
} = JSON.parse(await Deno.readTextFile(`${FIXTURES}rosey-882c482-plugins.json`));
/** Rosey's bot tables (none holds plugin data) and its plugin bookkeeping, which becomes the plugins' own. */
const NOT_PLUGIN_TABLES = [
  "user_stats",
  "user_actions",
  "channel_stats",
  "user_count_history",
  "recent_chat",
  "current_status",
  "outbound_messages",
  "api_tokens",
  "plugin_kv_storage",
  "plugin_table_schemas",
  "plugin_schema_migrations",
];

/** A writable copy of the fixture in `dir`, and the service settings that put plugin databases beside it. */
async function fixtureCopy(dir: string) {
  const file = `${dir}/rosey.db`;
  await Deno.copyFile(FIXTURE, file);
  await Deno.chmod(file, 0o644);
  return { file, env: { DATABASE_PATH: `${dir}/data/rosey.db` }, plugins: `${dir}/data/plugins` };
}

function open(path: string) {
  return new Database(path);
}

/** Every row of `table`, integers as bigint and reals as numbers, so a changed storage class shows. */
// deno-lint-ignore no-explicit-any
function all(db: Database.Database, sql: string, args: unknown[] = []): Record<string, any>[] {
  const statement = db.prepare(sql);
  statement.safeIntegers(true);
  // deno-lint-ignore no-explicit-any
  return statement.all(args) as Record<string, any>[];
}

async function sha256(path: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(path)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Rosey's naive UTC text as rosey-db answers it. */
function iso(text: string): string {
  return `${text.replace(" ", "T")}+00:00`;
}

Deno.test("import-rosey accounts for every key, row and applied migration of the Rosey fixture, its .json's counts", async () => {
  await using dir = await tempDir();
  const { file, env, plugins } = await fixtureCopy(dir.path);
  const before = await sha256(file);
  const report = await importRosey(file, env);
  assert.equal(await sha256(file), before, "the Rosey file is left as it was");
  const source = open(file);

  // Keys: each of Rosey's is imported or, having expired (notes/session, Unix second 1796167882), skipped.
  const byPlugin = Object.fromEntries(report.plugins.map((p) => [p.plugin, p]));
  for (const [plugin, count] of Object.entries(EXPECTED.kv_plugins)) {
    assert.equal(byPlugin[plugin].keys.imported + byPlugin[plugin].keys.expired.length, count, plugin);
  }
  assert.deepEqual(byPlugin.notes.keys.expired, ["session"]);
  for (const row of all(source, "SELECT * FROM plugin_kv_storage WHERE expires_at IS NULL")) {
    const target = open(`${plugins}/${row.plugin_name}.db`);
    const [stored] = all(target, "SELECT value, expires_at, updated_at FROM _rosey_kv WHERE key = ?", [row.key]);
    target.close();
    assert.deepEqual(JSON.parse(stored.value as string), JSON.parse(row.value_json as string));
    assert.deepEqual([stored.expires_at, stored.updated_at], [null, (row.updated_at as bigint) * 1000n]);
  }

  // Tables: every Rosey table that is no bot table went to one plugin, with all its rows.
  const mapped = report.plugins.flatMap((p) => p.tables.map((t) => ({ plugin: p.plugin, ...t })));
  const pluginTables = Object.keys(EXPECTED.tables).filter((t) => !NOT_PLUGIN_TABLES.includes(t)).sort();
  assert.deepEqual(mapped.map((t) => t.source).sort(), pluginTables);
  for (const table of mapped) assert.equal(table.rows, EXPECTED.tables[table.source], table.source);
  assert.deepEqual(
    mapped.filter((t) => t.made === "registered").map((t) => `${t.plugin}.${t.target}`).sort(),
    EXPECTED.registered_tables,
  );
  assert.deepEqual(
    mapped.map((t) => [t.plugin, t.source, t.sqlName]).sort(),
    [
      ["countdown", "countdowns", "countdowns"],
      ["quote-db", "quote-db_quotes", "quotes"],
      ["quote-db", "quotes", "quotes_from_migrations"],
      ["trivia", "trivia_achievements", "achievements"],
      ["trivia", "trivia_category_stats", "category_stats"],
      ["trivia", "trivia_channel_stats", "channel_stats"],
      ["trivia", "trivia_games", "games"],
      ["trivia", "trivia_user_stats", "user_stats"],
    ],
  );
  for (const table of mapped) {
    const target = open(`${plugins}/${table.plugin}.db`);
    const got = all(target, `SELECT * FROM "${table.sqlName}" ORDER BY rowid`);
    const want = all(source, `SELECT * FROM "${table.source}" ORDER BY rowid`);
    target.close();
    // Copied tables hold Rosey's rows exactly; registered ones the same values, times in rosey-db's fixed width.
    const fixed = (row: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(row).map((
          [k, v],
        ) => [k, typeof v === "string" && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+$/.test(v) ? v.padEnd(26, "0") : v]),
      );
    assert.deepEqual(got, table.made === "copied" ? want : want.map(fixed), table.source);
  }
  const quoteDb = open(`${plugins}/quote-db.db`);
  assert.deepEqual(all(quoteDb, "SELECT name, seq FROM sqlite_sequence ORDER BY name"), [
    { name: "quotes", seq: 3n },
    { name: "quotes_from_migrations", seq: 5n },
  ]);
  assert.deepEqual(
    all(quoteDb, "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'quotes_from_migrations'"),
    [{ name: "idx_quotes_author" }, { name: "idx_quotes_score" }],
  );
  quoteDb.close();

  // Migrations: every record, with its checksum and status.
  const records = report.plugins.flatMap((p) => {
    const target = open(`${plugins}/${p.plugin}.db`);
    const rows = all(target, "SELECT ? AS plugin, * FROM _rosey_migrations ORDER BY version", [p.plugin]);
    target.close();
    return rows;
  });
  assert.deepEqual(
    records.filter((r) => r.status === "applied").map((r) => `${r.plugin} v${r.version} ${r.name}`).sort(),
    [...EXPECTED.applied_migrations].sort(),
  );
  const rosey = all(source, "SELECT * FROM plugin_schema_migrations ORDER BY id");
  assert.deepEqual(
    records.map((r) => [r.plugin, r.version, r.checksum, r.applied_by, r.applied_at]).sort(),
    rosey.map((
      r,
    ) => [r.plugin_name, r.version, r.checksum, r.applied_by, `${(r.applied_at as string).replace(" ", "T")}Z`])
      .sort(),
  );
  source.close();
});

Deno.test("After import-rosey, row, kv and migrate subjects answer what Rosey had", async () => {
  await using dir = await tempDir();
  const { file, env } = await fixtureCopy(dir.path);
  await importRosey(file, env);
  // status reads the plugin's migration files; an empty folder has none, the records give the version.
  await Deno.mkdir(`${dir.path}/plugin-files`);
  await using t = await startRosey({ ...env, PLUGINS_DIR: `${dir.path}/plugin-files` });

  // quote-db's row operations on "quotes" read Rosey's "quote-db_quotes": ids 1 and 3, score 2 after two upvotes.
  const quotes = await ask<{ rows: Record<string, unknown>[] }>(t, "row.quote-db.search", {
    table: "quotes",
    filters: {},
    limit: 10000,
  });
  assert.deepEqual(quotes.rows, [
    {
      id: 1,
      text: "bq6b0d30 The only way out is through.",
      author: "Robert Frost bq6b0d30",
      added_by: "alice",
      added_at: iso("2026-12-01 23:31:18.756000"),
      score: 2,
      tags: "[]",
      created_at: iso("2026-12-01 23:31:21.772469"),
      updated_at: iso("2026-12-01 23:31:21.864059"),
    },
    {
      id: 3,
      text: "bq6b0d30 Premature optimization is the root of all evil.",
      author: "Donald Knuth bq6b0d30",
      added_by: "carol",
      added_at: iso("2026-12-01 23:31:20.756000"),
      score: 0,
      tags: "[]",
      created_at: iso("2026-12-01 23:31:21.803759"),
      updated_at: iso("2026-12-01 23:31:21.803759"),
    },
  ]);
  assert.deepEqual(await ask(t, "row.quote-db.select", { table: "quotes", id: 2 }), { success: true, exists: false });
  const top = await ask<{ rows: { id: number }[] }>(t, "row.quote-db.search", {
    table: "quotes",
    filters: { score: { $gte: 1 } },
    sort: { field: "score", order: "desc" },
  });
  assert.deepEqual(top.rows.map((r) => r.id), [1]);
  const seeds = await ask<{ rows: { author: string }[] }>(t, "row.quote-db.search", {
    table: "quotes_from_migrations",
  });
  assert.equal(seeds.rows.length, 5);
  const added = await ask<{ id: number }>(t, "row.quote-db.insert", {
    table: "quotes",
    data: { text: "New", author: "A", added_by: "x", added_at: "2026-12-02T10:00:00+00:00", score: 0, tags: "[]" },
  });
  assert.equal(added.id, 4, "ids go on after Rosey's");

  const alice = await ask<{ rows: Record<string, unknown>[] }>(t, "row.trivia.search", {
    table: "user_stats",
    filters: { user_id: "alice-6b0d30" },
    limit: 1,
  });
  assert.deepEqual(
    [alice.rows[0].id, alice.rows[0].total_points, alice.rows[0].fastest_answer_ms, alice.rows[0].favorite_category],
    [1, 60, 1234, "Science"],
  );
  const board = await ask<{ rows: { user_id: string; total_points: number }[] }>(t, "row.trivia.search", {
    table: "channel_stats",
    filters: { channel: "#lobby" },
    sort: { field: "total_points", order: "desc" },
    limit: 10,
  });
  assert.deepEqual(board.rows.map((r) => [r.user_id, r.total_points]), [["alice-6b0d30", 60], ["bob-6b0d30", 10]]);
  const game = await ask<{ data: Record<string, unknown> }>(t, "row.trivia.select", { table: "games", id: 2 });
  assert.deepEqual([game.data.winner_id, game.data.started_at], [null, iso("2026-12-01 23:31:22.063000")]);
  const pending = await ask(t, "row.countdown.select", {
    table: "countdowns",
    filters: { completed: { $eq: false } },
    count_only: true,
  });
  assert.deepEqual(pending, { success: true, count: 0 });

  const value = async (
    plugin: string,
    key: string,
  ) => (await ask<{ exists: boolean; value?: unknown }>(t, `kv.${plugin}.get`, { key }));
  assert.deepEqual((await value("notes", "config")).value, { theme: "dark", n: [1, 2, { x: "é✓" }] });
  assert.deepEqual((await value("notes", "list")).value, ["a", 1, true]);
  assert.equal((await value("notes", "count")).value, 43);
  assert.equal((await value("notes", "user:bob")).value, "user:bob");
  assert.equal((await value("notes", "session")).exists, false);
  assert.equal((await value("notes-other", "count")).value, "other");
  const listed = await ask<{ keys: string[] }>(t, "kv.notes.list", {});
  assert.deepEqual(listed.keys, ["config", "count", "list", "user:alice", "user:bob", "user:carol"]);

  const status = await ask<{ current_version: number; applied_migrations: { version: number; checksum: string }[] }>(
    t,
    "migrate.quote-db.status",
  );
  assert.equal(status.current_version, 3);
  assert.deepEqual(status.applied_migrations.map((m) => [m.version, m.checksum.slice(0, 8)]), [
    [1, "4ea6ea88"],
    [2, "879e1352"],
    [3, "577bf35b"],
  ]);
  const countdown = await ask<{ current_version: number }>(t, "migrate.countdown.status");
  assert.equal(countdown.current_version, 2);
});

Deno.test("import-rosey --dry-run writes nothing, and a plugin database that holds data stops the import naming it", async () => {
  await using dir = await tempDir();
  const { file, env, plugins } = await fixtureCopy(dir.path);
  const dry = await importRosey(file, env, { dryRun: true });
  assert.equal(dry.dryRun, true);
  assert.equal(dry.plugins.find((p) => p.plugin === "quote-db")?.tables.find((t) => t.source === "quotes")?.rows, 5);
  await assert.rejects(Deno.stat(`${dir.path}/data`), Deno.errors.NotFound);

  await importRosey(file, env, { plugins: ["notes"] });
  const notes = await Deno.readFile(`${plugins}/notes.db`);
  const error = await importRosey(file, env).then(() => undefined, (e) => e);
  assert.ok(error instanceof AggregateError);
  assert.deepEqual(error.errors.map((e: Error) => e.message), [
    `${plugins}/notes.db already holds data (6 key(s))`,
  ]);
  assert.deepEqual(
    await Array.fromAsync(Deno.readDir(plugins), (e) => e.name).then((n) => n.filter((x) => x.endsWith(".db"))),
    ["notes.db"],
  );
  assert.deepEqual(await Deno.readFile(`${plugins}/notes.db`), notes);
  // The rest, named: what --plugin leaves out is not touched.
  const rest = await importRosey(file, env, { plugins: ["countdown", "notes-other", "quote-db", "trivia"] });
  assert.deepEqual(rest.plugins.map((p) => p.plugin), ["countdown", "notes-other", "quote-db", "trivia"]);
});

Deno.test("import-rosey skips and reports a plugin name that is none, and stops at a table no plugin owns until told", async () => {
  await using dir = await tempDir();
  const { file, env, plugins } = await fixtureCopy(dir.path);
  const db = open(file);
  db.prepare("INSERT INTO plugin_kv_storage VALUES (?, 'k', '1', NULL, 1, 1)").run(["../escape"]);
  db.prepare("INSERT INTO plugin_kv_storage VALUES (?, 'k', '1', NULL, 1, 1)").run(["Notes.v2"]);
  db.exec("CREATE TABLE mystery (x REAL); INSERT INTO mystery VALUES (2.0)");
  db.close();

  await assert.rejects(importRosey(file, env), (error: AggregateError) => {
    assert.match(
      error.errors[0].message,
      /table "mystery": no plugin is known to own it: name one with --table mystery=PLUGIN/,
    );
    return true;
  });
  await assert.rejects(Deno.stat(`${dir.path}/data`), Deno.errors.NotFound);

  const report = await importRosey(file, env, { tables: { mystery: "notes" } });
  assert.deepEqual(report.left, [
    { plugin: "../escape", what: "every key, table and migration", reason: "not a plugin name" },
    { plugin: "Notes.v2", what: "every key, table and migration", reason: "not a plugin name" },
  ]);
  const files = [];
  for await (const entry of Deno.readDir(dir.path)) files.push(entry.name);
  assert.deepEqual(files.sort(), ["data", "rosey.db"]);
  assert.deepEqual(
    await Array.fromAsync(Deno.readDir(plugins), (e) => e.name).then((n) => n.filter((x) => x.endsWith(".db")).sort()),
    ["countdown.db", "notes-other.db", "notes.db", "quote-db.db", "trivia.db"],
  );
  const notes = open(`${plugins}/notes.db`);
  assert.deepEqual(all(notes, "SELECT x, typeof(x) AS type FROM mystery"), [{ x: 2, type: "real" }]);
  notes.close();
});

Deno.test("deno task import-rosey prints the mapping, and says why it stops with status 1", async () => {
  await using dir = await tempDir();
  const { file, plugins } = await fixtureCopy(dir.path);
  const run = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "shared/cli/import_rosey.ts", file, "--db-path", `${dir.path}/data/rosey.db`, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
  const ok = await run();
  assert.equal(ok.code, 0);
  const out = new TextDecoder().decode(ok.stdout);
  assert.match(out, /^quote-db → .*\/plugins\/quote-db\.db$/m);
  assert.match(out, /table "quote-db_quotes" → "quotes": 2 rows/);
  assert.match(out, /table "quotes" → "quotes_from_migrations": 5 rows, .*never this table/);
  assert.match(out, /keys: 6 imported, 1 expired skipped \("session"\)/);
  assert.match(out, /migrations: 3 recorded, 3 applied, current_version 3/);
  const again = await run();
  assert.equal(again.code, 1);
  assert.match(
    new TextDecoder().decode(again.stderr),
    new RegExp(`Import failed: ${plugins}/quote-db.db already holds data`),
  );
  const bad = await run("--frobnicate", "x");
  assert.equal(bad.code, 2);
});

Deno.test("import-rosey finds a table's plugin in its migration files, and adopts a registered table whose columns changed", async () => {
  await using dir = await tempDir();
  const { file, env, plugins } = await fixtureCopy(dir.path);
  const files = `${dir.path}/plugin-files`;
  await Deno.mkdir(`${files}/widget-box/migrations`, { recursive: true });
  await Deno.writeTextFile(
    `${files}/widget-box/migrations/001_widgets.sql`,
    "-- UP\nCREATE TABLE IF NOT EXISTS widgets (id INTEGER PRIMARY KEY, name TEXT);\n-- DOWN\nDROP TABLE widgets;\n",
  );
  const db = open(file);
  db.exec(`CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO widgets VALUES (7, 'gear');
    INSERT INTO plugin_schema_migrations (plugin_name, version, name, checksum, applied_at, applied_by, status)
      VALUES ('widget-box', 1, 'widgets', 'abc', '2026-12-01 10:00:00.000001', 'system', 'applied');
    ALTER TABLE trivia_achievements ADD COLUMN note TEXT;`);
  db.close();

  const report = await importRosey(file, { ...env, PLUGINS_DIR: files });
  const widgets = report.plugins.find((p) => p.plugin === "widget-box")!;
  assert.deepEqual(widgets.tables.map((t) => [t.source, t.sqlName, t.rows]), [["widgets", "widgets", 1]]);
  assert.match(widgets.tables[0].why, /plugin-files\/widget-box\/migrations\/001_widgets\.sql/);
  const trivia = report.plugins.find((p) => p.plugin === "trivia")!;
  const achievements = trivia.tables.find((t) => t.target === "achievements")!;
  assert.deepEqual([achievements.sqlName, achievements.made, achievements.rows], ["trivia_achievements", "copied", 1]);

  await using t = await startRosey({ ...env, PLUGINS_DIR: files });
  const found = await ask<{ rows: Record<string, unknown>[] }>(t, "row.trivia.search", {
    table: "achievements",
    filters: { user_id: "alice-6b0d30" },
  });
  assert.deepEqual(
    found.rows.map((r) => [r.id, r.achievement_id, r.note]),
    [[1, "first_win", null]],
  );
  assert.deepEqual(await ask(t, "row.widget-box.select", { table: "widgets", id: 7 }), {
    success: true,
    exists: true,
    data: { id: 7, name: "gear" },
  });
  const registry = open(`${plugins}/trivia.db`);
  assert.deepEqual(all(registry, "SELECT sql_name, adopted FROM _rosey_tables WHERE name = 'achievements'"), [
    { sql_name: "trivia_achievements", adopted: 1n },
  ]);
  registry.close();
});
