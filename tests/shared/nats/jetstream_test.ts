import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { MAX_DELIVER } from "../../../shared/nats/jetstream.ts";
import { skipFlags } from "../../../shared/nats/jetstream_applied.ts";
import { freePort } from "../../../shared/nats/local_server.ts";
import { ask, json, request, spawnService, startNats, startRosey, tempDir, waitFor } from "../../_helpers.ts";

const JS_ENV = { INGEST_MODE: "jetstream" };
/** A short ack wait, so that a redelivery shows within a test's time. */
const JS_TUNING = { ackWaitSeconds: 2 };

async function chatCounts(path: string) {
  const db = createClient({ url: `file:${path}` });
  try {
    const [row] = (await db.execute(
      "SELECT count(*) AS n, count(DISTINCT message) AS distinct_n, (SELECT coalesce(sum(total_chat_lines), 0) FROM user_stats) AS lines FROM recent_chat",
    )).rows;
    return { rows: Number(row.n), distinct: Number(row.distinct_n), lines: Number(row.lines) };
  } catch {
    return { rows: 0, distinct: 0, lines: 0 };
  } finally {
    db.close();
  }
}

/** Rows, dead letters, applied sequences and the consumer's state: what a lost-event failure needs to say. */
async function whereEventsAre(path: string, nc: NatsConnection) {
  const db = createClient({ url: `file:${path}` });
  const dead = (await db.execute("SELECT error_code, count(*) AS n FROM dead_letters GROUP BY error_code")).rows;
  const [applied] = (await db.execute("SELECT count(*) AS n, max(seq) AS last FROM jetstream_applied")).rows;
  db.close();
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info("ROSEY_DB_EVENTS");
  const consumer = await jsm.consumers.info("ROSEY_DB_EVENTS", "rosey-db");
  const published = nc.stats().outMsgs;
  return JSON.stringify({
    published,
    counts: await chatCounts(path),
    dead,
    applied,
    stream: { messages: state.messages, first: state.first_seq, last: state.last_seq },
    consumer: {
      pending: consumer.num_pending,
      ackPending: consumer.num_ack_pending,
      redelivered: consumer.num_redelivered,
      delivered: consumer.delivered.stream_seq,
      ackFloor: consumer.ack_floor.stream_seq,
    },
  });
}

async function integrity(path: string) {
  const db = createClient({ url: `file:${path}` });
  const rows = (await db.execute("PRAGMA integrity_check")).rows.map((r) => r.integrity_check);
  db.close();
  return rows;
}

/**
 * Publishes `count` distinct chat events to the stream, 500 awaiting their PubAck at a time; one
 * without an ack is sent again under the same message id, which the stream deduplicates.
 */
async function publishChatAcked(nc: NatsConnection, count: number) {
  const js = jetstream(nc);
  const publishOne = async (i: number) => {
    for (let attempt = 0;; attempt++) {
      try {
        await js.publish("rosey.db.message.log", json({ username: `u${i % 20}`, message: `event ${i}` }), {
          msgID: `event-${i}`,
          timeout: 5000,
        });
        return;
      } catch (error) {
        if (attempt === 20) throw error;
      }
    }
  };
  for (let start = 0; start < count; start += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - start) }, (_, j) => publishOne(start + j)));
  }
}

