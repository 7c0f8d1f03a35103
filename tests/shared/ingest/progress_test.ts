import assert from "node:assert/strict";
import { IngestProgress } from "../../../shared/ingest/progress.ts";

/** "settled" if `wait` resolves within `ms`, else "pending". */
function within(wait: Promise<void>, ms: number): Promise<"settled" | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    wait.then(() => "settled" as const),
    new Promise<"pending">((resolve) => timer = setTimeout(() => resolve("pending"), ms)),
  ]).finally(() => clearTimeout(timer));
}

Deno.test("IngestProgress: with nothing received, a request does not wait", async () => {
  assert.equal(await within(new IngestProgress().settled(), 0), "settled");
});

Deno.test("IngestProgress: a request waits for the events received before it, not for those after it", async () => {
  const progress = new IngestProgress();
  progress.received(3);
  const wait = progress.settled();
  progress.received(100);
  progress.committed(2);
  assert.equal(await within(wait, 50), "pending", "one of its three events is not committed yet");
  progress.committed(3);
  assert.equal(await within(wait, 1000), "settled", "its three are committed; the 100 after it do not hold it");
  assert.equal(progress.depth, 100);
});

Deno.test("IngestProgress: release ends every wait, and later waits do not start", async () => {
  const progress = new IngestProgress();
  progress.received(1);
  const wait = progress.settled();
  progress.release();
  assert.equal(await within(wait, 1000), "settled");
  progress.received(1);
  assert.equal(await within(progress.settled(), 0), "settled");
});

Deno.test("IngestProgress: counts that wrap past 2^31 still compare in order", async () => {
  const progress = new IngestProgress();
  progress.received(0x7fffffff);
  progress.committed(0x7fffffff);
  progress.received(2);
  const wait = progress.settled();
  assert.equal(await within(wait, 50), "pending");
  progress.committed((0x7fffffff + 2) | 0);
  assert.equal(await within(wait, 1000), "settled");
});

Deno.test("IngestProgress: a commit made on another thread ends the wait on this one", async () => {
  const progress = new IngestProgress();
  progress.received(5);
  const wait = progress.settled();
  const worker = new Worker(new URL("./_progress_worker.ts", import.meta.url).href, { type: "module" });
  try {
    const done = new Promise((resolve) => worker.onmessage = resolve);
    worker.postMessage({ buffer: progress.buffer, upTo: 4 });
    await done;
    assert.equal(await within(wait, 50), "pending", "four of five committed");
    worker.postMessage({ buffer: progress.buffer, upTo: 5 });
    // Woken by Atomics.notify, well before the one-second slice of the wait.
    assert.equal(await within(wait, 900), "settled");
  } finally {
    worker.terminate();
  }
});
