import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { importJson } from "../../../shared/cli/import_json.ts";
import { tempDir } from "../../_helpers.ts";

const LEGACY = {
  "1178123456789012345": {
    channel_id: "900000000000000001",
    guild_id: "800000000000000001",
    title: "Read the rules",
    interval: 60,
    paused: false,
    last_reminder: 1795386000,
    required_reactions: ["✅"],
    reactions: { "✅": ["111", "222"] },
  },
  "1178123456789012346": {
    channel_id: "900000000000000001",
    guild_id: "800000000000000001",
    title: "Event night",
    description: "Friday",
    interval: 1440,
    paused: true,
    last_reminder: null,
    required_reactions: ["👍", "🎉"],
    reactions: { "👍": ["111"] },
  },
};

async function dump(path: string) {
  const db = createClient({ url: `file:${path}` });
  const out: Record<string, unknown[]> = {};
  for (const table of ["reminder_guilds", "reminder_events", "reminder_reactions"]) {
    out[table] = (await db.execute(`SELECT * FROM ${table} ORDER BY rowid`)).rows.map((r) => ({ ...r }));
  }
  db.close();
  return out;
}

Deno.test("deno task import-json imports the legacy file, keeps a copy, and a second run changes nothing", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/reminders.json`;
  await Deno.writeTextFile(file, JSON.stringify(LEGACY, null, 2));
  const env = { DATABASE_PATH: `${dir.path}/r.db`, BACKUP_DIR: `${dir.path}/backups` };
  const first = await importJson(file, env);
  assert.deepEqual(
    [first.events, first.guilds_created, first.events_created, first.events_updated, first.reactions_added],
    [2, 1, 2, 0, 3],
  );
  assert.equal(await Deno.readTextFile(first.backup), await Deno.readTextFile(file));
  const before = await dump(env.DATABASE_PATH);
  const events = before.reminder_events as { message_id: string; is_paused: number; required_reactions: string }[];
  assert.deepEqual(events.map((e) => [e.message_id, e.is_paused, e.required_reactions]), [
    ["1178123456789012345", 0, '["✅"]'],
    ["1178123456789012346", 1, '["👍","🎉"]'],
  ]);
  const second = await importJson(file, env);
  assert.deepEqual([
    second.guilds_created,
    second.events_created,
    second.events_updated,
    second.events_unchanged,
    second.reactions_added,
  ], [0, 0, 0, 2, 0]);
  assert.deepEqual(await dump(env.DATABASE_PATH), before);
});

/** A database in `dir` holding one imported event, its settings and its dump before the next import. */
async function importedOnce(dir: string) {
  const env = { DATABASE_PATH: `${dir}/r.db`, BACKUP_DIR: `${dir}/backups` };
  const good = `${dir}/good.json`;
  await Deno.writeTextFile(good, JSON.stringify({ "1": LEGACY["1178123456789012345"] }));
  await importJson(good, env);
  return { env, before: await dump(env.DATABASE_PATH) };
}

Deno.test("deno task import-json rejects a malformed file with the line or key at fault and imports nothing", async () => {
  await using dir = await tempDir();
  const { env, before } = await importedOnce(dir.path);

  const syntax = `${dir.path}/syntax.json`;
  await Deno.writeTextFile(syntax, '{\n  "2": {\n    "title": "x",\n  }\n}\n');
  await assert.rejects(importJson(syntax, env), /^Error: Invalid JSON at line 4/);

  const badKey = `${dir.path}/bad.json`;
  const broken = { "3": LEGACY["1178123456789012346"], "4": { ...LEGACY["1178123456789012345"], interval: "hourly" } };
  await Deno.writeTextFile(badKey, JSON.stringify(broken));
  await assert.rejects(importJson(badKey, env), /Invalid event at \["4"\]\["interval"\] \(line 1\): expected number/);

  const imprecise = `${dir.path}/numbers.json`;
  await Deno.writeTextFile(
    imprecise,
    '{"5": {"channel_id": 900000000000000001, "guild_id": "g", "title": "t", "interval": 5}}',
  );
  await assert.rejects(importJson(imprecise, env), /\["5"\]\["channel_id"\] \(line 1\): too large to be exact/);
  assert.deepEqual(await dump(env.DATABASE_PATH), before);
});

Deno.test("deno task import-json prints counts as JSON, and one line and exit status 1 for a bad file", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/reminders.json`;
  await Deno.writeTextFile(file, JSON.stringify(LEGACY));
  const run = (path: string) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "shared/cli/import_json.ts", path, "--db-path", `${dir.path}/cli.db`],
      env: { BACKUP_DIR: `${dir.path}/backups` },
      stdout: "piped",
      stderr: "piped",
    }).output();
  const ok = await run(file);
  assert.equal(ok.code, 0);
  assert.equal(JSON.parse(new TextDecoder().decode(ok.stdout)).events_created, 2);
  // Progress goes to stderr as plain lines when it is no terminal, the last one complete.
  const lines = new TextDecoder().decode(ok.stderr).trim().split("\n");
  assert.match(lines.at(-1)!, new RegExp(`^Importing ${file}: 2/2 events \\(100 %, [\\d.]+ s\\)$`));
  await Deno.writeTextFile(file, "[1, 2");
  const bad = await run(file);
  assert.equal(bad.code, 1);
  assert.match(new TextDecoder().decode(bad.stderr).trim(), /^Import failed: Invalid JSON/);
});

