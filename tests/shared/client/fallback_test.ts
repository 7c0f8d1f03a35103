import assert from "node:assert/strict";
import { z } from "zod";
import { emptyValueOf } from "../../../shared/client/fallback.ts";
import { FUNCTIONS } from "../../../shared/client/functions.ts";
import { createRoseyClient } from "../../../shared/client/mod.ts";
import { createLogger } from "../../../shared/log.ts";
import { startNats } from "../../_helpers.ts";
import { connect } from "@nats-io/transport-node";

Deno.test("emptyValueOf gives [], null, 0, false and objects of them, and null where a schema has none", () => {
  assert.deepEqual(emptyValueOf(z.array(z.string())), []);
  assert.deepEqual(
    emptyValueOf(z.object({ n: z.number(), ok: z.boolean(), at: z.number().nullable(), note: z.string().optional() })),
    { n: 0, ok: false, at: null },
  );
  const userStats = z.discriminatedUnion("found", [
    z.object({ found: z.literal(true), username: z.string() }),
    z.object({ found: z.literal(false) }),
  ]);
  assert.deepEqual(emptyValueOf(userStats), { found: false });
  assert.deepEqual(emptyValueOf(z.object({ tags: z.record(z.string(), z.number()) })), { tags: {} });
  assert.equal(emptyValueOf(z.object({ id: z.string(), n: z.number() })), null, "a required string has no empty value");
  assert.equal(emptyValueOf(z.object({ id: z.number().int().min(1) })), null, "0 must parse");
  assert.equal(emptyValueOf(z.enum(["a", "b"])), null);
});

Deno.test("every request method's fallback is null or a value its output schema accepts", () => {
  for (const [method, entry] of Object.entries(FUNCTIONS)) {
    if (!("fallback" in entry)) continue;
    if (entry.fallback === null) continue;
    const value = emptyValueOf(entry.fn.output);
    assert.notEqual(value, null, `${method} has an empty value`);
    assert.ok(entry.fn.output.safeParse(value).success, `${method}'s fallback parses`);
    assert.ok(entry.fn.readOnly, `${method} is a read`);
  }
});

Deno.test("createRoseyClient: every request method resolves to its fallback with one warning when no service answers", async () => {
  await using nats = await startNats();
  const nc = await connect({ servers: nats.url });
  const warnings: Record<string, unknown>[] = [];
  const log = createLogger({ level: "WARNING", write: (line) => warnings.push(JSON.parse(line)) });
  const client = createRoseyClient({ nc, log, timeoutMs: 300 }) as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  const requests = Object.entries(FUNCTIONS).filter(([, entry]) => "fallback" in entry);
  assert.ok(requests.length > 40);
  for (const [method, entry] of requests) {
    const expected = "fallback" in entry && entry.fallback === "empty" ? emptyValueOf(entry.fn.output) : null;
    // A subject with [name] tokens takes their values first.
    const params = "params" in entry ? [Object.fromEntries(entry.params.map((name) => [name, "p"]))] : [];
    assert.deepEqual(await client[method](...params, {}), expected, method);
  }
  assert.deepEqual(warnings.map((w) => w.method), requests.map(([method]) => method));
  assert.ok(warnings.every((w) => w.reason === "no service answered"));
  assert.deepEqual(await client.queryUserStats({}), { found: false });
  assert.deepEqual(await client.messagesOutboundGet({}), []);
  assert.equal(await client.messagesOutboundEnqueue({}), null, "a write's outcome is unknown: null, not a fake row");
  assert.equal(await client.tokenValidate({}), null);
  await nc.close();
});
