import assert from "node:assert/strict";
import { commitEvents } from "../../../../shared/storage/writer/transaction.ts";
import { batchOutcomes, reportOutcomes } from "../../../../shared/storage/writer/outcomes.ts";
import { config, deadLetters, eventOf, log, recorder, seen, testDatabase } from "./_db.ts";

const skipSecond = {
  alreadyApplied: () => Promise.resolve([false, true, false, false, false, false]),
  recordApplied: () => Promise.resolve(),
};

Deno.test("batchOutcomes says of each event what the database holds: stored, dead letter, or skipped as a duplicate", async () => {
  await using db = await testDatabase();
  const { fn } = recorder({ batch: true });
  const payloads = [{ n: 1 }, { n: 2 }, { n: -3 }, { n: 4 }, "{oops", { n: 13 }];
  const committed = await commitEvents(db, payloads.map((p) => eventOf(fn, "s.a", p)), { config, log }, skipSecond);
  const outcomes = batchOutcomes(committed);
  assert.deepEqual(outcomes, ["ok", "duplicate", "dead_letter", "ok", "dead_letter", "dead_letter"]);
  // Cross-check with the rows: every "ok" is in `seen`, every "dead_letter" in `dead_letters`.
  const stored = new Set(await seen(db));
  const dead = new Set((await deadLetters(db)).map((d) => d.payload));
  payloads.forEach((payload, i) => {
    const text = typeof payload === "string" ? payload : JSON.stringify(payload);
    const n = typeof payload === "string" ? undefined : payload.n;
    assert.equal(n !== undefined && stored.has(n), outcomes[i] === "ok", `event ${i} stored`);
    assert.equal(dead.has(text), outcomes[i] === "dead_letter", `event ${i} a dead letter`);
  });
});

Deno.test("batchOutcomes reports every event ok after a clean batch, and dead letters where neighbours failed", async () => {
  await using db = await testDatabase();
  const { fn } = recorder();
  const clean = await commitEvents(db, [1, 2].map((n) => eventOf(fn, "s.a", { n })), { config, log });
  assert.deepEqual(batchOutcomes(clean), ["ok", "ok"]);
  const mixed = await commitEvents(db, [-1, 5, -6, 7].map((n) => eventOf(fn, "s.a", { n })), { config, log });
  assert.deepEqual(batchOutcomes(mixed), ["dead_letter", "ok", "dead_letter", "ok"]);
  assert.deepEqual(await seen(db), [1, 2, 5, 7]);
});

Deno.test("reportOutcomes reports each dead letter with its code and error, and one ok count per subject", async () => {
  await using db = await testDatabase();
  const a = recorder(), b = recorder();
  const events = [
    eventOf(a.fn, "s.a", { n: 1 }),
    eventOf(b.fn, "s.b", { n: -2 }),
    eventOf(a.fn, "s.a", { n: 3 }),
    eventOf(b.fn, "s.b", { n: 4 }),
    eventOf(a.fn, "s.a", { n: 13 }),
    eventOf(b.fn, "s.b", "[]"),
    eventOf(b.fn, "s.b", { n: 5 }),
  ];
  const skipFourth = {
    alreadyApplied: () => Promise.resolve([false, false, false, true, false, false, false]),
    recordApplied: () => Promise.resolve(),
  };
  const committed = await commitEvents(db, events, { config, log }, skipFourth);
  const reported: unknown[][] = [];
  reportOutcomes(committed, (...args) => reported.push(args));
  assert.deepEqual(reported, [
    ["s.b", "dead_letter", "conflict", 'Negative number: "-2"'],
    ["s.a", "dead_letter", "handler_error", "Unlucky number"],
    ["s.b", "dead_letter", "invalid_input", reported[2][3]],
    ["s.a", "ok", undefined, undefined, 2],
    ["s.b", "ok", undefined, undefined, 1],
  ]);
  // The counts agree with the rows: s.a stored 1 and 3, s.b stored 5 (4 was skipped as applied before).
  assert.deepEqual(await seen(db), [1, 3, 5]);
  assert.deepEqual((await deadLetters(db)).map((d) => d.code), ["conflict", "handler_error", "invalid_input"]);
});
