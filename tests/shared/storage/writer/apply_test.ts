import assert from "node:assert/strict";
import { applyEvents } from "../../../../shared/storage/writer/apply.ts";
import type { BatchItem } from "../../../../shared/storage/writer/entries.ts";
import { config, deadLetters, eventOf, log, recorder, seen, testDatabase } from "./_db.ts";

/** Events of `fn` with their inputs already validated, one per number. */
const decoded = (fn: ReturnType<typeof recorder>["fn"], subject: string, ns: number[]): BatchItem[] =>
  ns.map((n) => ({ ...eventOf(fn, subject, { n }), input: { n } }));

Deno.test("applyEvents hands consecutive events of one function to handleBatch, in arrival order, across subjects", async () => {
  await using db = await testDatabase();
  const batched = recorder({ batch: true }), single = recorder();
  const handled: [string, number][] = [];
  const events = [
    ...decoded(batched.fn, "s.a", [1, 2, 3]),
    ...decoded(single.fn, "s.b", [4, 5]),
    ...decoded(batched.fn, "s.a", [6]),
  ];
  await db.transaction((tx) =>
    applyEvents(tx, events, {
      config,
      log,
      receivedAt: 1,
      isolated: false,
      onHandled: (subject, _seconds, count) => handled.push([subject, count]),
    })
  );
  assert.deepEqual(await seen(db), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(batched.calls, { handle: 1, handleBatch: 1 });
  assert.deepEqual(single.calls, { handle: 2, handleBatch: 0 });
  assert.deepEqual(handled, [["s.a", 3], ["s.b", 1], ["s.b", 1], ["s.a", 1]]);
});

Deno.test("applyEvents not isolated throws at the first failure so that the caller rolls back", async () => {
  await using db = await testDatabase();
  const { fn } = recorder();
  await assert.rejects(
    db.transaction((tx) =>
      applyEvents(tx, decoded(fn, "s.a", [1, -1, 2]), { config, log, receivedAt: 1, isolated: false })
    ),
    /Negative number/,
  );
  assert.deepEqual(await seen(db), []);
});

Deno.test("applyEvents isolated rolls back only the failing events, stores them as dead letters and reports their index", async () => {
  await using db = await testDatabase();
  const { fn } = recorder({ batch: true });
  const events: BatchItem[] = [
    ...decoded(fn, "s.a", [1, -2, 3, 13, 4]),
    {
      kind: "dead_letter",
      subject: "s.x",
      raw: new TextEncoder().encode("?"),
      code: "invalid_input",
      error: "Bad",
      receivedAt: 1,
    },
  ];
  const failed = await db.transaction((tx) => applyEvents(tx, events, { config, log, receivedAt: 1, isolated: true }));
  assert.deepEqual(await seen(db), [1, 3, 4], "the failing events' own rows are rolled back");
  assert.deepEqual([...failed.keys()], [1, 3]);
  assert.deepEqual((await deadLetters(db)).map(({ subject, payload, code }) => ({ subject, payload, code })), [
    { subject: "s.a", payload: '{"n":-2}', code: "conflict" },
    { subject: "s.a", payload: '{"n":13}', code: "handler_error" },
    { subject: "s.x", payload: "?", code: "invalid_input" },
  ]);
});
