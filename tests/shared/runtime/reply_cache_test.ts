import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { ask, publish, startRosey, tempDir } from "../../_helpers.ts";
import type { TestService } from "../../_helpers.ts";
import { ReplyCache } from "../../../shared/runtime/reply_cache.ts";

async function cacheHits(t: TestService): Promise<number> {
  const text = await (await fetch(`${t.service.httpUrl}/metrics`)).text();
  const line = /^rosey_db_reply_cache_hits_total\{subject="stats\.recent_chat\.get"\} (\d+)$/m.exec(text);
  return Number(line?.[1] ?? 0);
}

const recent = (t: TestService) =>
  ask<{ message: string }[]>(t, "stats.recent_chat.get", { limit: 5 }).then((r) => r.map((m) => m.message));

Deno.test("a repeated read-only request is answered from the kept reply until an event commits", async () => {
  await using t = await startRosey();
  await publish(t, "message.log", { username: "ann", message: "one" });
  assert.deepEqual(await recent(t), ["one"]);
  assert.deepEqual(await recent(t), ["one"]);
  assert.equal(await cacheHits(t), 1);
  await publish(t, "message.log", { username: "ann", message: "two" });
  assert.deepEqual(await recent(t), ["one", "two"], "an event published before the request shows");
  assert.equal(await cacheHits(t), 1);
});

Deno.test("a kept reply is not reused after another process commits to the same file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/shared.db`;
  await using t = await startRosey({ DATABASE_PATH: path });
  await publish(t, "message.log", { username: "ann", message: "ours" });
  assert.deepEqual(await recent(t), ["ours"]);
  assert.deepEqual(await recent(t), ["ours"]);
  const other = createClient({ url: `file:${path}` });
  await other.execute({
    sql: "INSERT INTO recent_chat (timestamp, username, message) VALUES (?, ?, ?)",
    args: [Math.floor(Date.now() / 1000) + 60, "bob", "theirs"],
  });
  other.close();
  assert.deepEqual(await recent(t), ["ours", "theirs"]);
});

Deno.test("a kept reply is not reused once the clock has moved on to another second", async () => {
  await using t = await startRosey();
  const now = Math.floor(Date.now() / 1000);
  // Inside stats.user_count.history's one-hour window until the second now + 4, outside it after
  // (a margin for a loaded machine between reading the clock and the first request).
  await publish(t, "stats.user_count", { chat_count: 3, connected_count: 4, timestamp: now - 3600 + 4 });
  const history = () => ask<unknown[]>(t, "stats.user_count.history", { hours: 1 });
  assert.equal((await history()).length, 1);
  assert.equal((await history()).length, 1);
  await new Promise((resolve) => setTimeout(resolve, (now + 5) * 1000 - Date.now()));
  assert.deepEqual(await history(), [], "nothing was committed, but the sample left the window");
});

Deno.test("A router without a reply cache answers every request afresh", async () => {
  await using t = await startRosey({}, undefined, { replyCacheEntries: 0 });
  await publish(t, "message.log", { username: "ann", message: "one" });
  for (let i = 0; i < 3; i++) assert.deepEqual(await recent(t), ["one"]);
  assert.equal(await cacheHits(t), 0);
});

Deno.test("ReplyCache keeps at most maxEntries replies, newest first, and no oversized reply", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const cache = new ReplyCache(2);
  cache.set("a", "1", bytes("A"));
  cache.set("b", "1", bytes("B"));
  cache.set("c", "1", bytes("C"));
  assert.equal(cache.size, 2);
  assert.equal(cache.get("a", "1"), undefined);
  assert.deepEqual(cache.get("c", "1"), bytes("C"));
  assert.equal(cache.get("c", "2"), undefined, "another version is a miss");
  cache.set("big", "1", bytes("x".repeat(65 * 1024)));
  assert.equal(cache.get("big", "1"), undefined);
});