/** Publishes `count` distinct chat events with core NATS, in slices so a subscriber can keep up. */
async function publishChat(nc: NatsConnection, count: number, from = 0) {
  for (let i = from; i < from + count; i++) {
    nc.publish("rosey.db.message.log", json({ username: `u${i % 20}`, message: `event ${i}` }));
    if (i % 1000 === 999) {
      await nc.flush();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  await nc.flush();
}

Deno.test("INGEST_MODE=jetstream stores events from the stream, and requests still get their own replies", async () => {
  await using nats = await startNats({ storeDir: await Deno.makeTempDir() });
  await using t = await startRosey(JS_ENV, nats, JS_TUNING);
  const jsm = await jetstreamManager(t.nc);
  const info = await jsm.streams.info("ROSEY_DB_EVENTS");
  assert.ok(info.config.subjects.includes("rosey.db.message.log"));
  assert.ok(
    !info.config.subjects.some((s) => s.endsWith(".get") || s.includes("query")),
    "no request subject in the stream",
  );
  await publishChat(t.nc, 1000);
  assert.deepEqual(await ask(t, "query.user_stats", { username: "nobody" }), { found: false });
  await waitFor(
    async () => (await ask<unknown[]>(t, "stats.recent_chat.get", { limit: 1000 })).length === 1000,
    20_000,
    "1000 events",
  );
  await t.nc.publish("rosey.db.user.joined", json({ username: "" }));
  await waitFor(
    async () => (await ask<unknown[]>(t, "admin.dead_letters.list")).length === 1,
    10_000,
    "the poison event dead-lettered",
  );
  // Terminated, not redelivered: after more than an ack wait it is still one dead letter.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal((await ask<unknown[]>(t, "admin.dead_letters.list")).length, 1);
  const consumer = await jsm.consumers.info("ROSEY_DB_EVENTS", "rosey-db");
  assert.equal(consumer.num_ack_pending, 0);
  const metrics = await (await fetch(`${t.service.httpUrl}/metrics`)).text();
  for (
    const name of [
      "jetstream_consumer_pending",
      "jetstream_redeliveries_total",
      "jetstream_duplicates_skipped_total",
      "jetstream_ack_seconds_count",
    ]
  ) {
    assert.match(metrics, new RegExp(`^rosey_db_${name}`, "m"));
  }
});

Deno.test("INGEST_MODE=jetstream: kill -9 five times during 50,000 events loses and duplicates nothing", async () => {
  await using store = await tempDir();
  await using nats = await startNats({ storeDir: store.path });
  await using dir = await tempDir();
  const path = `${dir.path}/kill.db`;
  const args = ["--db-path", path, "--nats-url", nats.url];
  let service = await spawnService(args, JS_ENV, undefined, JS_TUNING);
  const nc = await connect({ servers: nats.url });
  // With a PubAck for each: a loaded server may drop core publishes before they reach the stream.
  const publishing = publishChatAcked(nc, 50_000);
  for (let kill = 0; kill < 5; kill++) {
    await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 600));
    service.child.kill("SIGKILL");
    await service.child.status;
    service = await spawnService(args, JS_ENV, undefined, JS_TUNING);
  }
  await publishing;
  await waitFor(async () => (await chatCounts(path)).rows >= 50_000, 120_000, "50,000 rows")
    .catch(async (error) => {
      throw new Error(`${error.message}; ${await whereEventsAre(path, nc)}`);
    });
  await new Promise((resolve) => setTimeout(resolve, 2500)); // longer than the ack wait: any redelivery shows
  service.child.kill("SIGTERM");
  assert.equal((await service.child.status).code, 0);
  assert.deepEqual(
    await chatCounts(path),
    { rows: 50_000, distinct: 50_000, lines: 50_000 },
    await whereEventsAre(path, nc),
  );
  assert.deepEqual(await integrity(path), ["ok"]);
  await nc.close();
});

Deno.test("INGEST_MODE=jetstream: nats-server killed and restarted mid-load, every accepted event stored once", async () => {
  await using store = await tempDir();
  const port = freePort();
  let nats = await startNats({ storeDir: store.path, port });
  await using dir = await tempDir();
  const path = `${dir.path}/server-kill.db`;
  const service = await spawnService(["--db-path", path, "--nats-url", nats.url], JS_ENV, undefined, JS_TUNING);
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const js = jetstream(nc);
  const accepted = new Set<number>();
  let published = 0;
  const publishing = (async () => {
    for (let i = 0; i < 20_000; i++) {
      published++;
      try {
        // A message id: the client resends what it had buffered when the connection broke, and the
        // stream must not store that twice.
        await js.publish("rosey.db.message.log", json({ username: `u${i % 20}`, message: `event ${i}` }), {
          msgID: `event-${i}`,
          timeout: 1000,
        });
        accepted.add(i);
      } catch { /* not accepted: the server was down */ }
    }
  })();
  await waitFor(() => accepted.size > 3000, 30_000, "load under way");
  await nats.stop("SIGKILL");
  nats = await startNats({ storeDir: store.path, port });
  await publishing;
  try {
    await waitFor(async () => (await chatCounts(path)).rows >= accepted.size, 120_000, "every accepted event");
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const counts = await chatCounts(path);
    assert.equal(counts.distinct, counts.rows, `no event stored twice; ${await whereEventsAre(path, nc)}`);
    assert.equal(counts.lines, counts.rows);
    assert.ok(
      counts.rows >= accepted.size && counts.rows <= published,
      `${counts.rows} rows for ${accepted.size} accepted of ${published}`,
    );
    const db = createClient({ url: `file:${path}` });
    const stored = new Set(
      (await db.execute("SELECT message FROM recent_chat")).rows.map((r) => Number(String(r.message).slice(6))),
    );
    db.close();
    for (const i of accepted) assert.ok(stored.has(i), `accepted event ${i} is missing`);
    assert.equal((await fetch(`${service.base}/ready`)).status, 200, "reconnected without a restart");
  } finally {
    service.child.kill("SIGTERM");
    await service.child.status;
    await nc.close();
    await nats.stop();
  }
});

