/**
 * Issue 18, finding 1: an integer beyond 2^53 (`1e18`) on each subject that once stored it. Each is
 * refused (a 400, or a dead letter for an event) and every read of the table it would have poisoned
 * still answers: before, the row was stored and each later read answered 500, for good.
 */
import assert from "node:assert/strict";
import { publish, request, rows, startRosey, type TestService } from "../_helpers.ts";
import { reminderEvent } from "./_reminder.ts";

const HUGE = 1e18;

/** The request answers without an error code. */
async function answers(t: TestService, subject: string, body: unknown = {}) {
  const reply = await request(t.nc, `rosey.db.${subject}`, body);
  assert.equal(reply.errorCode, undefined, `${subject} answers: ${reply.error}`);
  return reply.data;
}

/** The dead letters of `subject`, after every event published before is committed. */
function deadLetters(t: TestService, subject: string) {
  return rows<{ error: string }>(t, "SELECT error FROM dead_letters WHERE subject = ?", [`rosey.db.${subject}`]);
}

Deno.test("rosey.db.stats.high_water with timestamp 1e18 is a dead letter and query.channel_stats still answers", async () => {
  await using t = await startRosey();
  await publish(t, "stats.high_water", { chat_count: 5, connected_count: 6, timestamp: HUGE });
  const stats = await answers(t, "query.channel_stats") as { high_water_mark: { users: number } };
  assert.equal(stats.high_water_mark.users, 0, "the refused high water raised nothing");
  assert.match((await deadLetters(t, "stats.high_water"))[0]?.error ?? "stored", /timestamp/);
});

Deno.test("rosey.db.stats.user_count with timestamp 1e18 is a dead letter and stats.user_count.history still answers", async () => {
  await using t = await startRosey();
  await publish(t, "stats.user_count", { chat_count: 1, connected_count: 1, timestamp: HUGE });
  assert.deepEqual(await answers(t, "stats.user_count.history", { hours: 24 }), []);
  assert.match((await deadLetters(t, "stats.user_count"))[0]?.error ?? "stored", /timestamp/);
});

Deno.test("rosey.db.reminder.reaction.add with timestamp 1e18 is a dead letter and reminder.reaction.list still answers", async () => {
  await using t = await startRosey();
  const event_id = await reminderEvent(t);
  await publish(t, "reminder.reaction.add", { event_id, user_id: "u9", emoji: "x", timestamp: HUGE });
  const list = await answers(t, "reminder.reaction.list", { event_id });
  assert.equal(JSON.stringify(list).includes("u9"), false, JSON.stringify(list));
  assert.match((await deadLetters(t, "reminder.reaction.add"))[0]?.error ?? "stored", /timestamp/);
});

Deno.test("rosey.db.reminder.log.record and reminder.member.upsert answer 400 to a time of 1e18 and store nothing", async () => {
  await using t = await startRosey();
  const event_id = await reminderEvent(t);
  const cases: [string, Record<string, unknown>, string][] = [
    ["reminder.log.record", { event_id, status: "sent", scheduled_at: HUGE }, "scheduled_at"],
    ["reminder.member.upsert", { guild_id: "g1", user_id: "u2", last_seen: HUGE }, "last_seen"],
  ];
  for (const [subject, body, field] of cases) {
    const reply = await request(t.nc, `rosey.db.${subject}`, body);
    assert.equal(reply.errorCode, "400", `${subject}: ${reply.errorCode} ${reply.error}`);
    assert.match(reply.error!, new RegExp(`^Invalid input: ${field}: `), subject);
  }
  assert.deepEqual(await rows(t, "SELECT id FROM reminder_logs UNION ALL SELECT id FROM reminder_members"), []);
  await answers(t, "reminder.log.list", { event_id });
});
