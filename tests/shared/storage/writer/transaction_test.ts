import assert from "node:assert/strict";
import { commitEvents } from "../../../../shared/storage/writer/transaction.ts";
import { config, deadLetters, eventOf, log, recorder, seen, testDatabase } from "./_db.ts";

Deno.test("commitEvents commits a clean batch in one attempt through handleBatch", async () => {
  await using db = await testDatabase();
  const { fn, calls } = recorder({ batch: true });
  const committed = await commitEvents(db, [1, 2, 3].map((n) => eventOf(fn, "s.a", { n })), { config, log });
  assert.deepEqual(await seen(db), [1, 2, 3]);
  assert.deepEqual(calls, { handle: 0, handleBatch: 1 });
  assert.equal(committed.failed, undefined);
});

Deno.test("commitEvents retries a failed batch with a savepoint per event: the bad one is a dead letter, its neighbours commit", async () => {
  await using db = await testDatabase();
  const { fn, calls } = recorder({ batch: true });
  const committed = await commitEvents(db, [1, -2, 3].map((n) => eventOf(fn, "s.a", { n })), { config, log });
  assert.deepEqual(await seen(db), [1, 3], "the first attempt's rows and the bad event's row are gone");
  assert.deepEqual(calls, { handle: 3, handleBatch: 1 }, "the retry calls handle per event");
  assert.deepEqual((await deadLetters(db)).map((d) => d.payload), ['{"n":-2}']);
  assert.deepEqual([...committed.failed!.keys()], [1]);
});

Deno.test("commitEvents stores a payload that does not validate as a dead letter without calling its handler", async () => {
  await using db = await testDatabase();
  const { fn, calls } = recorder();
  const committed = await commitEvents(db, [eventOf(fn, "s.a", { n: 1 }), eventOf(fn, "s.a", "{oops")], {
    config,
    log,
  });
  assert.deepEqual(await seen(db), [1]);
  assert.deepEqual((await deadLetters(db)).map((d) => [d.payload, d.code]), [["{oops", "invalid_input"]]);
  assert.deepEqual(committed.decoded.map((e) => e.kind), ["event", "dead_letter"]);
  assert.equal(calls.handle, 1);
});

Deno.test("commitEvents skips what the hooks call applied and records the batch in the same transaction", async () => {
  await using db = await testDatabase();
  await db.transaction((tx) => tx.run("CREATE TABLE marks (batch TEXT)"));
  const { fn } = recorder();
  const hooks = {
    alreadyApplied: () => Promise.resolve([false, true, false]),
    recordApplied: async (tx: { run(sql: string): Promise<unknown> }) => {
      await tx.run("INSERT INTO marks VALUES ('b1')");
    },
  };
  const events = [1, 2, -3].map((n) => eventOf(fn, "s.a", { n }));
  const committed = await commitEvents(db, events, { config, log }, hooks);
  assert.deepEqual(await seen(db), [1], "the event applied before is not applied again");
  assert.deepEqual(committed.skipped, [false, true, false]);
  assert.deepEqual(committed.applied.map((e) => e.kind === "event" && e.input), [{ n: 1 }, { n: -3 }]);
  assert.deepEqual(
    await db.read.query("SELECT batch FROM marks"),
    [{ batch: "b1" }],
    "recorded once, by the retry that committed",
  );
});

Deno.test("commitEvents lets a failure of the database itself through, committing nothing", async () => {
  await using db = await testDatabase();
  const { fn } = recorder();
  const hooks = {
    alreadyApplied: () => Promise.reject(new Error("SQLITE_BUSY: database is locked")),
    recordApplied: () => Promise.resolve(),
  };
  await assert.rejects(commitEvents(db, [eventOf(fn, "s.a", { n: 1 })], { config, log }, hooks), /SQLITE_BUSY/);
  assert.deepEqual(await seen(db), []);
  assert.deepEqual(await deadLetters(db), []);
});