Deno.test("INGEST_MODE=jetstream: an event sent again under its message id after nats-server crashed and restarted is stored once", async () => {
  // nats-server rebuilds its duplicate window after a restart from the messages still in the stream;
  // an event already consumed (and so removed from the work queue) is forgotten, and the same message
  // id is stored again under a new sequence. A publisher whose PubAck was lost in the crash sends again.
  await using store = await tempDir();
  const port = freePort();
  let nats = await startNats({ storeDir: store.path, port });
  await using dir = await tempDir();
  const path = `${dir.path}/resend.db`;
  const service = await spawnService(["--db-path", path, "--nats-url", nats.url], JS_ENV, undefined, JS_TUNING);
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const js = jetstream(nc);
  /** Publishes event `i` under its message id until the stream acknowledges it, as a careful publisher does. */
  const send = async (i: number) => {
    for (let attempt = 0;; attempt++) {
      try {
        return await js.publish("rosey.db.message.log", json({ username: "u", message: `event ${i}` }), {
          msgID: `event-${i}`,
          timeout: 1000,
        });
      } catch (error) {
        if (attempt === 20) throw error;
      }
    }
  };
  try {
    const first = await Promise.all([0, 1, 2].map(send));
    await waitFor(async () => (await chatCounts(path)).rows === 3, 20_000, "3 events stored");
    const jsm = await jetstreamManager(nc);
    await waitFor(async () => (await jsm.streams.info("ROSEY_DB_EVENTS")).state.messages === 0, 20_000, "acked");
    await nats.stop("SIGKILL");
    nats = await startNats({ storeDir: store.path, port });
    const again = await Promise.all([0, 1, 2].map(send));
    // The window itself: the stream took them again, under sequences of their own.
    assert.ok(again.every((ack, i) => !ack.duplicate && ack.seq !== first[i].seq), JSON.stringify(again));
    await send(3);
    await waitFor(async () => (await chatCounts(path)).distinct === 4, 20_000, "the next event stored");
    await new Promise((resolve) => setTimeout(resolve, 2500)); // longer than the ack wait
    assert.deepEqual(await chatCounts(path), { rows: 4, distinct: 4, lines: 4 }, await whereEventsAre(path, nc));
  } finally {
    service.child.kill("SIGTERM");
    await service.child.status;
    await nc.close();
    await nats.stop();
  }
});

