import assert from "node:assert/strict";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { createLogger } from "../../../shared/log.ts";
import { ACTOR_HEADER, countsOf } from "../../../shared/runtime/audit.ts";
import { startNatsServer } from "../../../shared/nats/local_server.ts";
import { json, startTestService, tempDir, type TestServiceOptions, waitFor } from "../../_helpers.ts";

const SECRET = "payload-text-that-must-not-be-logged";

/** A service serving the real functions whose log lines are kept, parsed. */
async function auditedService(options: TestServiceOptions = {}) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: "INFO", write: (line) => lines.push(JSON.parse(line)) });
  const t = await startTestService({
    env: { MAINTENANCE_INTERVAL: "0" },
    tuning: { functionsDir: "functions" },
    log,
    ...options,
  });
  const audits = () => lines.filter((line) => line.msg === "Audit");
  return { t, lines, audits, [Symbol.asyncDispose]: () => t[Symbol.asyncDispose]() };
}

async function askAs(nc: NatsConnection, subject: string, body: unknown, actor?: string) {
  const h = headers();
  if (actor !== undefined) h.set(ACTOR_HEADER, actor);
  const msg = await nc.request(`rosey.db.${subject}`, json(body), { timeout: 5000, headers: h });
  return { code: msg.headers?.get("Nats-Service-Error-Code") || undefined, data: msg.json<Record<string, unknown>>() };
}

Deno.test("audit: an admin action logs one line naming the actor and the reply's counts, never payload text", async () => {
  await using s = await auditedService();
  s.t.nc.publish("rosey.db.user.joined", json({ username: 42, note: SECRET }));
  await waitFor(async () =>
    ((await askAs(s.t.nc, "admin.dead_letters.list", {})).data as unknown as unknown[]).length === 1
  );
  const before = s.audits().length;
  const listed = await askAs(s.t.nc, "admin.dead_letters.list", { limit: 10 }, "alice");
  assert(JSON.stringify(listed.data).includes(SECRET), "the reply itself carries the payload");
  const purged = await askAs(s.t.nc, "admin.dead_letters.purge", { all: true }, "alice");
  assert.deepEqual(purged.data, { purged: 1 });
  const [list, purge] = s.audits().slice(before);
  assert.deepEqual(
    [list.audit, list.outcome, list.actor, list.counts],
    ["admin.dead_letters.list", "ok", "alice", { items: 1 }],
  );
  assert.deepEqual([purge.audit, purge.outcome, purge.actor, purge.counts], [
    "admin.dead_letters.purge",
    "ok",
    "alice",
    { purged: 1 },
  ]);
  assert.deepEqual(s.audits().length, before + 2);
  assert(!s.lines.some((line) => JSON.stringify(line).includes(SECRET)), "no log line carries the payload");
});

Deno.test("audit: token.create is logged without the token; token.validate and bot subjects are not audited", async () => {
  await using s = await auditedService();
  const created = await askAs(s.t.nc, "token.create", { description: SECRET }, "ops");
  const token = created.data.token as string;
  await askAs(s.t.nc, "token.validate", { token });
  await askAs(s.t.nc, "status.get", {});
  const audits = s.audits();
  assert.deepEqual(audits.map((a) => a.audit), ["token.create"]);
  assert.deepEqual(audits[0].counts, {});
  assert.deepEqual(audits[0].actor, "ops");
  const text = JSON.stringify(s.lines);
  assert(!text.includes(token) && !text.includes(SECRET), "neither the token nor the description is logged");
});

Deno.test("audit: an actor with control characters or too long is refused (400) and logged as absent", async () => {
  await using s = await auditedService();
  for (const actor of ["eve\u001b[2Jforged line", "x".repeat(65)]) {
    const reply = await askAs(s.t.nc, "admin.health", {}, actor);
    assert.deepEqual(reply.code, "400");
  }
  assert.deepEqual((await askAs(s.t.nc, "admin.health", {}, "x".repeat(64))).code, undefined);
  assert.deepEqual(
    s.audits().map((a) => [a.outcome, a.status, a.actor]),
    [["invalid", 400, null], ["invalid", 400, null], ["ok", undefined, "x".repeat(64)]],
  );
  assert(!JSON.stringify(s.lines).includes("forged line"));
});

Deno.test("audit: a refused admin request (invalid input) is logged with its status", async () => {
  await using s = await auditedService();
  assert.deepEqual((await askAs(s.t.nc, "admin.dead_letters.replay", {}, "bob")).code, "400");
  const [line] = s.audits();
  assert.deepEqual([line.audit, line.outcome, line.status, line.actor], [
    "admin.dead_letters.replay",
    "invalid",
    400,
    "bob",
  ]);
});

Deno.test("audit: the NATS user comes from the server's Nats-Request-Info across a shared service import", async () => {
  await using dir = await tempDir();
  const conf = `${dir.path}/accounts.conf`;
  await Deno.writeTextFile(
    conf,
    `no_auth_user: rosey
    accounts: {
      SVC: { users: [{ user: rosey, password: r }], exports: [{ service: "rosey.db.>" }] }
      OPS: { users: [{ user: alice, password: a }], imports: [{ service: { account: SVC, subject: "rosey.db.admin.>" }, share: true }] }
    }`,
  );
  await using nats = await startNatsServer({ args: ["-c", conf] });
  const url = new URL(nats.url);
  await using s = await auditedService({
    nats,
    env: {
      MAINTENANCE_INTERVAL: "0",
      NATS_URL: `nats://127.0.0.1:${url.port}`,
      NATS_USER: "rosey",
      NATS_PASSWORD: "r",
    },
  });
  const operator = await connect({ servers: `127.0.0.1:${url.port}`, user: "alice", pass: "a" });
  try {
    // A header the sender writes itself is replaced by the server's on this path.
    const h = headers();
    h.set("Nats-Request-Info", JSON.stringify({ acc: "FAKE", user: "mallory" }));
    h.set(ACTOR_HEADER, "alice@laptop");
    await operator.request("rosey.db.admin.health", "{}", { timeout: 5000, headers: h });
  } finally {
    await operator.close();
  }
  const [line] = s.audits();
  assert.deepEqual([line.actor, line.nats_user, line.nats_account], ["alice@laptop", "alice", "OPS"]);
});

Deno.test("countsOf keeps numbers, booleans and list lengths, never text", () => {
  assert.deepEqual(
    countsOf({
      file: "/x/secret.db",
      size_bytes: 10,
      removed: ["a", "b"],
      deleted: { chat: 3, deep: { n: 1 } },
      ok: true,
    }),
    { size_bytes: 10, removed: 2, "deleted.chat": 3, ok: true },
  );
  assert.deepEqual(countsOf([{ payload: "text" }]), { items: 1 });
  assert.deepEqual(countsOf(null), {});
});
