import assert from "node:assert/strict";
import { ask, publish, request, rows, startRosey, waitFor } from "../_helpers.ts";

type DeadLetter = {
  id: number;
  subject: string;
  payload: string;
  payload_bytes: number;
  error_code: string;
  error: string;
};

Deno.test("rosey.db.admin.dead_letters.list shows dead letters newest first, filtered by subject with or without the prefix", async () => {
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
  for (const subject of ["user.joined", "rosey.db.user.joined"]) {
    const joined = await ask<DeadLetter[]>(t, "admin.dead_letters.list", { subject });
    assert.deepEqual(joined.map((d) => d.payload), ['{"username":""}'], `subject "${subject}"`);
  }
  const page = await ask<DeadLetter[]>(t, "admin.dead_letters.list", { limit: 1, before_id: all[0].id });
  assert.deepEqual(page.map((d) => d.id), [all[1].id]);
});

Deno.test("rosey.db.admin.dead_letters.list answers a 400-digit before_id with a 400 saying what it takes", async () => {
  await using t = await startRosey();
  const reply = await request(
    t.nc,
    "rosey.db.admin.dead_letters.list",
    new TextEncoder().encode(
      `{"before_id":${"9".repeat(400)}}`,
    ),
  );
  assert.equal(reply.errorCode, "400");
  // JSON.parse reads 400 digits as Infinity, which the schema once called "expected number, received number".
  assert.match(reply.error!, /^Invalid input: before_id: integer beyond ±2\^53 \(9007199254740991\)/);
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

Deno.test("rosey.db.admin.dead_letters.purge deletes what it is told to (subject with or without the prefix), and nothing without a filter", async () => {
  await using t = await startRosey();
  await publish(t, "user.joined", { username: "" }, { username: "" });
  await publish(t, "message.log", {});
  await assert.rejects(ask(t, "admin.dead_letters.purge", {}), /400/);
  assert.deepEqual(await ask(t, "admin.dead_letters.purge", { subject: "user.joined" }), { purged: 2 });
  await publish(t, "user.joined", { username: "" });
  await waitFor(
    async () => (await ask<DeadLetter[]>(t, "admin.dead_letters.list")).length === 2,
    5000,
    "new dead letter",
  );
  assert.deepEqual(await ask(t, "admin.dead_letters.purge", { subject: "rosey.db.user.joined" }), { purged: 1 });
  assert.deepEqual(await ask(t, "admin.dead_letters.purge", { all: true }), { purged: 1 });
  assert.deepEqual(await ask(t, "admin.dead_letters.list"), []);
});

Deno.test("rosey.db.admin.dead_letters.replay takes the subject without the prefix", async () => {
  await using t = await startRosey();
  await publish(t, "messages.outbound.mark_sent", { message_id: 1 });
  await publish(t, "user.joined", { username: "" });
  await ask(t, "messages.outbound.enqueue", { message: "late" });
  assert.deepEqual(await ask(t, "admin.dead_letters.replay", { subject: "messages.outbound.mark_sent" }), {
    replayed: 1,
  });
  await waitFor(
    async () => (await rows(t, "SELECT sent FROM outbound_messages WHERE id = 1"))[0].sent === 1,
    5000,
    "replayed mark_sent",
  );
  assert.deepEqual((await ask<DeadLetter[]>(t, "admin.dead_letters.list")).map((d) => d.subject), [
    "rosey.db.user.joined",
  ]);
});

Deno.test("rosey.db.status.update with an unknown status dead-letters with the field and both allowed values", async () => {
  await using t = await startRosey();
  await publish(t, "status.update", { status: "weird" });
  const [dead] = await waitFor(
    async () => {
      const dead = await ask<DeadLetter[]>(t, "admin.dead_letters.list", { subject: "status.update" });
      return dead.length > 0 ? dead : undefined;
    },
    5000,
    "the dead letter",
  );
  assert.equal(dead.error_code, "invalid_input");
  assert.equal(dead.error, 'Invalid input: status: must be one of "connected", "disconnected"');
});
