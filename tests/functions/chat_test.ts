import assert from "node:assert/strict";
import { ask, publish, rows, startRosey } from "../_helpers.ts";

type Chat = { id: number; timestamp: number; username: string; message: string };

Deno.test("rosey.db.message.log counts lines and keeps server messages out of recent chat", async () => {
  await using t = await startRosey();
  await publish(
    t,
    "message.log",
    { username: "dana", message: "hi", timestamp: 10 },
    { username: "dana", message: "again", timestamp: 11 },
    { username: "server", message: "dana joined", timestamp: 12 },
    { username: "Server", message: "playlist updated", timestamp: 13 },
  );
  const dana = await ask<{ total_chat_lines: number; first_seen: number; last_seen: number }>(t, "query.user_stats", {
    username: "dana",
  });
  assert.deepEqual([dana.total_chat_lines, dana.first_seen, dana.last_seen], [2, 10, 11]);
  assert.equal(
    (await ask<{ total_chat_lines: number }>(t, "query.user_stats", { username: "Server" })).total_chat_lines,
    1,
  );
  const chat = await ask<Chat[]>(t, "stats.recent_chat.get", {});
  assert.deepEqual(chat.map((c) => c.message), ["hi", "again"]);
});

Deno.test("rosey.db.stats.recent_chat.get returns the newest N oldest first, same-second ties in insertion order", async () => {
  await using t = await startRosey();
  const messages = Array.from(
    { length: 30 },
    (_, i) => ({ username: "u", message: `m${i}`, timestamp: 100 + Math.floor(i / 10) }),
  );
  await publish(t, "message.log", ...messages);
  const newest = await ask<Chat[]>(t, "stats.recent_chat.get", { limit: 15 });
  assert.deepEqual(newest.map((c) => c.message), messages.slice(15).map((m) => m.message));
  assert.deepEqual(Object.keys(newest[0]), ["id", "timestamp", "username", "message"]);
  assert.equal((await ask<Chat[]>(t, "stats.recent_chat.get")).length, 30);
});

Deno.test("rosey.db.stats.recent_chat.get rejects limits outside 1..1000", async () => {
  await using t = await startRosey();
  for (const limit of [-1, 0, 1001, 1e9, 2.5, "10"]) {
    await assert.rejects(ask(t, "stats.recent_chat.get", { limit }), /failed with 400/, `limit ${limit}`);
  }
});

Deno.test("rosey.db.message.log round-trips unicode, quotes, SQL-looking text and 10,000 characters byte-exact", async () => {
  await using t = await startRosey();
  const texts = [
    "ünïcödé ✓ 日本語 🎉 \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",
    `'single' "double" \`back\` \\ backslash`,
    "'; DROP TABLE recent_chat; --",
    "Robert'); DELETE FROM user_stats WHERE ('1'='1",
    "line\nbreak\ttab\r\n",
    "x".repeat(4000) + "é".repeat(3000) + "🎉".repeat(3000),
  ];
  await publish(t, "message.log", ...texts.map((message, i) => ({ username: `名前'${i}"`, message, timestamp: 50 })));
  const chat = await ask<Chat[]>(t, "stats.recent_chat.get", { limit: 10 });
  assert.deepEqual(chat.map((c) => c.message), texts);
  assert.deepEqual(chat.map((c) => c.username), texts.map((_, i) => `名前'${i}"`));
  assert.equal([...chat[5].message].length, 10_000);
  assert.equal((await rows(t, "SELECT count(*) AS n FROM user_stats"))[0].n, 6);
});

Deno.test("rosey.db.message.log dead-letters an empty message or one with NUL instead of storing it cut", async () => {
  await using t = await startRosey();
  const bad = [{ username: "eve", message: "" }, { username: "eve" }, { username: "eve", message: "cut\u0000here" }];
  await publish(t, "message.log", ...bad, { username: "eve", message: "ok" });
  assert.deepEqual((await ask<Chat[]>(t, "stats.recent_chat.get")).map((c) => c.message), ["ok"]);
  const dead = await rows<{ error: string }>(
    t,
    "SELECT error FROM dead_letters WHERE subject = 'rosey.db.message.log'",
  );
  assert.equal(dead.length, 3);
  assert.match(dead[2].error, /must not contain NUL/);
});

Deno.test("rosey.db.message.log dead-letters a username with a control character and keeps tabs and newlines in the message", async () => {
  await using t = await startRosey();
  await publish(t, "message.log", { username: "eve\u0007", message: "ding" }, { username: "eve", message: "a\tb\nc" });
  assert.deepEqual((await ask<Chat[]>(t, "stats.recent_chat.get")).map((c) => c.message), ["a\tb\nc"]);
  const dead = await rows<{ error: string }>(
    t,
    "SELECT error FROM dead_letters WHERE subject = 'rosey.db.message.log'",
  );
  assert.equal(dead.length, 1);
  assert.match(dead[0].error, /username: must not contain the control character U\+0007/);
});

Deno.test("rosey.db.message.log dead-letters a timestamp in milliseconds instead of dating the message in year 55000", async () => {
  await using t = await startRosey();
  await publish(t, "message.log", { username: "eve", message: "ms", timestamp: 1_700_000_000_000 }, {
    username: "eve",
    message: "s",
    timestamp: 1_700_000_000,
  });
  assert.deepEqual((await ask<Chat[]>(t, "stats.recent_chat.get")).map((c) => c.message), ["s"]);
  const dead = await rows<{ error: string }>(t, "SELECT error FROM dead_letters");
  assert.equal(dead.length, 1);
  assert.match(dead[0].error, /timestamp: .*before the year 3000 \(milliseconds sent as seconds\?\)/);
});
