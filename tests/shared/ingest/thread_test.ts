import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { freePort } from "../../../shared/nats/local_server.ts";
import {
  ask,
  countRows,
  http,
  json,
  publish,
  request,
  spawnService,
  startNats,
  startRosey,
  startTestService,
  tempDir,
  waitFor,
} from "../../_helpers.ts";

const NOTES = 3000;

/** The lines of /metrics counting note.add events, and the note.add endpoint's $SRV.STATS errors. */
async function noteFigures(t: Awaited<ReturnType<typeof startTestService>>) {
  const metrics = (await (await http(t.service, "/metrics")).text()).split("\n")
    .filter((line) => line.includes('subject="note.add"') && !line.includes("duration_seconds"))
    .filter((line) => !line.startsWith("rosey_db_batch_size"));
  const stats = (await t.nc.request("$SRV.STATS.rosey-db")).json<{ endpoints: Record<string, unknown>[] }>();
  const endpoint = stats.endpoints.find((e) => e.subject === "rosey.db.note.add")!;
  // num_requests counts handler calls, which depend on how the events happened to be batched.
  return { metrics, num_errors: endpoint.num_errors, last_error: endpoint.last_error };
}

Deno.test("the ingest thread on and off store the same events and report the same metrics and stats", async () => {
  await using dir = await tempDir();
  const figures = [];
  for (const threaded of [true, false]) {
    await using t = await startTestService({
      env: { DATABASE_PATH: `${dir.path}/${threaded}.db` },
      tuning: { ingestThread: threaded },
    });
    for (let i = 0; i < NOTES; i++) t.nc.publish("rosey.db.note.add", json({ text: i === 7 ? "fail" : `note ${i}` }));
    t.nc.publish("rosey.db.note.add", json({ text: "" }));
    // Answered after every event published before it is committed, whichever thread writes them.
    const { data } = await request(t.nc, "rosey.db.note.count");
    assert.deepEqual(data, { count: NOTES - 1 }, `ingestThread: ${threaded}`);
    figures.push(await noteFigures(t));
  }
  assert.deepEqual(figures[0], figures[1]);
  assert.ok(figures[0].metrics.includes('rosey_db_messages_total{subject="note.add",outcome="ok"} 2999'));
  assert.ok(figures[0].metrics.includes('rosey_db_messages_total{subject="note.add",outcome="invalid"} 1'));
});

Deno.test("through the ingest thread, every request sees the event its bot published just before it", async () => {
  await using dir = await tempDir();
  await using t = await startTestService({ env: { DATABASE_PATH: `${dir.path}/ryw.db` } });
  for (let i = 1; i <= 200; i++) {
    t.nc.publish("rosey.db.note.add", json({ text: `note ${i}` }));
    const { data } = await request(t.nc, "rosey.db.note.count");
    assert.deepEqual(data, { count: i });
  }
});

Deno.test("events of a [name] subject keep their token and their place among other events, on either thread", async () => {
  await using dir = await tempDir();
  const stored = [];
  for (const threaded of [true, false]) {
    await using t = await startTestService({
      env: { DATABASE_PATH: `${dir.path}/${threaded}.db` },
      tuning: { ingestThread: threaded, functionsDir: "tests/fixtures/thread_params" },
    });
    for (let i = 0; i < 300; i++) {
      t.nc.publish(`rosey.db.tag.${i % 3 === 0 ? "red" : "blue"}.add`, json({ text: `t${i}` }));
      if (i % 7 === 0) t.nc.publish("rosey.db.note.add", json({ text: `n${i}` }));
    }
    const { data } = await request(t.nc, "rosey.db.note.count");
    assert.deepEqual(data, { count: 43 }, `ingestThread: ${threaded}`);
    stored.push(await t.service.db()!.read.query("SELECT channel, text FROM tags ORDER BY id"));
  }
  assert.equal(stored[0].length, 300);
  assert.deepEqual(stored[0].slice(0, 4), [
    { channel: "red", text: "t0" },
    { channel: "blue", text: "t1" },
    { channel: "blue", text: "t2" },
    { channel: "red", text: "t3" },
  ]);
  assert.deepEqual(stored[0], stored[1]);
});

Deno.test("a request's write gets the lock while the ingest thread writes a flood of events", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/flood.db` });
  const events = 30_000;
  for (let i = 0; i < events; i++) {
    t.nc.publish("rosey.db.message.log", json({ username: "flood", message: `m${i}`, timestamp: 1_700_000_000 + i }));
  }
  const queued = await Promise.all(
    Array.from({ length: 20 }, (_, i) => ask<{ id: number }>(t, "messages.outbound.enqueue", { message: `out ${i}` })),
  );
  assert.equal(new Set(queued.map((q) => q.id)).size, 20);
  await publish(t, "message.log");
  await waitFor(async () => await countRows(t.service, "recent_chat") === events, 30_000, "every event stored");
});

Deno.test("with a file database, /ready reports NATS down, recovers, and events after the restart reach the ingest thread", async () => {
  await using dir = await tempDir();
  const port = freePort();
  let nats = await startNats({ port });
  await using t = await startTestService({ nats, env: { DATABASE_PATH: `${dir.path}/r.db` } });
  await nats.stop();
  await waitFor(
    async () => {
      const res = await http(t.service, "/ready");
      const body = await res.json() as { reasons?: string[] };
      return res.status === 503 && body.reasons?.includes("nats: main connection down");
    },
    10_000,
    "/ready to name the NATS connection",
  );
  nats = await startNats({ port });
  try {
    await waitFor(async () => (await http(t.service, "/ready")).status === 200, 15_000, "/ready 200");
    const nc = await connect({ servers: nats.url });
    for (let i = 0; i < 50; i++) nc.publish("rosey.db.note.add", json({ text: `after ${i}` }));
    const { data } = await request(nc, "rosey.db.note.count");
    assert.deepEqual(data, { count: 50 });
    await nc.close();
  } finally {
    await nats.stop();
  }
});

Deno.test("when the ingest thread dies, /ready says why and the process exits 1", async () => {
  await using dir = await tempDir();
  await using t = await startTestService({
    env: { DATABASE_PATH: `${dir.path}/crash.db` },
    tuning: { functionsDir: "tests/fixtures/thread_crash" },
  });
  t.nc.publish("rosey.db.crash.later", json({}));
  const error = await t.service.failed;
  assert.match(error.message, /bug outside the handler/);
  const res = await http(t.service, "/ready");
  assert.equal(res.status, 503);
  assert.ok(
    ((await res.json()) as { reasons: string[] }).reasons.some((r) => /ingest thread stopped: .*bug outside/.test(r)),
  );
  // Until the process exits, events received are written by the main thread rather than dropped.
  for (let i = 0; i < 20; i++) t.nc.publish("rosey.db.note.add", json({ text: `after ${i}` }));
  await waitFor(async () => await countRows(t.service, "notes") === 20, 10_000, "20 notes written");

  await using nats = await startNats();
  const { child } = await spawnService(
    [],
    {
      NATS_URL: nats.url,
      DATABASE_PATH: `${dir.path}/process.db`,
    },
    undefined,
    { functionsDir: "tests/fixtures/thread_crash" },
  );
  const nc = await connect({ servers: nats.url });
  nc.publish("rosey.db.crash.later", json({}));
  await nc.flush();
  assert.equal((await child.status).code, 1);
  await nc.close();
});
