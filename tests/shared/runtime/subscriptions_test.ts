import assert from "node:assert/strict";
import { startNatsServer } from "../../../shared/nats/local_server.ts";
import { http, request, startTestService, tempDir, waitFor } from "../../_helpers.ts";

/** A nats-server configuration: the service's user `svc`, denied subscribing to `denied`; anyone else is `bot`. */
function permissions(denied: string[]): string {
  const deny = denied.length > 0 ? `, permissions: { subscribe: { deny: ${JSON.stringify(denied)} } }` : "";
  return `authorization {\n  users = [\n    { user: svc, password: pw${deny} }\n    { user: bot, password: bot }\n  ]\n}\nno_auth_user: bot\n`;
}

/** A service whose user may not subscribe to `denied`, its server's configuration file, and its /ready. */
async function deniedService(dir: string, denied: string) {
  const conf = `${dir}/nats.conf`;
  await Deno.writeTextFile(conf, permissions([denied]));
  const nats = await startNatsServer({ args: ["-c", conf] });
  const t = await startTestService({ nats, env: { NATS_USER: "svc", NATS_PASSWORD: "pw" } });
  const ready = async () => {
    const response = await http(t.service, "/ready");
    return { status: response.status, body: await response.text() };
  };
  return {
    conf,
    nats,
    t,
    ready,
    async [Symbol.asyncDispose]() {
      await t[Symbol.asyncDispose]();
      await nats[Symbol.asyncDispose]();
    },
  };
}

Deno.test("a subscription the server refuses: no crash, /ready and metrics name it, and it is served once the server allows it", async () => {
  await using dir = await tempDir();
  await using denied = await deniedService(dir.path, "rosey.db.echo.get");
  const { conf, nats, t, ready } = denied;
  const refused = await ready();
  assert.equal(refused.status, 503);
  assert.match(refused.body, /functions: subscription to rosey\.db\.echo\.get refused: Permissions Violation/);
  const metrics = await (await http(t.service, "/metrics")).text();
  assert.match(metrics, /^rosey_db_subscription_refused\{subject="echo\.get"\} 1$/m);
  assert.match(metrics, /^rosey_db_subscription_refused\{subject="note\.count"\} 0$/m);
  // The rest is served meanwhile.
  assert.deepEqual((await request(t.nc, "rosey.db.note.count", {})).data, { count: 0 });

  // The operator lifts the restriction: nats-server reloads its configuration on SIGHUP.
  await Deno.writeTextFile(conf, permissions([]));
  nats.process.kill("SIGHUP");
  await waitFor(async () => (await ready()).status === 200, 15_000, "ready once the subscription is allowed");
  assert.deepEqual((await request(t.nc, "rosey.db.echo.get", { text: "hi" })).data, { text: "hi", n: 1 });
  assert.match(
    await (await http(t.service, "/metrics")).text(),
    /^rosey_db_subscription_refused\{subject="echo\.get"\} 0$/m,
  );
});

Deno.test("an event subscription the server refuses: /ready names it, requests are served meanwhile, and its events are stored once the server allows it", async () => {
  await using dir = await tempDir();
  await using denied = await deniedService(dir.path, "rosey.db.note.add");
  const { conf, nats, t, ready } = denied;
  const refused = await ready();
  assert.equal(refused.status, 503);
  assert.match(refused.body, /functions: subscription to rosey\.db\.note\.add refused: Permissions Violation/);
  assert.match(
    await (await http(t.service, "/metrics")).text(),
    /^rosey_db_subscription_refused\{subject="note\.add"\} 1$/m,
  );
  assert.deepEqual((await request(t.nc, "rosey.db.echo.get", { text: "hi" })).data, { text: "hi", n: 1 });

  await Deno.writeTextFile(conf, permissions([]));
  nats.process.kill("SIGHUP");
  await waitFor(async () => (await ready()).status === 200, 15_000, "ready once the subscription is allowed");
  t.nc.publish("rosey.db.note.add", JSON.stringify({ text: "after" }));
  assert.deepEqual((await request(t.nc, "rosey.db.note.count", {})).data, { count: 1 });
});
