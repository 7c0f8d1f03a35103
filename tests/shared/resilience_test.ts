import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { connect } from "@nats-io/transport-node";
import { accepts, freePort } from "../../shared/nats/local_server.ts";
import {
  countRows,
  FIXTURE_FUNCTIONS,
  http,
  json,
  spawnService,
  startNats,
  startTestService,
  tempDir,
  waitFor,
} from "../_helpers.ts";

Deno.test("after nats-server restarts, /ready goes 503 then 200 by itself and new events are stored", async () => {
  const port = freePort();
  let nats = await startNats({ port });
  await using t = await startTestService({ nats });
  await nats.stop();
  await waitFor(async () => (await http(t.service, "/ready")).status === 503, 10_000, "/ready 503");
  const body = await (await http(t.service, "/ready")).json() as { reasons: string[] };
  assert.ok(body.reasons.includes("nats: main connection down"), body.reasons.join(" | "));
  nats = await startNats({ port });
  try {
    await waitFor(async () => (await http(t.service, "/ready")).status === 200, 15_000, "/ready 200");
    const nc = await connect({ servers: nats.url });
    for (let i = 0; i < 100; i++) nc.publish("rosey.db.note.add", json({ text: `after ${i}` }));
    await nc.flush();
    await waitFor(async () => await countRows(t.service, "notes") === 100, 10_000, "100 notes");
    await nc.close();
    assert.match(
      await (await http(t.service, "/metrics")).text(),
      /^rosey_db_nats_reconnects_total\{connection="main"\} 1$/m,
    );
  } finally {
    await nats.stop();
  }
});

Deno.test("SIGTERM while events are queued commits everything received, then exits 0", async () => {
  await using nats = await startNats();
  await using dir = await tempDir();
  const path = `${dir.path}/sigterm.db`;
  const { child, base } = await spawnService(["--db-path", path, "--nats-url", nats.url], {}, undefined, {
    functionsDir: FIXTURE_FUNCTIONS,
  });

  // Hold the write lock so that every event stays queued in the writer.
  const other = createClient({ url: `file:${path}` });
  await other.execute("BEGIN IMMEDIATE");
  const nc = await connect({ servers: nats.url });
  const total = 3000;
  for (let i = 0; i < total; i++) nc.publish("rosey.db.note.add", json({ text: `queued ${i}` }));
  await nc.flush();
  await waitFor(
    async () => {
      const text = await (await fetch(base + "/metrics")).text();
      return Number(/^rosey_db_writer_queue_depth (\d+)$/m.exec(text)?.[1]) === total;
    },
    20_000,
    "all events queued",
  );
  child.kill("SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 300));
  await other.execute("ROLLBACK");
  const status = await child.status;
  assert.equal(status.code, 0);
  const [{ n }] = (await other.execute("SELECT count(*) AS n FROM notes")).rows as unknown as { n: number }[];
  assert.equal(n, total);
  other.close();
  await nc.close();
});

Deno.test("without NATS_URL the service starts its own nats-server, from any directory, and stops it on SIGTERM", async () => {
  await using dir = await tempDir();
  const natsPort = freePort();
  const { child } = await spawnService(
    ["--db-path", "embedded.db"],
    {},
    dir.path,
    { localNatsPort: natsPort },
  );
  const nc = await connect({ servers: `nats://127.0.0.1:${natsPort}` });
  const reply = await nc.request("rosey.db.query.user_stats", json({ username: "nobody" }), { timeout: 5000 });
  assert.deepEqual(reply.json(), { found: false });
  await nc.close();
  assert.ok((await Deno.stat(`${dir.path}/nats`)).isDirectory, "JetStream store beside the database");
  assert.ok((await Deno.stat(`${dir.path}/embedded.db`)).isFile, "database path relative to the working directory");
  child.kill("SIGTERM");
  assert.equal((await child.status).code, 0);
  assert.equal(await accepts(natsPort), false, "the child nats-server is gone");
});
