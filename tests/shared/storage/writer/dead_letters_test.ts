import assert from "node:assert/strict";
import { decodeEntry, failureCode, insertDeadLetter } from "../../../../shared/storage/writer/dead_letters.ts";
import { ServiceError } from "../../../../shared/function/errors.ts";
import { config, deadLetters, eventOf, recorder, testDatabase } from "./_db.ts";

const { fn } = recorder();

Deno.test("insertDeadLetter stores subject, raw payload, code, error and time in dead_letters", async () => {
  await using db = await testDatabase();
  const raw = new TextEncoder().encode('{"n":"x"}');
  await db.transaction((tx) =>
    insertDeadLetter(tx, { subject: "s.a", raw, code: "invalid_input", error: "Bad n", receivedAt: 1234 })
  );
  assert.deepEqual(await deadLetters(db), [{
    subject: "s.a",
    payload: '{"n":"x"}',
    code: "invalid_input",
    error: "Bad n",
  }]);
  const [{ received_at }] = await db.read.query<{ received_at: number }>("SELECT received_at FROM dead_letters");
  assert.equal(received_at, 1234);
});

Deno.test("failureCode keeps a ServiceError's code and calls anything else handler_error", () => {
  assert.equal(failureCode(new ServiceError(409, "Taken")), "conflict");
  assert.equal(failureCode(new Error("boom")), "handler_error");
  assert.equal(failureCode("thrown string"), "handler_error");
});

Deno.test("decodeEntry validates a payload, and turns one that does not fit into a dead letter with its code", () => {
  const good = decodeEntry(eventOf(fn, "s.a", { n: 7 }), 99, config.MAX_PAYLOAD_BYTES);
  assert.equal(good.kind, "event");
  assert.deepEqual(good.kind === "event" && good.input, { n: 7 });
  const bad = decodeEntry(eventOf(fn, "s.a", { n: "seven" }), 99, config.MAX_PAYLOAD_BYTES);
  assert.equal(bad.kind, "dead_letter");
  assert.equal(bad.kind === "dead_letter" && bad.code, "invalid_input");
  assert.equal(bad.kind === "dead_letter" && bad.receivedAt, 99);
  const broken = decodeEntry(eventOf(fn, "s.a", "{not json"), 99, config.MAX_PAYLOAD_BYTES);
  assert.equal(broken.kind === "dead_letter" && broken.code, "invalid_input");
});

Deno.test("decodeEntry keeps an oversized payload only up to the size bound", () => {
  const entry = eventOf(fn, "s.a", { n: 1, pad: "x".repeat(100) });
  const dead = decodeEntry(entry, 1, 20);
  assert.equal(dead.kind, "dead_letter");
  assert.equal(dead.raw.length, 20);
  assert.equal(dead.kind === "dead_letter" && dead.code, "too_large");
});

Deno.test("decodeEntry leaves an event whose input is already validated as it is", () => {
  const entry = { ...eventOf(fn, "s.a", "not even json"), input: { n: 5 } };
  assert.equal(decodeEntry(entry, 1, config.MAX_PAYLOAD_BYTES), entry);
});
