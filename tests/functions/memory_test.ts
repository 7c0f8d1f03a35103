/** The memory store: memory.put|get|delete|search|namespaces (README "LLM memory"). */
import assert from "node:assert/strict";
import { ask, request, startRosey, type TestService } from "../_helpers.ts";

const DIMS = { EMBEDDING_DIMENSIONS: "3" };
type Item = {
  namespace: string[];
  key: string;
  value: Record<string, unknown>;
  text: string | null;
  importance: number | null;
  expires_at: number | null;
  score: number | null;
  matched: string[];
};

function put(t: TestService, namespace: string[], key: string, rest: Record<string, unknown> = {}) {
  return ask<{ key: string; created: boolean }>(t, "memory.put", { namespace, key, value: { key }, ...rest });
}

async function search(t: TestService, body: Record<string, unknown>): Promise<Item[]> {
  return (await ask<{ items: Item[] }>(t, "memory.search", body)).items;
}

async function errorOf(t: TestService, subject: string, body: unknown) {
  const reply = await request(t.nc, `rosey.db.${subject}`, body);
  return `${reply.errorCode} ${reply.error}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("rosey.db.memory.put, get and delete address an item by namespace and key", async () => {
  await using t = await startRosey();
  const ns = ["u1", "preferences"];
  assert.deepEqual(await put(t, ns, "food", { value: { likes: "ramen" }, text: "likes ramen", importance: 4 }), {
    key: "food",
    created: true,
  });
  const item = await ask<Item>(t, "memory.get", { namespace: ns, key: "food" });
  assert.deepEqual([item.namespace, item.value, item.text, item.importance, item.expires_at], [
    ns,
    { likes: "ramen" },
    "likes ramen",
    4,
    null,
  ]);
  assert.deepEqual(await put(t, ns, "food", { value: { likes: "soba" } }), { key: "food", created: false });
  const replaced = await ask<Item>(t, "memory.get", { namespace: ns, key: "food" });
  assert.deepEqual([replaced.value, replaced.text, replaced.importance], [{ likes: "soba" }, null, null]);
  assert.match(await errorOf(t, "memory.get", { namespace: ["u1"], key: "food" }), /^404 /);
  assert.deepEqual(await ask(t, "memory.delete", { namespace: ns, key: "food" }), { deleted: true });
  assert.deepEqual(await ask(t, "memory.delete", { namespace: ns, key: "food" }), { deleted: false });
  assert.match(await errorOf(t, "memory.get", { namespace: ns, key: "food" }), /^404 not_found|^404 /);
  assert.match(await errorOf(t, "memory.put", { namespace: [], key: "k", value: {} }), /^400 .*namespace/);
  assert.match(await errorOf(t, "memory.put", { namespace: ["u"], key: "k", value: [] }), /^400 .*value/);
  assert.match(await errorOf(t, "memory.put", { namespace: ["u"], key: "k", value: {}, importance: 6 }), /importance/);
});

Deno.test("rosey.db.memory namespaces isolate: a prefix covers its own paths only", async () => {
  await using t = await startRosey();
  await put(t, ["u1"], "a", { text: "tea" });
  await put(t, ["u1", "prefs"], "b", { text: "tea" });
  await put(t, ["u1", "prefs", "deep"], "c", { text: "tea" });
  await put(t, ["u10"], "d", { text: "tea" });
  await put(t, ["u1 x"], "e", { text: "tea" });
  await put(t, ["u2", "prefs"], "b", { text: "tea" });
  const keys = async (prefix: string[]) =>
    (await search(t, { namespace_prefix: prefix, query: "tea" })).map((i) => `${i.namespace.join("/")}:${i.key}`)
      .sort();
  assert.deepEqual(await keys(["u1"]), ["u1/prefs/deep:c", "u1/prefs:b", "u1:a"]);
  assert.deepEqual(await keys(["u1", "prefs"]), ["u1/prefs/deep:c", "u1/prefs:b"]);
  assert.deepEqual(await keys(["u2"]), ["u2/prefs:b"]);
  assert.equal((await keys([])).length, 6);
  const all = await ask<{ namespaces: string[][] }>(t, "memory.namespaces", {});
  assert.deepEqual(all.namespaces, [["u1"], ["u1", "prefs"], ["u1", "prefs", "deep"], ["u1 x"], ["u10"], [
    "u2",
    "prefs",
  ]]);
  const top = await ask<{ namespaces: string[][] }>(t, "memory.namespaces", { max_depth: 1 });
  assert.deepEqual(top.namespaces, [["u1"], ["u1 x"], ["u10"], ["u2"]]);
  const under = await ask<{ namespaces: string[][] }>(t, "memory.namespaces", { prefix: ["u1"], max_depth: 2 });
  assert.deepEqual(under.namespaces, [["u1"], ["u1", "prefs"]]);
  const paged = await ask<{ namespaces: string[][] }>(t, "memory.namespaces", { limit: 2, offset: 1 });
  assert.deepEqual(paged.namespaces, [["u1", "prefs"], ["u1", "prefs", "deep"]]);
});

Deno.test("rosey.db.memory items expire ttl_seconds after the put, read as missing, are swept, and refresh_ttl restarts it", async () => {
  await using t = await startRosey();
  await put(t, ["u1"], "short", { ttl_seconds: 1, text: "fleeting" });
  await put(t, ["u1"], "refreshed", { ttl_seconds: 3 });
  await put(t, ["u1"], "kept");
  const fresh = await ask<Item>(t, "memory.get", { namespace: ["u1"], key: "short" });
  assert.ok(fresh.expires_at! > 0);
  await sleep(2100);
  assert.match(await errorOf(t, "memory.get", { namespace: ["u1"], key: "short" }), /^404 /);
  assert.deepEqual(await search(t, { namespace_prefix: ["u1"], query: "fleeting" }), []);
  assert.deepEqual((await ask<{ namespaces: string[][] }>(t, "memory.namespaces", {})).namespaces, [["u1"]]);
  const refreshed = await ask<Item>(t, "memory.get", { namespace: ["u1"], key: "refreshed", refresh_ttl: true });
  await sleep(2000);
  // Put at T with 3 s; refreshed at T+2.1 s: alive at T+4.1 s, which the first TTL would not be.
  const alive = await ask<Item>(t, "memory.get", { namespace: ["u1"], key: "refreshed" });
  assert.equal(alive.expires_at, refreshed.expires_at);
  assert.deepEqual((await search(t, { namespace_prefix: ["u1"] })).map((i) => i.key).sort(), ["kept", "refreshed"]);
  // An expired item's key takes a new put as a creation; the write sweeps the expired rows.
  assert.deepEqual(await put(t, ["u1"], "short"), { key: "short", created: true });
  await put(t, ["u9"], "x", { ttl_seconds: 1 });
  await sleep(2100);
  await put(t, ["u9"], "y");
  const stored = await t.service.db()!.read.query("SELECT key FROM memory_items ORDER BY key");
  // "refreshed" expired meanwhile too (T+5 s): both went at the next put.
  assert.deepEqual(stored.map((r) => r.key), ["kept", "short", "y"]);
});

Deno.test("rosey.db.memory.search filter matches top-level value fields by equality and JSON type", async () => {
  await using t = await startRosey();
  await put(t, ["u1"], "a", { value: { kind: "fact", n: 1, on: true, gone: null } });
  await put(t, ["u1"], "b", { value: { kind: "fact", n: "1", on: false } });
  await put(t, ["u1"], "c", { value: { kind: "preference", n: 2.5, "odd key": "x" } });
  const keys = async (filter: Record<string, unknown>) =>
    (await search(t, { namespace_prefix: ["u1"], filter })).map((i) => i.key).sort();
  assert.deepEqual(await keys({ kind: "fact" }), ["a", "b"]);
  assert.deepEqual(await keys({ kind: "fact", n: 1 }), ["a"]);
  assert.deepEqual(await keys({ n: "1" }), ["b"]);
  assert.deepEqual(await keys({ on: true }), ["a"]);
  assert.deepEqual(await keys({ on: false }), ["b"]);
  assert.deepEqual(await keys({ gone: null }), ["a"]);
  assert.deepEqual(await keys({ n: 2.5, "odd key": "x" }), ["c"]);
  assert.deepEqual(await keys({ kind: "nothing" }), []);
  assert.match(await errorOf(t, "memory.search", { namespace_prefix: [], filter: { 'a"b': 1 } }), /^400 .*filter/);
  assert.match(await errorOf(t, "memory.search", { namespace_prefix: [], filter: { a: { b: 1 } } }), /^400 .*filter/);
});

Deno.test("rosey.db.memory.search finds the known nearest item, fuses text and vector matches, and breaks ties by importance", async () => {
  await using t = await startRosey(DIMS);
  const ns = ["u1", "facts"];
  await put(t, ns, "tea", { text: "drinks green tea every morning", embedding: [1, 0, 0], importance: 2 });
  await put(t, ns, "coffee", { text: "avoids coffee", embedding: [0.8, 0.2, 0] });
  await put(t, ns, "cat", { text: "has a cat named Miso", embedding: [0, 0, 1] });
  await put(t, ns, "morning", { text: "runs every morning" });
  await put(t, ["u2"], "tea", { text: "tea", embedding: [1, 0, 0] });

  const nearest = await search(t, { namespace_prefix: ["u1"], embedding: [1, 0, 0], limit: 2 });
  assert.deepEqual(nearest.map((i) => i.key), ["tea", "coffee"]);
  assert.ok(Math.abs(nearest[0].score! - 1) < 1e-6);
  assert.deepEqual(nearest[0].matched, ["vector"]);

  const text = await search(t, { namespace_prefix: ["u1"], query: "morning" });
  assert.deepEqual(text.map((i) => i.key).sort(), ["morning", "tea"]);
  assert.ok(text.every((i) => i.score! > 0 && i.score! < 1 && i.matched[0] === "text"));

  const hybrid = await search(t, { namespace_prefix: ["u1"], query: "morning", embedding: [1, 0, 0] });
  const byKey = new Map(hybrid.map((i) => [i.key, i]));
  assert.equal(hybrid[0].key, "tea", "found by both, it ranks first");
  assert.deepEqual(byKey.get("tea")!.matched, ["text", "vector"]);
  assert.deepEqual(byKey.get("morning")!.matched, ["text"]);
  assert.deepEqual(byKey.get("coffee")!.matched, ["vector"]);

  await put(t, ns, "tea", { text: "drinks green tea every morning", importance: 2 });
  const withoutVector = await search(t, { namespace_prefix: ["u1"], embedding: [1, 0, 0] });
  assert.ok(!withoutVector.some((i) => i.key === "tea"), "a put without an embedding drops the old one");

  const listed = await search(t, { namespace_prefix: ["u1"], limit: 2 });
  assert.equal(listed[0].key, "tea", "importance first when nothing is searched");
  assert.equal(listed[0].score, null);
  const body = { namespace_prefix: ["u1"], query: "morning", embedding: [1, 0, 0] };
  const whole = await search(t, body);
  assert.deepEqual(
    (await search(t, { ...body, offset: 1, limit: 2 })).map((i) => i.key),
    whole.slice(1, 3).map((i) => i.key),
  );

  assert.match(
    await errorOf(t, "memory.put", { namespace: ns, key: "k", value: {}, embedding: [1, 0] }),
    /^400 .*embedding/,
  );
  assert.match(
    await errorOf(t, "memory.search", { namespace_prefix: [], embedding: [1, 0, 0, 0] }),
    /^400 .*embedding/,
  );
});
