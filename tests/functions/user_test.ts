import assert from "node:assert/strict";
import { ask, publish, rows, startRosey } from "../_helpers.ts";

type UserStats = {
  found: boolean;
  first_seen: number;
  last_seen: number;
  total_time_connected: number;
  current_session_start: number | null;
};

Deno.test("rosey.db.user.joined creates a new user and keeps first_seen for a returning one", async () => {
  await using t = await startRosey();
  await publish(t, "user.joined", { username: "alice", timestamp: 1000 });
  const created = await ask<UserStats>(t, "query.user_stats", { username: "alice" });
  assert.deepEqual(created, {
    found: true,
    username: "alice",
    first_seen: 1000,
    last_seen: 1000,
    total_chat_lines: 0,
    total_time_connected: 0,
    current_session_start: 1000,
  });
  await publish(t, "user.left", { username: "alice", timestamp: 1100 }, { username: "alice", timestamp: 5000 });
  await publish(t, "user.joined", { username: "alice", timestamp: 9000 });
  const returning = await ask<UserStats>(t, "query.user_stats", { username: "alice" });
  assert.equal(returning.first_seen, 1000);
  assert.equal(returning.last_seen, 9000);
  assert.equal(returning.current_session_start, 9000);
  assert.equal(returning.total_time_connected, 100);
});

Deno.test("rosey.db.user.left credits the session time and closes it", async () => {
  await using t = await startRosey();
  await publish(t, "user.joined", { username: "bob", timestamp: 2000 }, { username: "bob", timestamp: 2000 });
  await publish(t, "user.left", { username: "bob", timestamp: 2600 });
  await publish(t, "user.joined", { username: "bob", timestamp: 3000 }, { username: "bob", timestamp: 3000 });
  await publish(t, "user.left", { username: "bob", timestamp: 3050 });
  const bob = await ask<UserStats>(t, "query.user_stats", { username: "bob" });
  assert.equal(bob.total_time_connected, 650);
  assert.equal(bob.current_session_start, null);
  assert.equal(bob.last_seen, 3050);
});

Deno.test("rosey.db.user.left without an open session changes nothing", async () => {
  await using t = await startRosey();
  await publish(t, "user.left", { username: "ghost", timestamp: 100 });
  assert.deepEqual(await ask(t, "query.user_stats", { username: "ghost" }), { found: false });
  await publish(t, "user.joined", { username: "carol", timestamp: 100 });
  await publish(t, "user.left", { username: "carol", timestamp: 160 });
  const before = await rows(t, "SELECT * FROM user_stats");
  await publish(t, "user.left", { username: "carol", timestamp: 999 });
  assert.deepEqual(await rows(t, "SELECT * FROM user_stats"), before);
  assert.equal((await rows(t, "SELECT count(*) AS n FROM dead_letters"))[0].n, 0);
});

Deno.test("rosey.db.status.update 'disconnected' credits and closes every open session", async () => {
  await using t = await startRosey();
  await publish(t, "user.joined", { username: "a", timestamp: 100 }, { username: "b", timestamp: 150 }, {
    username: "c",
    timestamp: 100,
  });
  await publish(t, "user.left", { username: "c", timestamp: 130 });
  await publish(t, "status.update", { status: "disconnected", details: "socket closed", timestamp: 400 });
  const users = await rows<{ username: string; total_time_connected: number; current_session_start: number | null }>(
    t,
    "SELECT username, total_time_connected, current_session_start FROM user_stats ORDER BY username",
  );
  assert.deepEqual(users.map((u) => [u.username, u.total_time_connected, u.current_session_start]), [
    ["a", 300, null],
    ["b", 250, null],
    ["c", 30, null],
  ]);
  assert.equal((await ask<{ bot_connected: number }>(t, "status.get")).bot_connected, 0);
});

Deno.test("rosey.db.user.joined rejects an empty or missing username as a dead letter", async () => {
  await using t = await startRosey();
  await publish(t, "user.joined", { username: "" }, { username: "   " }, {}, { username: 7 });
  await ask(t, "status.get");
  const dead = await rows<{ subject: string; error_code: string }>(t, "SELECT subject, error_code FROM dead_letters");
  assert.deepEqual(
    dead.map((d) => [d.subject, d.error_code]),
    Array(4).fill(["rosey.db.user.joined", "invalid_input"]),
  );
  assert.equal((await rows(t, "SELECT count(*) AS n FROM user_stats"))[0].n, 0);
});
