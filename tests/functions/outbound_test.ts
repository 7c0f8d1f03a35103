import assert from "node:assert/strict";
import { ask, now, publish, rows, startRosey, writeSql } from "../_helpers.ts";

type Outbound = { id: number; timestamp: number; message: string; retry_count: number; last_error: string | null };

Deno.test("rosey.db.messages.outbound.get returns unsent messages oldest first", async () => {
  await using t = await startRosey();
  const ids = [];
  for (const message of ["first", "second", "third"]) {
    ids.push((await ask<{ id: number }>(t, "messages.outbound.enqueue", { message })).id);
  }
  assert.deepEqual(ids, [1, 2, 3]);
  const due = await ask<Outbound[]>(t, "messages.outbound.get");
  assert.deepEqual(due.map((m) => m.message), ["first", "second", "third"]);
  assert.deepEqual(Object.keys(due[0]), ["id", "timestamp", "message", "retry_count", "last_error"]);
  assert.deepEqual((await ask<Outbound[]>(t, "messages.outbound.get", { limit: 2 })).map((m) => m.id), [1, 2]);
  await publish(t, "messages.outbound.mark_sent", { message_id: 1 });
  assert.deepEqual((await ask<Outbound[]>(t, "messages.outbound.get")).map((m) => m.id), [2, 3]);
  const [sent] = await rows<{ sent: number; sent_timestamp: number }>(
    t,
    "SELECT sent, sent_timestamp FROM outbound_messages WHERE id = 1",
  );
  assert.equal(sent.sent, 1);
  assert.ok(Math.abs(sent.sent_timestamp - now()) <= 2);
});

Deno.test("rosey.db.messages.outbound.mark_failed backs off 2, then 4 minutes, and hides after max_retries", async () => {
  await using t = await startRosey();
  const { id } = await ask<{ id: number }>(t, "messages.outbound.enqueue", { message: "retry me" });
  const dueIds = async (max_retries?: number) =>
    (await ask<Outbound[]>(t, "messages.outbound.get", max_retries ? { max_retries } : {})).map((m) => m.id);
  const lastAttempt = (secondsAgo: number) =>
    writeSql(t, "UPDATE outbound_messages SET last_attempt_at = ?", [now() - secondsAgo]);

  await publish(t, "messages.outbound.mark_failed", { message_id: id, error: "timeout", timestamp: now() - 110 });
  assert.deepEqual(await dueIds(), [], "not due 110 s after the first failure");
  await lastAttempt(125);
  const [first] = await ask<Outbound[]>(t, "messages.outbound.get");
  assert.deepEqual(
    [first.id, first.retry_count, first.last_error],
    [id, 1, "timeout"],
    "due 2 minutes after one failure",
  );

  await publish(t, "messages.outbound.mark_failed", { message_id: id, error: "refused", timestamp: now() - 200 });
  assert.deepEqual(await dueIds(), [], "not due 200 s after the second failure");
  await lastAttempt(245);
  assert.deepEqual(await dueIds(), [id], "due 4 minutes after the second failure");

  await publish(t, "messages.outbound.mark_failed", { message_id: id, error: "refused", timestamp: 0 });
  assert.deepEqual(await dueIds(), [], "hidden once retry_count reaches max_retries (3)");
  assert.deepEqual(await dueIds(5), [id], "a larger max_retries shows it again");
});

Deno.test("rosey.db.messages.outbound.mark_failed with permanent closes the message", async () => {
  await using t = await startRosey();
  const { id } = await ask<{ id: number }>(t, "messages.outbound.enqueue", { message: "bad" });
  await publish(t, "messages.outbound.mark_failed", {
    message_id: id,
    error: "message too long",
    permanent: true,
    timestamp: 500,
  });
  assert.deepEqual(await ask(t, "messages.outbound.get", { max_retries: 100 }), []);
  const [row] = await rows(t, "SELECT sent, sent_timestamp, retry_count, last_error FROM outbound_messages");
  assert.deepEqual({ ...row }, { sent: 1, sent_timestamp: 500, retry_count: 1, last_error: "message too long" });
});

Deno.test("rosey.db.messages.outbound.mark_sent for an unknown id becomes a not_found dead letter", async () => {
  await using t = await startRosey();
  await publish(t, "messages.outbound.mark_sent", { message_id: 404 }, { message_id: "1" });
  const dead = await rows<{ error_code: string; error: string }>(
    t,
    "SELECT error_code, error FROM dead_letters ORDER BY id",
  );
  assert.deepEqual(dead.map((d) => d.error_code), ["not_found", "invalid_input"]);
  assert.equal(dead[0].error, "Unknown outbound message: 404");
});

Deno.test("rosey.db.messages.outbound.get and enqueue reject out-of-range input", async () => {
  await using t = await startRosey();
  for (const body of [{ limit: 0 }, { limit: 501 }, { limit: -1 }, { max_retries: 0 }, { limit: 1e9 }]) {
    await assert.rejects(ask(t, "messages.outbound.get", body), /400/, JSON.stringify(body));
  }
  await assert.rejects(ask(t, "messages.outbound.enqueue", { message: "" }), /400/);
  await assert.rejects(ask(t, "messages.outbound.enqueue", {}), /400/);
});
