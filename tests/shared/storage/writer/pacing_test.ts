import assert from "node:assert/strict";
import { giveWay, retryDelay } from "../../../../shared/storage/writer/pacing.ts";

Deno.test("retryDelay doubles from 100 ms and stops at 5 s", () => {
  assert.deepEqual([1, 2, 3, 6, 7, 20].map(retryDelay), [100, 200, 400, 3200, 5000, 5000]);
});

Deno.test("giveWay waits while another writer wants the lock, and at most 250 ms", async () => {
  let polls = 0;
  let started = performance.now();
  await giveWay(() => ++polls < 5);
  assert.equal(polls, 5, "it waits until the other writer is done");
  started = performance.now();
  await giveWay(() => true);
  const waited = performance.now() - started;
  assert.ok(waited >= 240 && waited < 1000, `waited ${waited} ms`);
  started = performance.now();
  await giveWay(undefined);
  assert.ok(performance.now() - started < 5);
});
