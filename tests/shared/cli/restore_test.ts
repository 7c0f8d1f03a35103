import assert from "node:assert/strict";
import { restoreBackup } from "../../../shared/cli/restore.ts";
import { ask, publish, startRosey, tempDir } from "../../_helpers.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const TASKS: Record<string, string> = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;

/** What a user would look at: recent chat, a plugin's keys, and the conversations of one user. */
async function state(t: Awaited<ReturnType<typeof startRosey>>) {
  const chat = await ask<{ message: string }[]>(t, "stats.recent_chat.get", { limit: 10 });
  const keys = await ask<{ keys: string[] }>(t, "kv.quote-db.list", {});
  const total = await ask<{ value?: unknown }>(t, "kv.quote-db.get", { key: "total" });
  return { chat: chat.map((c) => c.message), keys: keys.keys, total: total.value };
}

/** Runs the service on `env`: writes, backs up, then changes the data and stops; what was backed up. */
async function backUpThenChange(env: Record<string, string>) {
  await using t = await startRosey(env);
  await publish(t, "message.log", { timestamp: 1_700_000_000, username: "alice", message: "before" });
  await ask(t, "kv.quote-db.set", { key: "total", value: 1 });
  const backedUp = await state(t);
  const backup = await ask<{ file: string }>(t, "admin.backup");
  await publish(t, "message.log", { timestamp: 1_700_000_100, username: "bob", message: "after" });
  await ask(t, "kv.quote-db.set", { key: "total", value: 2 });
  await ask(t, "kv.quote-db.set", { key: "later", value: true });
  await ask(t, "kv.trivia.set", { key: "round", value: 3 });
  assert.notDeepEqual(await state(t), backedUp);
  return { backedUp, backup };
}

Deno.test("deno task restore: back up, change the data, stop, restore, start: the data is as backed up, the newer copy kept aside", async () => {
  await using dir = await tempDir();
  const env = { DATABASE_PATH: `${dir.path}/live/rosey.db`, BACKUP_DIR: `${dir.path}/backups` };
  const { backedUp, backup } = await backUpThenChange(env);
  // As an operator runs it: the task in deno.json, with its flags alone.
  const [, ...args] = TASKS.restore.split(" ");
  const run = await new Deno.Command(Deno.execPath(), { args: [...args, backup.file], cwd: ROOT, env }).output();
  const out = new TextDecoder().decode(run.stdout);
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
  assert.match(out, /plugin databases: quote-db\n/);
  // What was there is kept, not deleted: the database, and each plugin's, trivia's included.
  assert.match(out, /moved aside: .*live\/rosey\.db\.before-restore-/);
  const asideTrivia = /moved aside: (.*live\/plugins\/trivia\.db\.before-restore-\S+)/.exec(out)![1];
  assert.ok((await Deno.stat(asideTrivia)).isFile);
  {
    await using t = await startRosey(env);
    assert.deepEqual(await state(t), backedUp);
    assert.equal((await ask<{ exists: boolean }>(t, "kv.trivia.get", { key: "round" })).exists, false);
  }
  assert.equal((await Deno.stat(env.DATABASE_PATH)).mode! & 0o077, 0, "restored readable by its owner alone");
});

Deno.test("deno task restore with plugin databases beside the service's own file moves only theirs aside", async () => {
  await using dir = await tempDir();
  const env = {
    DATABASE_PATH: `${dir.path}/data/rosey.db`,
    BACKUP_DIR: `${dir.path}/data/backups`,
    PLUGINS_DATABASE_URL: `file:${dir.path}/data/plugin-{plugin}.db`,
  };
  const { backedUp, backup } = await backUpThenChange(env);
  const report = await restoreBackup(backup.file, env);
  assert.deepEqual(report.plugins, ["quote-db"]);
  {
    await using t = await startRosey(env);
    assert.deepEqual(await state(t), backedUp);
  }
  assert.ok((await Deno.stat(backup.file)).isFile, "the backups stay where they were");
});

Deno.test("deno task restore refuses a file that is no sound backup, and moves nothing", async () => {
  await using dir = await tempDir();
  const env = { DATABASE_PATH: `${dir.path}/rosey.db`, BACKUP_DIR: `${dir.path}/backups` };
  {
    await using t = await startRosey(env);
    await ask(t, "kv.quote-db.set", { key: "total", value: 1 });
  }
  const before = [...Deno.readDirSync(dir.path)].map((e) => e.name).sort();
  await Deno.writeTextFile(`${dir.path}/garbage.db`, "not a database at all, just text");
  await assert.rejects(restoreBackup(`${dir.path}/garbage.db`, env), /garbage\.db (cannot be opened|is no rosey-db)/);
  await assert.rejects(restoreBackup(`${dir.path}/missing.db`, env), /missing\.db cannot be opened/);
  const after = [...Deno.readDirSync(dir.path)].map((e) => e.name).filter((n) => n !== "garbage.db").sort();
  assert.deepEqual(after, before);
});
