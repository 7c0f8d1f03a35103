import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { ask, request, startRosey, tempDir } from "../_helpers.ts";

interface Backup {
  file: string;
  plugins: { plugin: string; file: string; size_bytes: number }[];
  removed: string[];
}

Deno.test("rosey.db.admin.backup copies each plugin's database beside the service's, and retention removes them together", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({
    DATABASE_PATH: `${dir.path}/live.db`,
    BACKUP_DIR: `${dir.path}/backups`,
    RETENTION: "backups=1",
  });
  await ask(t, "kv.quote-db.set", { key: "total", value: 42 });
  await ask(t, "kv.trivia.set", { key: "round", value: 7 });
  // A cold-storage file (archived conversations live only there) and one an archival is still writing.
  const cold = `${dir.path}/backups/conversations-cold`;
  await Deno.mkdir(cold, { recursive: true });
  await Deno.writeTextFile(`${cold}/2026-01-01.jsonl.gz`, "archived");
  await Deno.writeTextFile(`${cold}/2026-01-02.jsonl.gz.tmp`, "half written");
  const first = await ask<Backup & { plugin_databases: string; cold_files: string[] }>(t, "admin.backup");
  assert.deepEqual(first.cold_files, [`${first.file.replace(/\.db$/, ".cold")}/2026-01-01.jsonl.gz`]);
  assert.equal(await Deno.readTextFile(first.cold_files[0]), "archived");
  assert.deepEqual(first.plugins.map((p) => p.plugin), ["quote-db", "trivia"]);
  assert.equal(first.plugin_databases, "copied");
  // Chat history and plugin data: the service's user alone may read them.
  for (
    const path of [
      first.file,
      first.file.replace(/\.db$/, ".plugins"),
      first.plugins[0].file,
      first.cold_files[0],
      first.file.replace(/\.db$/, ".cold"),
    ]
  ) {
    assert.equal((await Deno.stat(path)).mode! & 0o077, 0, `${path} is private`);
  }
  for (const { plugin, file } of first.plugins) {
    assert.equal(file, `${first.file.replace(/\.db$/, ".plugins")}/${plugin}.db`);
    const copy = createClient({ url: `file:${file}` });
    const [row] = (await copy.execute("SELECT value FROM _rosey_kv")).rows;
    assert.equal(row.value, plugin === "quote-db" ? "42" : "7");
    copy.close();
  }
  const second = await ask<Backup>(t, "admin.backup");
  assert.equal(second.removed.length, 1);
  const kept = [...Deno.readDirSync(`${dir.path}/backups`)].map((e) => e.name).sort();
  const base = second.file.slice(second.file.lastIndexOf("/") + 1, -3);
  assert.deepEqual(kept, ["conversations-cold", `${base}.cold`, `${base}.db`, `${base}.plugins`]);
});

Deno.test("rosey.db.admin.plugins.list gives each plugin's size, live keys and tables with their rows", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/live.db` });
  await ask(t, "kv.quote-db.set", { key: "a", value: 1 });
  await ask(t, "kv.quote-db.set", { key: "b", value: 2 });
  await ask(t, "row.quote-db.schema.register", {
    table: "quotes",
    schema: { fields: [{ name: "text", type: "text" }] },
  });
  await ask(t, "row.quote-db.insert", { table: "quotes", data: [{ text: "x" }, { text: "y" }, { text: "z" }] });
  await ask(t, "kv.trivia.set", { key: "gone", value: 1 });
  const { plugins } = await ask<{ plugins: { plugin: string; size_bytes: number; keys: number; tables: unknown[] }[] }>(
    t,
    "admin.plugins.list",
  );
  assert.deepEqual(plugins.map(({ size_bytes: _, ...rest }) => rest), [
    { plugin: "quote-db", keys: 2, tables: [{ name: "quotes", rows: 3 }] },
    { plugin: "trivia", keys: 1, tables: [] },
  ]);
  assert.ok(plugins.every((p) => p.size_bytes > 0));
});

Deno.test("rosey.db.admin.plugins.drop needs the name confirmed, then deletes the plugin's file and data", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/live.db` });
  await ask(t, "kv.trivia.set", { key: "score", value: 10 });
  const unconfirmed = await request(t.nc, "rosey.db.admin.plugins.drop", { plugin: "trivia", confirm: "yes" });
  assert.equal(unconfirmed.errorCode, "400");
  assert.match(unconfirmed.error!, /confirm: must be "trivia"/);
  assert.equal(
    (await request(t.nc, "rosey.db.admin.plugins.drop", { plugin: "../live", confirm: "../live" })).errorCode,
    "400",
  );
  assert.deepEqual(await ask(t, "admin.plugins.drop", { plugin: "trivia", confirm: "trivia" }), {
    plugin: "trivia",
    dropped: true,
  });
  await assert.rejects(Deno.stat(`${dir.path}/plugins/trivia.db`), Deno.errors.NotFound);
  assert.deepEqual(await ask(t, "admin.plugins.list"), { plugins: [] });
  assert.deepEqual(await ask(t, "admin.plugins.drop", { plugin: "trivia", confirm: "trivia" }), {
    plugin: "trivia",
    dropped: false,
  });
  // The plugin starts anew on its next write.
  assert.equal((await request(t.nc, "rosey.db.kv.trivia.get", { key: "score" })).data!.exists, false);
});

Deno.test("rosey.db.admin.plugins.drop: a write that arrives while the drop runs goes into the new database, not into deleted files", async () => {
  await using dir = await tempDir();
  const env = { DATABASE_PATH: `${dir.path}/live.db` };
  {
    await using t = await startRosey(env);
    await ask(t, "kv.trivia.set", { key: "old", value: 1 });
    const [dropped, set] = await Promise.all([
      request(t.nc, "rosey.db.admin.plugins.drop", { plugin: "trivia", confirm: "trivia" }),
      request(t.nc, "rosey.db.kv.trivia.set", { key: "new", value: 2 }),
    ]);
    assert.deepEqual([dropped.errorCode, set.errorCode], [undefined, undefined]);
  }
  // After a restart the write is there: it was not made into files the drop deleted.
  await using t = await startRosey(env);
  assert.deepEqual((await ask<{ keys: string[] }>(t, "kv.trivia.list", {})).keys, ["new"]);
});
