import assert from "node:assert/strict";
import { Writer } from "../../../../shared/storage/writer.ts";
import { config, deadLetters, eventOf, log, recorder, seen, testDatabase } from "./_db.ts";

Deno.test("Writer.settled resolves once the events queued before it are readable", async () => {
  await using db = await testDatabase();
  const writer = new Writer(db, { config, log });
  const { fn } = recorder();
  for (let n = 1; n <= 5; n++) writer.event(eventOf(fn, "s.a", { n }));
  assert.equal(writer.depth, 5);
  await writer.settled();
  assert.deepEqual(await seen(db), [1, 2, 3, 4, 5]);
  assert.equal(writer.depth, 0);
});

Deno.test("Writer commits at most batchMax events per transaction and reports each batch's outcomes after commit", async () => {
  await using db = await testDatabase();
  const { fn } = recorder({ batch: true });
  const batches: number[] = [];
  const outcomes: unknown[][] = [];
  const writer = new Writer(db, {
    config,
    log,
    batchMax: 2,
    onHandled: (_subject, _seconds, events) => batches.push(events),
    onOutcome: (...args) => outcomes.push(args),
  });
  for (const n of [1, 2, 3, 4, 5]) writer.event(eventOf(fn, "s.a", { n }));
  await writer.settled();
  assert.deepEqual(batches, [2, 2, 1]);
  assert.deepEqual(outcomes.map((o) => o[4]), [2, 2, 1]);
});

Deno.test("Writer keeps arrival order across events, dead letters and writes, and a bad event does not sink its batch", async () => {
  await using db = await testDatabase();
  const { fn } = recorder({ batch: true });
  const writer = new Writer(db, { config, log });
  writer.event(eventOf(fn, "s.a", { n: 1 }));
  writer.event(eventOf(fn, "s.a", { n: -2 }));
  writer.deadLetter({ subject: "s.x", raw: new Uint8Array([63]), code: "invalid_input", error: "Bad", receivedAt: 1 });
  const count = writer.run(async (tx) => (await tx.query<{ c: number }>("SELECT count(*) AS c FROM seen"))[0].c);
  writer.event(eventOf(fn, "s.a", { n: 3 }));
  assert.equal(await count, 1, "the write sees exactly the events queued before it");
  await writer.settled();
  assert.deepEqual(await seen(db), [1, 3]);
  assert.deepEqual((await deadLetters(db)).map((d) => d.payload), ['{"n":-2}', "?"]);
});

Deno.test("Writer.applyBatch resolves with each event's outcome in the order given", async () => {
  await using db = await testDatabase();
  const { fn } = recorder();
  const writer = new Writer(db, { config, log });
  const events = [1, 2, -3, 4].map((n) => eventOf(fn, "s.a", { n }));
  const outcomes = await writer.applyBatch(events, {
    alreadyApplied: () => Promise.resolve([false, true, false, false]),
    recordApplied: () => Promise.resolve(),
  });
  assert.deepEqual(outcomes, ["ok", "duplicate", "dead_letter", "ok"]);
  assert.deepEqual(await seen(db), [1, 4]);
});

Deno.test("Writer.run rejects with the work's own error and carries on with what follows", async () => {
  await using db = await testDatabase();
  const { fn } = recorder();
  const writer = new Writer(db, { config, log });
  await assert.rejects(writer.run(() => Promise.reject(new Error("Work failed"))), /Work failed/);
  writer.event(eventOf(fn, "s.a", { n: 9 }));
  await writer.settled();
  assert.deepEqual(await seen(db), [9]);
});
