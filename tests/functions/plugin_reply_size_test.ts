/**
 * Plugin storage on a nats-server whose max_payload is 64 KiB: lists answer what fits and say where
 * the rest is, and a value is refused when it could not be read back.
 */
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { startNatsServer } from "../../shared/nats/local_server.ts";
import { ask, request, startRosey, tempDir } from "../_helpers.ts";

const KIB = 1024;

async function smallServer(dir: string) {
  await Deno.writeTextFile(`${dir}/nats.conf`, "max_payload: 65536\n");
  return await startNatsServer({ args: ["-c", `${dir}/nats.conf`] });
}

Deno.test("kv get_many answers the values that fit max_payload and where to ask again; asking again gets the rest", async () => {
  await using dir = await tempDir();
  await using nats = await smallServer(dir.path);
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` }, nats);
  const keys = ["a", "b", "c", "d", "e"];
  for (const key of keys) await ask(t, "kv.notes.set", { key, value: key.repeat(20 * KIB) });
  const seen: Record<string, string> = {};
  let wanted = ["missing", ...keys, "a", "also-missing"];
  for (let round = 0;; round++) {
    assert.ok(round < 10, "no progress");
    const reply = await ask<{ data: { values: Record<string, string>; truncated: boolean; next?: number } }>(
      t,
      "kv.notes.get_many",
      { keys: wanted },
    );
    const { values, truncated, next } = reply.data;
    assert.ok(Object.keys(values).length > 0, "an empty page");
    Object.assign(seen, values);
    if (!truncated) break;
    wanted = wanted.slice(next);
  }
  assert.deepEqual(Object.keys(seen).sort(), keys);
  for (const key of keys) assert.equal(seen[key], key.repeat(20 * KIB));
});

Deno.test("kv get_many with a thousand long keys and large values still answers within max_payload", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` });
  const keys = Array.from({ length: 1000 }, (_, i) => `${i}-`.padEnd(250, "k"));
  await Promise.all(keys.slice(0, 20).map((key) => ask(t, "kv.notes.set", { key, value: "v".repeat(60 * KIB) })));
  const reply = await request(t.nc, "rosey.db.kv.notes.get_many", { keys });
  assert.equal(reply.errorCode, undefined, reply.error ?? "");
  const data = reply.data as { values: Record<string, string>; truncated: boolean; next: number };
  assert.equal(data.truncated, true);
  assert.ok(data.next > 0 && data.next < 20, `next ${data.next}`);
  assert.deepEqual(Object.keys(data.values), keys.slice(0, data.next));
});

Deno.test("kv list pages by what fits max_payload as well as by count, and the pages hold every key once", async () => {
  await using dir = await tempDir();
  await using nats = await smallServer(dir.path);
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` }, nats);
  const keys = Array.from({ length: 300 }, (_, i) => `${String(i).padStart(3, "0")}-`.padEnd(250, "k"));
  await Promise.all(keys.map((key) => ask(t, "kv.notes.set", { key, value: 1 })));
  const listed: string[] = [];
  let after: string | undefined;
  for (let page = 0;; page++) {
    assert.ok(page < 50, "no end");
    const { keys: got, truncated } = await ask<{ keys: string[]; truncated: boolean }>(t, "kv.notes.list", { after });
    listed.push(...got);
    if (!truncated) break;
    assert.ok(got.length > 0 && got.length < 300, `page ${page} holds ${got.length} keys`);
    after = got.at(-1);
  }
  assert.deepEqual(listed, keys);
});

Deno.test("kv set refuses a value a get could not carry back on the connected server, naming max_payload", async () => {
  await using dir = await tempDir();
  await using nats = await smallServer(dir.path);
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` }, nats);
  const large = await request(t.nc, "rosey.db.kv.notes.set", { key: "big", value: "x".repeat(40 * KIB) });
  assert.equal(large.errorCode, "413");
  assert.match(large.error!, /max_payload/);
  assert.equal((await ask<{ exists: boolean }>(t, "kv.notes.get", { key: "big" })).exists, false);
  const fits = "y".repeat(30 * KIB);
  await ask(t, "kv.set", { plugin_name: "notes", key: "fits", value: fits });
  assert.equal((await ask<{ value: string }>(t, "kv.notes.get", { key: "fits" })).value, fits);
});

