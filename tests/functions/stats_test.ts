import assert from "node:assert/strict";
import { ask, now, publish, startRosey } from "../_helpers.ts";

type ChannelStats = {
  high_water_mark: { users: number; timestamp: number | null };
  high_water_connected: { users: number; timestamp: number | null };
  top_chatters: { username: string; chat_lines: number }[];
  total_users_seen: number;
};

Deno.test("rosey.db.stats.high_water raises each mark only on a strictly greater value", async () => {
  await using t = await startRosey();
  const empty = await ask<ChannelStats>(t, "query.channel_stats");
  assert.deepEqual(empty, {
    high_water_mark: { users: 0, timestamp: null },
    high_water_connected: { users: 0, timestamp: null },
    top_chatters: [],
    total_users_seen: 0,
  });
  await publish(
    t,
    "stats.high_water",
    { chat_count: 5, connected_count: 9, timestamp: 100 },
    { chat_count: 5, connected_count: 8, timestamp: 200 },
    { chat_count: 7, timestamp: 300 },
    { chat_count: 6, connected_count: 9, timestamp: 400 },
    { chat_count: 7, connected_count: 10, timestamp: 500 },
  );
  const stats = await ask<ChannelStats>(t, "query.channel_stats");
  assert.deepEqual(stats.high_water_mark, { users: 7, timestamp: 300 });
  assert.deepEqual(stats.high_water_connected, { users: 10, timestamp: 500 });
});

Deno.test("rosey.db.query.channel_stats lists the top 10 chatters with lines > 0", async () => {
  await using t = await startRosey();
  const lines = Array.from(
    { length: 12 },
    (_, i) => Array.from({ length: i + 1 }, () => ({ username: `u${i}`, message: "." })),
  );
  await publish(t, "message.log", ...lines.flat());
  await publish(t, "user.joined", { username: "silent" });
  const stats = await ask<ChannelStats>(t, "query.channel_stats");
  assert.deepEqual(
    stats.top_chatters,
    Array.from({ length: 10 }, (_, i) => ({ username: `u${11 - i}`, chat_lines: 12 - i })),
  );
  assert.equal(stats.total_users_seen, 13);
});

Deno.test("rosey.db.stats.user_count.history returns the window's samples oldest first", async () => {
  await using t = await startRosey();
  const t0 = now();
  await publish(
    t,
    "stats.user_count",
    { chat_count: 1, connected_count: 2, timestamp: t0 - 30 * 3600 },
    { chat_count: 3, connected_count: 4, timestamp: t0 - 60 },
    { chat_count: 5, connected_count: 6, timestamp: t0 - 3 * 3600 },
    { chat_count: 7, connected_count: 8 },
  );
  const day = await ask<{ timestamp: number; chat_users: number }[]>(t, "stats.user_count.history");
  assert.deepEqual(day.map((r) => r.chat_users), [5, 3, 7]);
  assert.deepEqual(Object.keys(day[0]), ["timestamp", "chat_users", "connected_users"]);
  const twoHours = await ask<{ chat_users: number }[]>(t, "stats.user_count.history", { hours: 2 });
  assert.deepEqual(twoHours.map((r) => r.chat_users), [3, 7]);
  assert.equal((await ask<unknown[]>(t, "stats.user_count.history", { hours: 48 })).length, 4);
  await assert.rejects(ask(t, "stats.user_count.history", { hours: -1 }), /400/);
});

Deno.test("rosey.db.status.update touches only known fields and ignores unknown keys", async () => {
  await using t = await startRosey();
  await publish(t, "status.update", {
    status_data: { bot_name: "Rosey", bot_rank: 3, bot_afk: false, channel_name: "lobby", evil: "x" },
    timestamp: 10,
  });
  await publish(t, "status.update", {
    status_data: { current_chat_users: 4, playlist_items: 12, "bot_name = 'pwned', bot_rank": 1 },
    timestamp: 20,
  });
  await publish(t, "status.update", { status_data: { nothing_known: 1 }, timestamp: 30 });
  await publish(t, "status.update", { status: "connected", timestamp: 40 });
  const status = await ask<Record<string, unknown>>(t, "status.get");
  assert.deepEqual(status, {
    bot_name: "Rosey",
    bot_rank: 3,
    bot_afk: 0,
    channel_name: "lobby",
    current_chat_users: 4,
    current_connected_users: 0,
    playlist_items: 12,
    current_media_title: null,
    current_media_duration: null,
    bot_start_time: null,
    bot_connected: 1,
    last_updated: 40,
  });
});
