import assert from "node:assert/strict";
import { createRoseyClient, RoseyError } from "../../shared/client/mod.ts";
import { request, startRosey, tempDir, type TestService } from "../_helpers.ts";

/** The whole reply body and its ADR-32 code, of a plugin-style subject. */
async function kv(t: TestService, subject: string, body: unknown) {
  const reply = await request(t.nc, `rosey.db.kv.${subject}`, body);
  return { ...reply.data, code: reply.errorCode } as Record<string, unknown> & {
    code?: string;
    data?: Record<string, unknown>;
    error?: { code: string; message: string };
  };
}

Deno.test("rosey.db.kv set, get, delete and list answer in Rosey's shape, under data", async () => {
  await using t = await startRosey();
  const set = await kv(t, "set", { plugin_name: "quote-db", key: "last_id", value: { n: 41, tags: ["a"] } });
  assert.equal(set.success, true);
  assert.ok(Number.isSafeInteger(set.data!.revision));
  const got = await kv(t, "get", { plugin_name: "quote-db", key: "last_id" });
  assert.deepEqual(got.data, {
    exists: true,
    value: { n: 41, tags: ["a"] },
    revision: set.data!.revision,
    expires_at: null,
  });
  assert.equal(got.exists, undefined, "the payload-addressed family answers under data only");
  assert.deepEqual((await kv(t, "get", { plugin_name: "quote-db", key: "nothing" })).data, { exists: false });
  // null, false, 0 and "" are values like any other.
  for (const value of [null, false, 0, ""]) {
    await kv(t, "set", { plugin_name: "quote-db", key: `v${JSON.stringify(value)}`, value });
    assert.deepEqual(
      (await kv(t, "get", { plugin_name: "quote-db", key: `v${JSON.stringify(value)}` })).data!.value,
      value,
    );
  }
  assert.deepEqual((await kv(t, "delete", { plugin_name: "quote-db", key: "last_id" })).data, { deleted: true });
  assert.deepEqual((await kv(t, "delete", { plugin_name: "quote-db", key: "last_id" })).data, { deleted: false });
  const list = await kv(t, "list", { plugin_name: "quote-db" });
  assert.deepEqual(list.data, { keys: ['v""', "v0", "vfalse", "vnull"], count: 4, truncated: false });
});

Deno.test("rosey.db.kv.<plugin> answers the same fields at the top level and under data", async () => {
  await using t = await startRosey();
  await kv(t, "quote-db.set", { key: "k", value: "v" });
  const got = await kv(t, "quote-db.get", { key: "k" });
  assert.equal(got.success, true);
  assert.equal(got.exists, true);
  assert.equal(got.value, "v");
  assert.deepEqual(got.data, { exists: true, value: "v", revision: got.revision, expires_at: null });
  // The same store as the payload-addressed family's.
  assert.equal((await kv(t, "get", { plugin_name: "quote-db", key: "k" })).data!.value, "v");
});

Deno.test("rosey.db.kv keeps each plugin's keys apart", async () => {
  await using t = await startRosey();
  await kv(t, "trivia.set", { key: "score:alice", value: 10 });
  await kv(t, "quote-db.set", { key: "score:alice", value: 99 });
  assert.equal((await kv(t, "trivia.get", { key: "score:alice" })).value, 10);
  assert.equal((await kv(t, "quote-db.get", { key: "score:alice" })).value, 99);
  assert.deepEqual((await kv(t, "countdown.list", {})).keys, []);
});

Deno.test("rosey.db.kv list: lexicographic order, prefix, limit with truncated, and pages with after", async () => {
  await using t = await startRosey();
  for (const key of ["b:2", "a:1", "b:1", "b:10", "c", "b;", "b:\u{10FFFF}x"]) {
    await kv(t, "p.set", { key, value: 1 });
  }
  assert.deepEqual((await kv(t, "p.list", { prefix: "b:" })).keys, ["b:1", "b:10", "b:2", "b:\u{10FFFF}x"]);
  const first = await kv(t, "p.list", { prefix: "b", limit: 2 });
  assert.deepEqual([first.keys, first.count, first.truncated], [["b:1", "b:10"], 2, true]);
  const next = await kv(t, "p.list", { prefix: "b", limit: 2, after: "b:10" });
  assert.deepEqual([next.keys, next.truncated], [["b:2", "b:\u{10FFFF}x"], true]);
  const last = await kv(t, "p.list", { prefix: "b", limit: 2, after: "b:\u{10FFFF}x" });
  assert.deepEqual([last.keys, last.truncated], [["b;"], false]);
  // quote-db asks for more than a reply holds: capped, never refused.
  const many = await kv(t, "p.list", { limit: 10_000 });
  assert.deepEqual([many.code, many.count, many.truncated], [undefined, 7, false]);
});

