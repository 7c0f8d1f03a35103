import assert from "node:assert/strict";
import { ask, now, publish, request, rows, startRosey, type TestService, writeSql } from "../_helpers.ts";

type Event = {
  id: number;
  message_id: string;
  guild_id: string;
  is_paused: boolean;
  last_reminder: number | null;
  required_reactions: string[];
  interval_minutes: number;
  title: string;
  description: string | null;
};

async function guildWithEvent(t: TestService, required: string[] = ["✅", "🎉"]) {
  await ask(t, "reminder.guild.upsert", { guild_id: "g1", name: "Guild", settings: { tz: "UTC" } });
  for (const [user_id, is_bot] of [["alice", false], ["bob", false], ["carol", false], ["robot", true]] as const) {
    await ask(t, "reminder.member.upsert", { guild_id: "g1", user_id, username: user_id, is_bot });
  }
  return await ask<Event>(t, "reminder.event.create", {
    message_id: "m1",
    channel_id: "c1",
    guild_id: "g1",
    title: "Read the rules",
    interval_minutes: 60,
    required_reactions: required,
  });
}

Deno.test("rosey.db.reminder.guild and member upsert create, update and need their guild", async () => {
  await using t = await startRosey();
  const created = await ask<{ name: string; settings: object }>(t, "reminder.guild.upsert", {
    guild_id: "g",
    name: "One",
    settings: { a: 1 },
  });
  assert.deepEqual([created.name, created.settings], ["One", { a: 1 }]);
  const renamed = await ask<{ name: string; settings: object }>(t, "reminder.guild.upsert", {
    guild_id: "g",
    name: "Two",
  });
  assert.deepEqual([renamed.name, renamed.settings], ["Two", { a: 1 }]);
  assert.equal((await ask<{ name: string }>(t, "reminder.guild.get", { guild_id: "g" })).name, "Two");
  assert.equal((await request(t.nc, "rosey.db.reminder.guild.get", { guild_id: "nope" })).errorCode, "404");
  const member = await ask<{ id: number; is_bot: boolean }>(t, "reminder.member.upsert", {
    guild_id: "g",
    user_id: "u",
    username: "U",
  });
  const again = await ask<{ id: number; username: string; is_bot: boolean }>(t, "reminder.member.upsert", {
    guild_id: "g",
    user_id: "u",
    is_bot: true,
  });
  assert.deepEqual([again.id, again.username, again.is_bot], [member.id, "U", true]);
  assert.equal(
    (await request(t.nc, "rosey.db.reminder.member.upsert", { guild_id: "nope", user_id: "u" })).errorCode,
    "404",
  );
});

Deno.test("rosey.db.reminder.event create, get, list, update, pause, resume", async () => {
  await using t = await startRosey();
  const event = await guildWithEvent(t);
  assert.deepEqual([event.is_paused, event.last_reminder, event.required_reactions], [false, null, ["✅", "🎉"]]);
  const createStatus = async (fields: Record<string, unknown>) =>
    (await request(t.nc, "rosey.db.reminder.event.create", {
      message_id: "m2",
      channel_id: "c",
      guild_id: "g1",
      title: "x",
      interval_minutes: 5,
      ...fields,
    })).errorCode;
  assert.equal(await createStatus({ message_id: "m1" }), "409");
  assert.equal(await createStatus({ guild_id: "zz" }), "404");
  assert.equal(await createStatus({ interval_minutes: 0 }), "400");
  assert.equal((await ask<Event>(t, "reminder.event.get", { message_id: "m1" })).id, event.id);
  const updated = await ask<Event>(t, "reminder.event.update", {
    event_id: event.id,
    title: "New rules",
    interval_minutes: 30,
    description: "d",
  });
  assert.deepEqual([updated.title, updated.interval_minutes, updated.description, updated.required_reactions], [
    "New rules",
    30,
    "d",
    ["✅", "🎉"],
  ]);
  assert.equal((await ask<Event>(t, "reminder.event.pause", { event_id: event.id })).is_paused, true);
  assert.equal((await ask<Event>(t, "reminder.event.get", { event_id: event.id })).is_paused, true);
  assert.equal((await ask<Event>(t, "reminder.event.resume", { event_id: event.id })).is_paused, false);
  assert.deepEqual((await ask<Event[]>(t, "reminder.event.list", { guild_id: "g1" })).map((e) => e.title), [
    "New rules",
  ]);
});

