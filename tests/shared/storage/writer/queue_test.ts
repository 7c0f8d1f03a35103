import assert from "node:assert/strict";
import { PACKED_BYTES_MAX, WriteQueue } from "../../../../shared/storage/writer/queue.ts";
import type { Entry, EventEntry } from "../../../../shared/storage/writer/entries.ts";
import { recorder } from "./_db.ts";

const { fn } = recorder();
const other = recorder().fn;
const encoder = new TextEncoder(), decoder = new TextDecoder();
const event = (text: string, subject = "s.a", f = fn) => ({ fn: f, subject, params: {}, raw: encoder.encode(text) });
/** What a taken batch holds, as "subject:payload" or the entry's kind. */
const shown = (batch: Entry[]) =>
  batch.map((e) => e.kind === "event" ? `${e.subject}:${decoder.decode(e.raw)}` : e.kind);
const work = (): Entry => ({
  kind: "work",
  work: () => Promise.resolve(),
  transaction: true,
  resolve() {},
  reject() {},
});

Deno.test("WriteQueue takes packed and single events in arrival order, up to the batch bound, and advances past them", () => {
  const queue = new WriteQueue();
  assert.equal(queue.pack(event("1")), true);
  assert.equal(queue.pack(event("2")), true);
  queue.push({ kind: "event", ...event("3", "s.b", other), input: { n: 3 } });
  assert.equal(queue.pack(event("4", "s.c")), true);
  queue.push({ kind: "dead_letter", subject: "s.d", raw: new Uint8Array(), code: "x", error: "y", receivedAt: 1 });
  assert.equal(queue.depth, 5);
  assert.equal(queue.enqueued, 5);
  const first = queue.take(3);
  assert.deepEqual(shown(first), ["s.a:1", "s.a:2", "s.b:3"]);
  assert.deepEqual(first.map((e) => e.seq), [1, 2, 3]);
  queue.advance(first.length);
  assert.equal(queue.depth, 2);
  const second = queue.take(1000);
  assert.deepEqual(shown(second), ["s.c:4", "dead_letter"]);
  assert.deepEqual(second.map((e) => e.seq), [4, 5]);
  queue.advance(second.length);
  assert.equal(queue.depth, 0);
});

Deno.test("WriteQueue resumes a packed run where the last batch stopped", () => {
  const queue = new WriteQueue();
  for (let i = 0; i < 5; i++) queue.pack(event(`e${i}`));
  const first = queue.take(3);
  queue.advance(first.length);
  const rest = queue.take(3);
  assert.deepEqual(shown(rest), ["s.a:e3", "s.a:e4"]);
  assert.deepEqual(rest.map((e) => e.seq), [4, 5]);
});

Deno.test("WriteQueue takes a write alone, and an event batch stops before one", () => {
  const queue = new WriteQueue();
  queue.pack(event("1"));
  queue.push(work());
  queue.pack(event("2"));
  const events = queue.take(1000);
  assert.deepEqual(shown(events), ["s.a:1"]);
  queue.advance(1);
  assert.deepEqual(shown(queue.take(1000)), ["work"]);
  queue.advance(1);
  assert.deepEqual(shown(queue.take(1000)), ["s.a:2"]);
});

Deno.test("WriteQueue packs only events of one function and subject together, and no run past its byte bound", () => {
  const queue = new WriteQueue();
  queue.pack(event("a"));
  queue.pack(event("b", "s.other"));
  queue.pack(event("c", "s.a", other));
  const big = "x".repeat(PACKED_BYTES_MAX / 4);
  for (let i = 0; i < 5; i++) assert.equal(queue.pack(event(big)), true);
  assert.equal(
    queue.pack(event("y".repeat(PACKED_BYTES_MAX / 4 + 1), "s.y")),
    false,
    "an oversized payload is not packed",
  );
  const batch = queue.take(1000) as EventEntry[];
  assert.deepEqual(batch.map((e) => decoder.decode(e.raw).slice(0, 1)), ["a", "b", "c", "x", "x", "x", "x", "x"]);
  assert.deepEqual(batch.map((e) => e.fn === other), [false, false, true, false, false, false, false, false]);
  assert.ok(batch.slice(3).every((e) => e.raw.length === big.length));
  const buffers = batch.slice(3).map((e) => e.raw.buffer);
  assert.ok(buffers.slice(0, 4).every((b) => b === buffers[0]), "four fit in one run");
  assert.notEqual(buffers[4], buffers[0], "the fifth starts a new run");
});

Deno.test("WriteQueue queues a run packed elsewhere with one sequence number per event", () => {
  const queue = new WriteQueue();
  queue.pack(event("before"));
  const bytes = encoder.encode("--onetwothree");
  queue.pushPacked({ fn, subject: "s.p", params: {}, bytes, first: 2, ends: new Uint32Array([5, 8, 13]) });
  queue.pushPacked({ fn, subject: "s.p", params: {}, bytes, first: 0, ends: new Uint32Array([]) });
  assert.equal(queue.depth, 4);
  const batch = queue.take(1000);
  assert.deepEqual(shown(batch), ["s.a:before", "s.p:one", "s.p:two", "s.p:three"]);
  assert.deepEqual(batch.map((e) => e.seq), [1, 2, 3, 4]);
});