Deno.test("rosey.db.kv ttl: an expired key reads as missing at once, is left out of lists and is not counted as deleted", async () => {
  await using t = await startRosey();
  await kv(t, "p.set", { key: "short", value: 1, ttl_seconds: 1 });
  await kv(t, "p.set", { key: "alias", value: 2, ttl: 1 });
  await kv(t, "p.set", { key: "kept", value: 3, ttl: 3600 });
  const live = await kv(t, "p.get", { key: "short" });
  assert.equal(live.exists, true);
  assert.ok(Date.parse(live.expires_at as string) > Date.now());
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal((await kv(t, "p.get", { key: "short" })).exists, false);
  assert.equal((await kv(t, "p.get", { key: "alias" })).exists, false);
  assert.deepEqual((await kv(t, "p.list", {})).keys, ["kept"]);
  assert.equal((await kv(t, "p.delete", { key: "short" })).deleted, false);
  // A set replaces value and expiry: without ttl (or with 0, as in Rosey) the key lives until deleted.
  await kv(t, "p.set", { key: "kept", value: 4 });
  assert.equal((await kv(t, "p.get", { key: "kept" })).expires_at, null);
  await kv(t, "p.set", { key: "zero", value: 5, ttl_seconds: 0 });
  assert.equal((await kv(t, "p.get", { key: "zero" })).expires_at, null);
});

Deno.test("rosey.db.kv.<plugin>.set with if_revision: a stale revision is a CONFLICT (409), the current one sets", async () => {
  await using t = await startRosey();
  const first = await kv(t, "p.set", { key: "k", value: 1 });
  const second = await kv(t, "p.set", { key: "k", value: 2 });
  const stale = await kv(t, "p.set", { key: "k", value: 3, if_revision: first.revision });
  assert.deepEqual([stale.code, stale.success, stale.error?.code], ["409", false, "CONFLICT"]);
  assert.equal((await kv(t, "p.get", { key: "k" })).value, 2);
  const current = await kv(t, "p.set", { key: "k", value: 3, if_revision: second.revision });
  assert.equal(current.success, true);
  // A key deleted and set again never takes back an old revision.
  await kv(t, "p.delete", { key: "k" });
  const again = await kv(t, "p.set", { key: "k", value: 4 });
  assert.ok((again.revision as number) > (current.revision as number));
  assert.equal((await kv(t, "p.set", { key: "k", value: 5, if_revision: current.revision })).code, "409");
});

Deno.test("rosey.db.kv.<plugin>.incr adds atomically: 50 concurrent increments of 2 make 100", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` });
  await Promise.all(Array.from({ length: 50 }, () => kv(t, "p.incr", { key: "hits", by: 2 })));
  assert.equal((await kv(t, "p.get", { key: "hits" })).value, 100);
  assert.equal((await kv(t, "p.incr", { key: "fresh" })).value, 1);
  await kv(t, "p.set", { key: "text", value: "ten" });
  const refused = await kv(t, "p.incr", { key: "text" });
  assert.deepEqual([refused.code, refused.error?.code], ["409", "CONFLICT"]);
  assert.match(refused.error!.message, /not an integer/);
  await kv(t, "p.set", { key: "big", value: Number.MAX_SAFE_INTEGER });
  assert.equal((await kv(t, "p.incr", { key: "big" })).code, "409");
});

Deno.test("rosey.db.kv.<plugin>.get_many returns the present keys' values by key", async () => {
  await using t = await startRosey();
  await kv(t, "p.set", { key: "a", value: 1 });
  await kv(t, "p.set", { key: "constructor", value: "plain" });
  const many = await kv(t, "p.get_many", { keys: ["a", "missing", "constructor", "a"] });
  assert.deepEqual(many.values, { a: 1, constructor: "plain" });
});

Deno.test("rosey.db.kv refuses bad input with Rosey's codes and ADR-32 headers", async () => {
  await using t = await startRosey();
  const cases: [string, unknown, string, string][] = [
    ["set", { plugin_name: "quote-db", key: "k" }, "400", "MISSING_FIELD"],
    ["set", { plugin_name: "../main", key: "k", value: 1 }, "400", "VALIDATION_ERROR"],
    ["set", { plugin_name: "quote.db", key: "k", value: 1 }, "400", "VALIDATION_ERROR"],
    ["p.set", { key: "", value: 1 }, "400", "VALIDATION_ERROR"],
    ["p.set", { key: "k\0", value: 1 }, "400", "VALIDATION_ERROR"],
    ["p.set", { key: "x".repeat(257), value: 1 }, "400", "VALIDATION_ERROR"],
    ["p.set", { key: "k", value: "x".repeat(64 * 1024) }, "413", "VALUE_TOO_LARGE"],
    ["p.set", { key: "k", value: 1, ttl_seconds: -1 }, "400", "VALIDATION_ERROR"],
    ["p.set", { key: "k", value: 1, ttl_seconds: 1.5 }, "400", "VALIDATION_ERROR"],
    ["p.set", { key: "k", value: 1, ttl_seconds: 1e18 }, "400", "VALIDATION_ERROR"],
    ["p.set", { key: "k", value: 1, ttl_seconds: 5, ttl: 6 }, "400", "VALIDATION_ERROR"],
    ["Quote.set", { key: "k", value: 1 }, "400", "INVALID_SUBJECT"],
    ["p.get_many", { keys: [] }, "400", "VALIDATION_ERROR"],
  ];
  for (const [subject, body, code, roseyCode] of cases) {
    const reply = await kv(t, subject, body);
    assert.deepEqual(
      [reply.code, reply.success, reply.error?.code],
      [code, false, roseyCode],
      `${subject} ${JSON.stringify(body).slice(0, 80)}: ${reply.error?.message}`,
    );
  }
  // The largest value that fits is stored whole.
  const fits = "x".repeat(64 * 1024 - 2);
  await kv(t, "p.set", { key: "big", value: fits });
  assert.equal((await kv(t, "p.get", { key: "big" })).value, fits);
});

Deno.test("rosey.db.kv stores each plugin in its own file beside the service's database, none in the service's", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` });
  await kv(t, "quote-db.set", { key: "k", value: 1 });
  const files = [];
  for await (const entry of Deno.readDir(`${dir.path}/plugins`)) if (entry.name.endsWith(".db")) files.push(entry.name);
  assert.deepEqual(files, ["quote-db.db"]);
  const tables = await t.service.db()!.read.query<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE name LIKE '%kv%'",
  );
  assert.deepEqual(tables, []);
});