Deno.test("row aggregate answers the groups that fit max_payload, with truncated", async () => {
  await using dir = await tempDir();
  await using nats = await smallServer(dir.path);
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` }, nats);
  await ask(t, "row.notes.schema.register", { table: "notes", schema: { fields: [{ name: "body", type: "text" }] } });
  for (let i = 0; i < 6; i++) {
    await ask(t, "row.notes.insert", { table: "notes", data: { body: `${i}`.padEnd(20 * KIB, "z") } });
  }
  const reply = await ask<{ groups: { body: string; n: number }[]; count: number; truncated: boolean }>(
    t,
    "row.notes.aggregate",
    { table: "notes", group_by: ["body"], aggregates: { n: { $count: "*" } }, sort: { field: "body", order: "asc" } },
  );
  assert.equal(reply.truncated, true);
  assert.ok(reply.count > 0 && reply.count < 6, `${reply.count} groups`);
  assert.deepEqual(
    reply.groups.map((g) => [g.body[0], g.n]),
    Array.from({ length: reply.count }, (_, i) => [`${i}`, 1]),
  );
});

Deno.test("row insert refuses a row no read could answer; search leaves out, counted, one written under a larger limit", async () => {
  await using dir = await tempDir();
  await using nats = await smallServer(dir.path);
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` }, nats);
  await ask(t, "row.notes.schema.register", { table: "notes", schema: { fields: [{ name: "body", type: "text" }] } });
  // The request fits the server's max_payload; the row read back, with its id and times, would not.
  const refused = await request(t.nc, "rosey.db.row.notes.insert", {
    table: "notes",
    data: { body: "x".repeat(65_000) },
  });
  assert.equal(refused.errorCode, "413");
  assert.match(refused.error!, /Row too large/);
  for (const body of ["a", "b"]) await ask(t, "row.notes.insert", { table: "notes", data: { body } });
  const db = createClient({ url: `file:${dir.path}/plugins/notes.db` });
  await db.execute({
    sql:
      "INSERT INTO notes (body, created_at, updated_at) VALUES (?, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')",
    args: ["z".repeat(100 * KIB)],
  });
  db.close();
  await ask(t, "row.notes.insert", { table: "notes", data: { body: "c" } });
  const page = await ask<{ rows: { body: string }[]; count: number; skipped?: number; truncated: boolean }>(
    t,
    "row.notes.search",
    { table: "notes", sort: { field: "id", order: "asc" } },
  );
  assert.deepEqual([page.rows.map((r) => r.body), page.skipped, page.truncated], [["a", "b", "c"], 1, false]);
});

Deno.test("row upsert refuses a null in the fields that pick the row: it would add a row each time", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` });
  await ask(t, "row.notes.schema.register", {
    table: "scores",
    schema: { fields: [{ name: "user", type: "string", unique: true }, { name: "score", type: "integer" }] },
  });
  const reply = await request(t.nc, "rosey.db.row.notes.upsert", {
    table: "scores",
    data: { user: null, score: 1 },
    on: ["user"],
  });
  assert.equal(reply.errorCode, "400");
  assert.match(reply.error!, /data\.user.*null/);
});

Deno.test("row update and upsert refuse to grow a row past what a read can answer, and change nothing", async () => {
  await using dir = await tempDir();
  await using nats = await smallServer(dir.path);
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` }, nats);
  const fields = ["a", "b", "c", "d"].map((name) => ({ name, type: "text" }));
  await ask(t, "row.notes.schema.register", {
    table: "notes",
    schema: { fields: [{ name: "key", type: "string", unique: true }, ...fields] },
  });
  const { id } = await ask<{ id: number }>(t, "row.notes.insert", {
    table: "notes",
    data: { key: "k", a: "a".repeat(22 * KIB) },
  });
  await ask(t, "row.notes.update", { table: "notes", id, data: { b: "b".repeat(22 * KIB) } });
  const grown = await request(t.nc, "rosey.db.row.notes.update", {
    table: "notes",
    id,
    operations: { $set: { c: "c".repeat(22 * KIB) } },
  });
  assert.equal(grown.errorCode, "413");
  assert.match(grown.error!, /Row too large.*nothing was updated/);
  const merged = await request(t.nc, "rosey.db.row.notes.upsert", {
    table: "notes",
    on: ["key"],
    data: { key: "k", d: "d".repeat(22 * KIB) },
  });
  assert.equal(merged.errorCode, "413");
  const row = await ask<{ data: Record<string, string | null> }>(t, "row.notes.select", { table: "notes", id });
  assert.deepEqual([row.data.a?.length, row.data.b?.length, row.data.c, row.data.d], [22 * KIB, 22 * KIB, null, null]);
});
