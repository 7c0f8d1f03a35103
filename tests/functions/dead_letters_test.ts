import assert from "node:assert/strict";
import { ask, publish, rows, startRosey, waitFor } from "../_helpers.ts";

type DeadLetter = {
  id: number;
  subject: string;
  payload: string;
  payload_bytes: number;
  error_code: string;
  error: string;
};

Deno.test("rosey.db.admin.dead_letters.list shows dead letters newest first, filtered by subject", async () => {
  await using t = await startRosey();
  await publish(t, "user.joined", { username: "" });
  await publish(t, "message.log", { username: "a" }, { username: "b", message: "" });
  const all = await ask<DeadLetter[]>(t, "admin.dead_letters.list");
  assert.deepEqual(all.map((d) => [d.subject, d.payload]), [
    ["rosey.db.message.log", '{"username":"b","message":""}'],
    ["rosey.db.message.log", '{"username":"a"}'],
    ["rosey.db.user.joined", '{"username":""}'],
  ]);
  assert.ok(all.every((d) => d.error_code === "invalid_input" && d.error.startsWith("Invalid input")));
  const joined = await ask<DeadLetter[]>(t, "admin.dead_letters.list", { subject: "rosey.db.user.joined" });
  assert.equal(joined.length, 1);
  const page = await ask<DeadLetter[]>(t, "admin.dead_letters.list", { limit: 1, before_id: all[0].id });
  assert.deepEqual(page.map((d) => d.id), [all[1].id]);
});

Deno.test("rosey.db.admin.dead_letters.replay publishes them again: fixed ones are stored, failing ones come back", async () => {
  await using t = await startRosey();
  await publish(t, "messages.outbound.mark_sent", { message_id: 1 });
  await publish(t, "user.joined", { username: "" });
  assert.equal((await rows(t, "SELECT count(*) AS n FROM dead_letters"))[0].n, 2);
  // The missing message now exists: its mark_sent succeeds on replay.
  await ask(t, "messages.outbound.enqueue", { message: "late" });
  await assert.rejects(ask(t, "admin.dead_letters.replay", {}), /400/);
  assert.deepEqual(await ask(t, "admin.dead_letters.replay", { before: Date.now() / 1000 + 10 }), { replayed: 2 });
  await waitFor(
    async () => (await rows(t, "SELECT sent FROM outbound_messages WHERE id = 1"))[0].sent === 1,
    5000,
    "replayed mark_sent",
  );
  const left = await waitFor(
    async () => {
      const dead = await ask<DeadLetter[]>(t, "admin.dead_letters.list");
      return dead.length === 1 ? dead : undefined;
    },
    5000,
    "the still-invalid event dead-lettered again",
  );
  assert.equal(left[0].subject, "rosey.db.user.joined");
});

Deno.test("rosey.db.admin.dead_letters.purge deletes what it is told to, and nothing without a filter", async () => {
  await using t = await startRosey();
  await publish(t, "user.joined", { username: "" }, { username: "" });
  await publish(t, "message.log", {});
  await assert.rejects(ask(t, "admin.dead_letters.purge", {}), /400/);
  assert.deepEqual(await ask(t, "admin.dead_letters.purge", { subject: "rosey.db.user.joined" }), { purged: 2 });
  assert.deepEqual(await ask(t, "admin.dead_letters.purge", { all: true }), { purged: 1 });
  assert.deepEqual(await ask(t, "admin.dead_letters.list"), []);
});