Deno.test("the client's kv methods take the plugin name, over NATS and on the direct path alike", async () => {
  await using dir = await tempDir();
  const env = { DATABASE_PATH: `${dir.path}/rosey.db` };
  {
    await using t = await startRosey(env);
    const client = createRoseyClient({ nc: t.nc });
    await client.kvPluginSet({ plugin: "quote-db" }, { key: "motd", value: "hello" });
    const got = await client.kvPluginGet({ plugin: "quote-db" }, { key: "motd" });
    assert.deepEqual([got.exists, got.value], [true, "hello"]);
    assert.equal((await client.kvGet({ plugin_name: "quote-db", key: "motd" })).data.value, "hello");
    await assert.rejects(
      client.kvPluginSet({ plugin: "quote-db" }, { key: "k", value: 1, if_revision: 999_999 }),
      (error: unknown) => error instanceof RoseyError && error.status === 409,
    );
    await client.close();
  }
  const direct = createRoseyClient({ env });
  try {
    assert.equal((await direct.kvPluginIncr({ plugin: "quote-db" }, { key: "n", by: 5 })).value, 5);
    assert.equal((await direct.kvPluginGet({ plugin: "quote-db" }, { key: "motd" })).value, "hello");
  } finally {
    await direct.close();
  }
});

Deno.test("reads of a plugin that never wrote answer 'nothing there' and make no database file", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` });
  assert.deepEqual((await kv(t, "ghost.get", { key: "k" })).data, { exists: false });
  assert.deepEqual((await kv(t, "get", { plugin_name: "ghost", key: "k" })).data, { exists: false });
  assert.deepEqual((await kv(t, "ghost.list", {})).data, { keys: [], count: 0, truncated: false });
  assert.deepEqual((await kv(t, "ghost.get_many", { keys: ["k"] })).data, { values: {}, truncated: false });
  assert.deepEqual((await kv(t, "ghost.delete", { key: "k" })).data, { deleted: false });
  const search = await request(t.nc, "rosey.db.row.ghost.search", { table: "quotes" });
  assert.equal(search.errorCode, "404");
  assert.deepEqual((await request(t.nc, "rosey.db.row.ghost.schema.get", {})).data, { success: true, tables: [] });
  await assert.rejects(Deno.stat(`${dir.path}/plugins/ghost.db`), Deno.errors.NotFound);
  // The first write makes it.
  await kv(t, "ghost.set", { key: "k", value: 1 });
  assert.equal((await kv(t, "ghost.get", { key: "k" })).value, 1);
  await Deno.stat(`${dir.path}/plugins/ghost.db`);
});
