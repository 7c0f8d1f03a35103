import assert from "node:assert/strict";
import { ask, publish, rows, startRosey } from "../_helpers.ts";

// Payloads exactly as the old bot published them: float timestamps, and extra fields the
// service never asked for (`username` on bot-level events, `source`).
const T = 1795386320.734;

Deno.test("payloads of the old bot are stored as before and replies keep their JSON shapes", async () => {
  await using t = await startRosey();
  await publish(t, "user.joined", { username: "alice", timestamp: T });
  await publish(t, "message.log", { username: "alice", message: "hello 'world'", timestamp: T + 1 });
  await publish(t, "user.left", { username: "alice", timestamp: T + 61 });
  await publish(t, "stats.user_count", { chat_count: 5, connected_count: 9, timestamp: T, username: "Rosey" });
  await publish(t, "stats.high_water", { chat_count: 7, connected_count: 12, timestamp: T, username: "Rosey" });
  await publish(t, "status.update", {
    status_data: {
      bot_name: "Rosey",
      bot_rank: 3.0,
      bot_afk: false,
      channel_name: "lobby",
      current_chat_users: 5,
      current_connected_users: 9,
      playlist_items: 0,
      bot_connected: true,
    },
    timestamp: T,
    username: "Rosey",
  });
  await publish(t, "action.pm_command", {
    username: "alice",
    command: "stats",
    args: "",
    result: "ok",
    timestamp: T,
    source: "pm",
  });
  await publish(t, "action.log", { username: "mod", action_type: "kick", details: "spam", timestamp: T });
  const { id } = await ask<{ id: number }>(t, "messages.outbound.enqueue", { message: "hi", username: "Rosey" });
  await publish(t, "messages.outbound.mark_sent", { message_id: id, timestamp: T, username: "Rosey" });

  const whole = Math.floor(T);
  assert.deepEqual(
    (await rows(t, "SELECT * FROM user_stats")).map((r) => ({ ...r })),
    [{
      username: "alice",
      first_seen: whole,
      last_seen: whole + 61,
      total_chat_lines: 1,
      total_time_connected: 61,
      current_session_start: null,
    }],
  );
  assert.deepEqual(
    (await rows(t, "SELECT timestamp, username, message FROM recent_chat")).map((r) => ({ ...r })),
    [{ timestamp: whole + 1, username: "alice", message: "hello 'world'" }],
  );
  assert.deepEqual(
    (await rows(t, "SELECT timestamp, chat_users, connected_users FROM user_count_history")).map((r) => ({ ...r })),
    [
      { timestamp: whole, chat_users: 5, connected_users: 9 },
    ],
  );
  assert.deepEqual(
    (await rows(t, "SELECT username, action_type, details FROM user_actions ORDER BY id")).map((r) => ({ ...r })),
    [{ username: "alice", action_type: "pm_command", details: "cmd=stats result=ok" }, {
      username: "mod",
      action_type: "kick",
      details: "spam",
    }],
  );
  assert.equal((await rows(t, "SELECT count(*) AS n FROM dead_letters"))[0].n, 0);

  const user = await ask(t, "query.user_stats", { username: "alice" });
  assert.deepEqual(Object.keys(user as object), [
    "found",
    "username",
    "first_seen",
    "last_seen",
    "total_chat_lines",
    "total_time_connected",
    "current_session_start",
  ]);
  const stats = await ask<Record<string, unknown>>(t, "query.channel_stats");
  assert.deepEqual(stats, {
    high_water_mark: { users: 7, timestamp: whole },
    high_water_connected: { users: 12, timestamp: whole },
    top_chatters: [{ username: "alice", chat_lines: 1 }],
    total_users_seen: 1,
  });
  const status = await ask<Record<string, unknown>>(t, "status.get");
  assert.deepEqual(Object.keys(status), [
    "bot_name",
    "bot_rank",
    "bot_afk",
    "channel_name",
    "current_chat_users",
    "current_connected_users",
    "playlist_items",
    "current_media_title",
    "current_media_duration",
    "bot_start_time",
    "bot_connected",
    "last_updated",
  ]);
  assert.deepEqual([status.bot_name, status.bot_rank, status.bot_afk, status.bot_connected], ["Rosey", 3, 0, 1]);
  assert.deepEqual(await ask(t, "messages.outbound.get"), []);
  assert.deepEqual(await ask(t, "query.user_stats", { username: "nobody" }), { found: false });
});
