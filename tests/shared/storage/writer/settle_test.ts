import assert from "node:assert/strict";
import { SettleBarrier } from "../../../../shared/storage/writer/settle.ts";

/** Which of `promises` have resolved once pending callbacks ran. */
async function resolved(promises: Promise<void>[]): Promise<boolean[]> {
  const done = promises.map(() => false);
  promises.forEach((p, i) => p.then(() => done[i] = true));
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}

Deno.test("SettleBarrier wakes those waiting for what was committed, never those waiting for later entries", async () => {
  const barrier = new SettleBarrier();
  const waits = [barrier.until(1), barrier.until(3), barrier.until(5)];
  assert.deepEqual(await resolved(waits), [false, false, false]);
  barrier.commit(3);
  assert.deepEqual(await resolved(waits), [true, true, false]);
  barrier.commit(5);
  assert.deepEqual(await resolved(waits), [true, true, true]);
});

Deno.test("SettleBarrier resolves at once for what is already committed", async () => {
  const barrier = new SettleBarrier();
  assert.deepEqual(await resolved([barrier.until(0)]), [true]);
  barrier.commit(4);
  assert.deepEqual(await resolved([barrier.until(4), barrier.until(5)]), [true, false]);
});
