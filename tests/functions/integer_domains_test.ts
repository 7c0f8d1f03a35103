/**
 * Numbers outside their field's domain (shared/function/numbers.ts): times in milliseconds sent as
 * seconds, flags other than 0 and 1. Each is refused naming the field (a 400, or a dead letter for an
 * event); what bots legitimately send, fractional seconds and booleans included, is still accepted.
 */
import assert from "node:assert/strict";
import { parseLegacy } from "../../functions/reminder/_import.ts";
import { ask, publish, request, rows, startRosey, type TestService } from "../_helpers.ts";
import { reminderEvent } from "./_reminder.ts";

/** A time sent in milliseconds: the year 55000 read as seconds. */
const MILLISECONDS = 1_700_000_000_000;
const SECONDS = 1_700_000_000.25;

async function refused(t: TestService, subject: string, body: unknown, field: string) {
  const reply = await request(t.nc, `rosey.db.${subject}`, body);
  assert.equal(reply.errorCode, "400", `${subject} ${field}`);
  assert.match(reply.error!, new RegExp(`${field}: must be Unix seconds before the year 3000`), subject);
}

Deno.test("rosey.db.reminder.* refuse a time in milliseconds with a 400 naming the field and accept fractional seconds", async () => {
  await using t = await startRosey();
  const event = { id: await reminderEvent(t) };
  await refused(t, "reminder.member.upsert", { guild_id: "g1", user_id: "u1", last_seen: MILLISECONDS }, "last_seen");
  const log = { event_id: event.id, status: "sent" };
  await refused(t, "reminder.log.record", { ...log, scheduled_at: MILLISECONDS }, "scheduled_at");
  await refused(t, "reminder.log.record", { ...log, sent_at: MILLISECONDS }, "sent_at");
  await refused(t, "reminder.event.due", { now: MILLISECONDS }, "now");
  assert.deepEqual(await rows(t, "SELECT id FROM reminder_members UNION ALL SELECT id FROM reminder_logs"), []);

  const member = await ask<{ last_seen: number }>(t, "reminder.member.upsert", {
    guild_id: "g1",
    user_id: "u1",
    last_seen: SECONDS,
  });
  assert.equal(Math.floor(member.last_seen), 1_700_000_000);
  await ask(t, "reminder.log.record", { ...log, scheduled_at: SECONDS, sent_at: SECONDS });
  assert.deepEqual(await ask(t, "reminder.event.due", { now: 0 }), []);
});

Deno.test("rosey.db.reminder.reaction.add dead-letters a timestamp in milliseconds", async () => {
  await using t = await startRosey();
  const event = { id: await reminderEvent(t, {}) };
  const reaction = { event_id: event.id, emoji: "✅" };
  await publish(t, "reminder.reaction.add", { ...reaction, user_id: "late", timestamp: MILLISECONDS }, {
    ...reaction,
    user_id: "ok",
    timestamp: SECONDS,
  });
  assert.deepEqual(await rows(t, "SELECT user_id, reacted_at FROM reminder_reactions"), [{
    user_id: "ok",
    reacted_at: 1_700_000_000,
  }]);
  const [dead] = await rows<{ error: string }>(t, "SELECT error FROM dead_letters");
  assert.match(dead.error, /timestamp: must be Unix seconds before the year 3000/);
});

Deno.test("rosey.db.status.update dead-letters bot_start_time in milliseconds and a flag other than 0, 1, true or false", async () => {
  await using t = await startRosey();
  await publish(
    t,
    "status.update",
    { status_data: { bot_start_time: MILLISECONDS } },
    { status_data: { bot_afk: 2 } },
    { status_data: { bot_connected: -1 } },
    { status_data: { bot_afk: true, bot_connected: 0, bot_start_time: SECONDS } },
  );
  const status = await ask<Record<string, unknown>>(t, "status.get");
  assert.deepEqual([status.bot_afk, status.bot_connected, status.bot_start_time], [1, 0, SECONDS]);
  const dead = await rows<{ error: string }>(t, "SELECT error FROM dead_letters ORDER BY id");
  assert.deepEqual(dead.length, 3);
  assert.match(dead[0].error, /status_data\.bot_start_time: must be Unix seconds before the year 3000/);
  assert.match(dead[1].error, /status_data\.bot_afk: /);
  assert.match(dead[2].error, /status_data\.bot_connected: /);
  await publish(t, "status.update", { status_data: { bot_afk: 1, bot_connected: false } });
  const after = await ask<Record<string, unknown>>(t, "status.get");
  assert.deepEqual([after.bot_afk, after.bot_connected], [1, 0]);
});

Deno.test("rosey.db.admin.dead_letters.replay and purge refuse `before` in milliseconds rather than take every dead letter", async () => {
  await using t = await startRosey();
  await publish(t, "user.joined", { username: "" });
  await refused(t, "admin.dead_letters.replay", { before: Date.now() }, "before");
  await refused(t, "admin.dead_letters.purge", { before: Date.now() }, "before");
  await refused(t, "admin.dead_letters.list", { before: Date.now() }, "before");
  assert.equal((await rows(t, "SELECT id FROM dead_letters")).length, 1);
  assert.deepEqual(await ask(t, "admin.dead_letters.purge", { before: Date.now() / 1000 + 10 }), { purged: 1 });
});

Deno.test("The reminder bot's legacy file: last_reminder in milliseconds and an interval longer than reminder.event.create takes are refused, naming the event", () => {
  const event = { channel_id: "c1", guild_id: "g1", title: "Weekly", interval: 60, last_reminder: SECONDS };
  assert.equal(parseLegacy(JSON.stringify({ "1": event }))["1"].interval, 60);
  assert.throws(
    () => parseLegacy(JSON.stringify({ "1": { ...event, last_reminder: MILLISECONDS } })),
    /Invalid event at \["1"\]\["last_reminder"\] \(line 1\): must be Unix seconds before the year 3000/,
  );
  assert.throws(
    () => parseLegacy(JSON.stringify({ "1": { ...event, interval: 525_601 } })),
    /Invalid event at \["1"\]\["interval"\] \(line 1\): must be at most 525600/,
  );
});
