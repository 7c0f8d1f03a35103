/**
 * Property: whatever a client sends to any subject (inputs derived from each function's input schema,
 * then mutated: wrong types, edge and huge numbers, long strings, deep nesting, NUL, lone surrogates,
 * `__proto__`, unknown fields, bytes that are not JSON), no reply has code 500, every request is
 * answered, the process stays alive and every event is either stored or dead-lettered.
 * `deno task fuzz` runs the same campaign at 10,000 inputs (tests/fuzz/main.ts).
 */
import assert from "node:assert/strict";
import { runCampaign } from "./_campaign.ts";

Deno.test("Every subject answers fuzzed input without a 500 or a silence, and stores or dead-letters every event", async () => {
  const report = await runCampaign({ inputs: 500, seed: 18 });
  assert.deepEqual(report.internalErrors, [], "no reply with Nats-Service-Error-Code 500");
  assert.deepEqual(report.unanswered, [], "every request answered");
  assert.equal(report.health, 200, "/health answers 200 at the end");
  assert.ok(report.events > 0 && report.requests > 0, "both kinds of subject were fuzzed");
  assert.equal(report.stored + report.deadLettered, report.events + report.replayed, "events stored + dead-lettered");
  assert.equal(report.deadLetterRows, report.deadLettered - report.replayed - report.purged, "dead_letters rows");
});