Deno.test("rosey.db.reminder.event.due around the interval boundary and pauses", async () => {
  await using t = await startRosey();
  const event = await guildWithEvent(t);
  const [{ created_at }] = await rows<{ created_at: number }>(t, "SELECT created_at FROM reminder_events");
  const due = async (at: number) => (await ask<Event[]>(t, "reminder.event.due", { now: at })).map((e) => e.id);
  assert.deepEqual(await due(created_at + 3599), [], "one second before the first interval");
  assert.deepEqual(await due(created_at + 3600), [event.id], "exactly one interval after creation");
  await ask(t, "reminder.log.record", {
    event_id: event.id,
    status: "sent",
    sent_at: created_at + 4000,
    users_notified: 3,
  });
  assert.equal((await ask<Event>(t, "reminder.event.get", { event_id: event.id })).last_reminder, created_at + 4000);
  assert.deepEqual(await due(created_at + 4000 + 3599), [], "one second before the interval after the last reminder");
  assert.deepEqual(await due(created_at + 4000 + 3600), [event.id]);
  await ask(t, "reminder.event.pause", { event_id: event.id });
  assert.deepEqual(await due(created_at + 100_000), [], "paused events are never due");
  await ask(t, "reminder.event.resume", { event_id: event.id });
  assert.deepEqual(await due(created_at + 100_000), [event.id]);
  await ask(t, "reminder.log.record", { event_id: event.id, status: "failed", error_message: "rate limited" });
  const log = await ask<{ status: string; users_notified: number }[]>(t, "reminder.log.list", { event_id: event.id });
  assert.deepEqual(log.map((l) => l.status), ["failed", "sent"]);
  assert.equal(
    (await ask<Event>(t, "reminder.event.get", { event_id: event.id })).last_reminder,
    created_at + 4000,
    "a failed run is not a reminder",
  );
});

Deno.test("rosey.db.reminder.event.missing lists human members lacking any required reaction", async () => {
  await using t = await startRosey();
  const event = await guildWithEvent(t);
  const missing = async () =>
    (await ask<{ user_id: string }[]>(t, "reminder.event.missing", { event_id: event.id })).map((m) => m.user_id);
  assert.deepEqual(await missing(), ["alice", "bob", "carol"]);
  await publish(t, "reminder.reaction.add", { event_id: event.id, user_id: "alice", emoji: "✅" }, {
    message_id: "m1",
    user_id: "alice",
    emoji: "🎉",
  });
  await publish(t, "reminder.reaction.add", { event_id: event.id, user_id: "bob", emoji: "✅" }, {
    event_id: event.id,
    user_id: "bob",
    emoji: "✅",
  });
  assert.deepEqual(await missing(), ["bob", "carol"], "bob has only one of the two");
  await publish(t, "reminder.reaction.remove", { event_id: event.id, user_id: "alice", emoji: "🎉" });
  assert.deepEqual(await missing(), ["alice", "bob", "carol"]);
  assert.equal(
    (await ask<unknown[]>(t, "reminder.reaction.list", { event_id: event.id })).length,
    2,
    "a repeated reaction is stored once",
  );
  await ask(t, "reminder.event.update", { event_id: event.id, required_reactions: [] });
  assert.deepEqual(await missing(), ["carol"], "with no required emoji, any reaction counts");
  await publish(t, "reminder.reaction.add", { event_id: 999, user_id: "x", emoji: "✅" });
  const dead = await rows<{ error_code: string }>(t, "SELECT error_code FROM dead_letters");
  assert.deepEqual(dead.map((d) => d.error_code), ["not_found"]);
});

Deno.test("rosey.db.reminder deletes cascade: event to reactions and logs, and foreign keys are enforced", async () => {
  await using t = await startRosey();
  const event = await guildWithEvent(t);
  await publish(t, "reminder.reaction.add", { event_id: event.id, user_id: "alice", emoji: "✅" });
  await ask(t, "reminder.log.record", { event_id: event.id, status: "pending" });
  assert.deepEqual(await ask(t, "reminder.event.delete", { event_id: event.id }), { deleted: 1 });
  assert.equal((await rows(t, "SELECT count(*) AS n FROM reminder_reactions"))[0].n, 0);
  assert.equal((await rows(t, "SELECT count(*) AS n FROM reminder_logs"))[0].n, 0);
  assert.equal((await request(t.nc, "rosey.db.reminder.event.delete", { event_id: event.id })).errorCode, "404");
  const again = await guildWithEvent(t);
  await writeSql(t, "DELETE FROM reminder_guilds WHERE guild_id = 'g1'");
  assert.equal((await rows(t, "SELECT count(*) AS n FROM reminder_members"))[0].n, 0, "members go with their guild");
  assert.equal(
    (await request(t.nc, "rosey.db.reminder.event.get", { event_id: again.id })).errorCode,
    "404",
    "events go with their guild",
  );
  await assert.rejects(
    t.service.write((tx) =>
      tx.run(
        "INSERT INTO reminder_events (message_id, channel_id, guild_id, title, interval_minutes, created_at, updated_at) VALUES ('x', 'c', 'nowhere', 't', 1, 0, 0)",
      )
    ),
    /FOREIGN KEY/,
  );
  assert.ok(now() > 0);
});