/** A file of four events, each broken in a different way. */
const FOUR_BAD = `{
  "1": { "channel_id": "9", "guild_id": "8", "title": "ok", "interval": 60 },
  "2": {
    "channel_id": "9",
    "guild_id": "8",
    "title": "",
    "interval": 60
  },
  "3": { "channel_id": "9", "guild_id": "8", "title": "t", "interval": "hourly" },
  "4": { "channel_id": "9", "guild_id": "8", "title": "t", "interval": 5, "colour": "red" },
  "x5": { "channel_id": "9", "guild_id": "8", "title": "t", "interval": 5 }
}
`;

Deno.test("deno task import-json reports every bad entry of a file in one run, each with its key and line", async () => {
  await using dir = await tempDir();
  const { env, before } = await importedOnce(dir.path);
  const file = `${dir.path}/four.json`;
  await Deno.writeTextFile(file, FOUR_BAD);
  const error = await importJson(file, env).then(() => assert.fail("imported"), (error) => error);
  assert.ok(error instanceof AggregateError);
  assert.deepEqual(error.errors.map((e: Error) => e.message), [
    'Invalid event at ["2"]["title"] (line 6): must not be empty',
    'Invalid event at ["3"]["interval"] (line 9): expected number, received string',
    'Invalid event at ["4"] (line 10): unknown key "colour"',
    'Invalid event at ["x5"] (line 11): invalid key: message ids are digits',
  ]);
  assert.match(error.message, /^4 problems in the file: Invalid event at \["2"\]\["title"\]/);
  assert.deepEqual(await dump(env.DATABASE_PATH), before);
});

Deno.test("deno task import-json prints one line per bad entry and exits 1", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/four.json`;
  await Deno.writeTextFile(file, FOUR_BAD);
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "shared/cli/import_json.ts", file, "--db-path", `${dir.path}/cli.db`],
    env: { BACKUP_DIR: `${dir.path}/backups` },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(bad.code, 1);
  const lines = new TextDecoder().decode(bad.stderr).trim().split("\n");
  assert.deepEqual(lines.map((line) => /^Import failed: Invalid event at (\S+) \(line (\d+)\)/.exec(line)?.slice(1)), [
    ['["2"]["title"]', "6"],
    ['["3"]["interval"]', "9"],
    ['["4"]', "10"],
    ['["x5"]', "11"],
  ]);
});