Deno.test("INGEST_MODE=jetstream: a 10 s write lock loses nothing and /health answers throughout", async () => {
  await using nats = await startNats({ storeDir: await Deno.makeTempDir() });
  await using dir = await tempDir();
  const path = `${dir.path}/lock.db`;
  const service = await spawnService(["--db-path", path, "--nats-url", nats.url], { INGEST_MODE: "jetstream" });
  const nc = await connect({ servers: nats.url });
  const other = createClient({ url: `file:${path}` });
  await other.execute("BEGIN IMMEDIATE");
  const released = new Promise((resolve) => setTimeout(resolve, 10_000)).then(() => other.execute("ROLLBACK"));
  await publishChatAcked(nc, 5000);
  const healthChecks: number[] = [];
  while (healthChecks.length < 40) {
    const started = performance.now();
    const res = await fetch(`${service.base}/health`);
    await res.body?.cancel();
    assert.equal(res.status, 200);
    healthChecks.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await released;
  assert.ok(Math.max(...healthChecks) < 1000, `slowest /health took ${Math.max(...healthChecks)} ms`);
  await waitFor(async () => (await chatCounts(path)).rows === 5000, 90_000, "the backlog drained");
  assert.deepEqual(await chatCounts(path), { rows: 5000, distinct: 5000, lines: 5000 });
  other.close();
  service.child.kill("SIGTERM");
  await service.child.status;
  await nc.close();
});

for (const mode of ["jetstream", "core"] as const) {
  Deno.test(`INGEST_MODE=${mode}: two instances on one database apply each of 50,000 events once and share requests`, async () => {
    await using nats = await startNats({ storeDir: await Deno.makeTempDir() });
    await using dir = await tempDir();
    const path = `${dir.path}/two.db`;
    const args = ["--db-path", path, "--nats-url", nats.url];
    const a = await spawnService(args, { INGEST_MODE: mode });
    const b = await spawnService(args, { INGEST_MODE: mode });
    const nc = await connect({ servers: nats.url });
    await (mode === "jetstream" ? publishChatAcked(nc, 50_000) : publishChat(nc, 50_000));
    await waitFor(async () => (await chatCounts(path)).rows >= 50_000, 120_000, "50,000 rows");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(await chatCounts(path), { rows: 50_000, distinct: 50_000, lines: 50_000 });
    for (let i = 0; i < 200; i++) await request(nc, "rosey.db.status.get", {});
    const stats = [];
    const inbox = nc.subscribe("_INBOX.stats.>", { max: 2, timeout: 5000 });
    nc.publish("$SRV.STATS.rosey-db", new Uint8Array(), { reply: "_INBOX.stats.1" });
    for await (const m of inbox) stats.push(m.json<{ endpoints: { subject: string; num_requests: number }[] }>());
    const served = stats.map((s) => s.endpoints.find((e) => e.subject === "rosey.db.status.get")!.num_requests);
    assert.equal(served.length, 2);
    assert.equal(served[0] + served[1], 200);
    assert.ok(served.every((n) => n > 0), `requests per instance: ${served.join(", ")}`);
    for (const s of [a, b]) {
      s.child.kill("SIGTERM");
      assert.equal((await s.child.status).code, 0);
    }
    await nc.close();
  });
}

Deno.test("INGEST_MODE=jetstream creates the stream and consumer named after SUBJECT_PREFIX and QUEUE_GROUP at start-up and updates them from RETENTION's events=", async () => {
  await using nats = await startNats({ storeDir: await Deno.makeTempDir() });
  const names = { SUBJECT_PREFIX: "chat.db-test", QUEUE_GROUP: "bots-db" };
  {
    await using _t = await startRosey({ ...JS_ENV, ...names, RETENTION: "events=1h" }, nats, JS_TUNING);
  }
  await using t = await startRosey({ ...JS_ENV, ...names, RETENTION: "events=2h" }, nats, { ackWaitSeconds: 9 });
  const jsm = await jetstreamManager(t.nc);
  const stream = await jsm.streams.info("CHAT_DB_TEST_EVENTS");
  assert.equal(stream.config.max_age, 7200 * 1e9);
  assert.equal(stream.config.retention, "workqueue");
  assert.ok(stream.config.subjects.includes("chat.db-test.message.log"), stream.config.subjects.join(", "));
  const consumer = await jsm.consumers.info("CHAT_DB_TEST_EVENTS", "bots-db");
  assert.deepEqual([consumer.config.ack_wait, consumer.config.max_deliver], [9 * 1e9, MAX_DELIVER]);
});

Deno.test("skipFlags skips sequences applied before and a sequence repeated within one batch", () => {
  const bySeq = (...seqs: number[]) => seqs.map((seq) => ({ seq }));
  assert.deepEqual(skipFlags(bySeq(5, 6, 7, 6, 8, 5), { seqs: [5], ids: [] }), [true, false, false, true, false, true]);
});

Deno.test("skipFlags applies a message id once whatever its sequence, and a reused sequence under a new id", () => {
  const applied = { seqs: [5, 6, 7], ids: [{ msgId: "a", seq: 5 }, { msgId: "b", seq: 6 }] };
  assert.deepEqual(
    skipFlags([
      { seq: 5, msgId: "a" }, // redelivered
      { seq: 9, msgId: "b" }, // sent again after the server forgot "b": stored under a new sequence
      { seq: 6, msgId: "c" }, // sequence 6 reused by the server for another message
      { seq: 7, msgId: "d" }, // sequence 7 applied by a version that recorded no ids
      { seq: 10, msgId: "c" }, // "c" again within the batch
      { seq: 11, msgId: "e" },
    ], applied),
    [true, true, false, true, true, false],
  );
});
