/**
 * INGEST_MODE=jetstream with JETSTREAM_REPLICAS=3 on a three-server NATS cluster: the server leading
 * the stream is SIGKILLed mid-load and started again later; every acknowledged event is kept.
 */
import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { json, tempDir, waitFor } from "../_helpers.ts";
import { waitReadiness } from "../_process.ts";
import { connectTo, keepAsking, startTwo, stopInstances, stored } from "./_failover.ts";
import { startNatsCluster } from "./_nats_cluster.ts";

const STREAM = "ROSEY_DB_EVENTS";
/** CLUSTER_TIMINGS=1 prints the failover's phases (kill → new leader → ingest resumed). */
const SHOW_TIMINGS = Boolean(Deno.env.get("CLUSTER_TIMINGS"));

/** The stream's leader as a surviving server reports it, or undefined while it has none. */
async function streamLeader(nc: NatsConnection): Promise<string | undefined> {
  try {
    const jsm = await jetstreamManager(nc, { timeout: 500 });
    return (await jsm.streams.info(STREAM)).cluster?.leader;
  } catch {
    return undefined; // no meta leader or no stream leader yet
  }
}

/** Batches an instance has acknowledged so far, from its /metrics. */
async function ackedBatches(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text.split("\n").filter((l) => l.startsWith("rosey_db_jetstream_ack_seconds_count"))
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
}

/**
 * Moves the stream's and the consumer's leaders to the server `name` by asking the leader elsewhere to
 * step down until the election lands there.
 */
async function leadOn(nc: NatsConnection, name: string) {
  const jsm = await jetstreamManager(nc);
  const leaders = async () => [
    (await jsm.streams.info(STREAM)).cluster?.leader,
    (await jsm.consumers.info(STREAM, "rosey-db")).cluster?.leader,
  ];
  const api = [`$JS.API.STREAM.LEADER.STEPDOWN.${STREAM}`, `$JS.API.CONSUMER.LEADER.STEPDOWN.${STREAM}.rosey-db`];
  for (let tries = 0; tries < 40; tries++) {
    const current = await leaders().catch(() => [undefined, undefined]);
    if (current.every((l) => l === name)) return;
    const i = current.findIndex((l) => l !== name);
    if (current[i] !== undefined) await nc.request(api[i], new Uint8Array(), { timeout: 2000 }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`Could not move the stream's and consumer's leaders to ${name}`);
}

/** The consumer's leader as a surviving server reports it, or undefined while it has none. */
async function consumerLeaderOf(nc: NatsConnection): Promise<string | undefined> {
  try {
    const jsm = await jetstreamManager(nc, { timeout: 500 });
    return (await jsm.consumers.info(STREAM, "rosey-db")).cluster?.leader;
  } catch {
    return undefined;
  }
}

Deno.test("INGEST_MODE=jetstream, JETSTREAM_REPLICAS=3: the stream's leader SIGKILLed mid-load, every acknowledged event is stored once and both instances recover", async () => {
  await using store = await tempDir();
  await using cluster = await startNatsCluster(store.path);
  await using dir = await tempDir();
  const path = `${dir.path}/cluster.db`;
  const instances = await startTwo(cluster, path, { INGEST_MODE: "jetstream", JETSTREAM_REPLICAS: "3" });
  const admin = await connect({ servers: cluster.nodes.map((n) => n.url) });
  const jsm = await jetstreamManager(admin);
  const info = await jsm.streams.info(STREAM);
  assert.equal(info.config.num_replicas, 3);
  assert.equal((await jsm.consumers.info(STREAM, "rosey-db")).config.num_replicas, 3);
  // The hardest case: the server killed leads the stream and the consumer, and carries an instance's connections.
  const leader = (await cluster.nodeOf("rosey-db-jetstream"))!;
  await leadOn(admin, leader.name);
  const survivor = cluster.nodes.find((n) => n !== leader)!;
  await admin.close();
  const nc = await connectTo(survivor);
  // The publisher has every server, as a bot would; it sends each event until the stream acknowledges it.
  const publisher = await connect({
    servers: cluster.nodes.map((n) => n.url),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  });
  const js = jetstream(publisher);
  let total = 0;
  let lastAckAt = 0;
  let publishing = true;
  const acked = new Set<number>();
  const send = async (i: number) => {
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        await js.publish("rosey.db.message.log", json({ username: `u${i % 20}`, message: `event ${i}` }), {
          msgID: `event-${i}`,
          timeout: 1000,
        });
        acked.add(i);
        lastAckAt = performance.now();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  // Events flow until both instances resumed and the killed server is back: a late instance has some to take.
  const published = (async () => {
    for (let start = 0; publishing; start += 50, total = start) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => send(start + j)));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    await waitFor(async () => (await stored(path)).rows >= 1000, 30_000, "load under way");
    const killedAt = performance.now();
    await cluster.kill(leader);
    const asking = keepAsking(nc, killedAt);
    const consumerLeader = waitFor<number>(
      async () => {
        const name = await consumerLeaderOf(nc);
        return name !== undefined && name !== leader.name ? performance.now() : undefined;
      },
      30_000,
      "a new consumer leader",
    );
    const newLeader = await waitFor(
      async () => {
        const name = await streamLeader(nc);
        return name && name !== leader.name ? name : undefined;
      },
      30_000,
      "a new stream leader",
    );
    const electedAt = performance.now();
    const rowsAtElection = (await stored(path)).rows;
    const committedAt = waitFor<number>(
      async () => (await stored(path)).rows > rowsAtElection ? performance.now() : undefined,
      30_000,
      "a row committed again",
    );
    const acceptedAt = await waitFor(() => lastAckAt > electedAt && lastAckAt, 30_000, "an event accepted again");

    // Each instance resumes once it acknowledges a batch again.
    const resumedAt = await Promise.all(instances.map(async ({ base }) => {
      const before = await ackedBatches(base);
      await waitFor(async () => (await ackedBatches(base)) > before, 30_000, "ingest resumed");
      return performance.now();
    }));
    const tally = await asking.stop();
    const consumerElectedAt = await consumerLeader;
    const firstCommitAt = await committedAt;
    if (SHOW_TIMINGS) {
      const seconds = (ms: number) => (ms / 1000).toFixed(2);
      console.log(
        `kill at ${
          new Date(Date.now() - (performance.now() - killedAt)).toISOString()
        } → new stream leader (${newLeader}): ${seconds(electedAt - killedAt)} s; then, new consumer leader: ${
          seconds(consumerElectedAt - electedAt)
        } s, first event accepted: ${seconds(acceptedAt - electedAt)} s, first commit: ${
          seconds(firstCommitAt - electedAt)
        } s, each instance's ingest resumed: ${resumedAt.map((t) => seconds(t - electedAt)).join(" s and ")} s`,
      );
    }
    await cluster.restart(leader);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    publishing = false;
    await published;
    assert.equal(acked.size, total, "every event acknowledged in the end");
    await waitFor(async () => (await stored(path)).rows >= total, 60_000, "every acknowledged event stored");
    await new Promise((resolve) => setTimeout(resolve, 2500)); // longer than the ack wait: a redelivery shows
    const { rows, events } = await stored(path);
    assert.equal(rows, events.size, "no event stored twice");
    for (const i of acked) assert.ok(events.has(i), `acknowledged event ${i} is missing`);
    assert.equal(
      tally.failed.length,
      0,
      `requests during the failover: ${tally.answered} answered, failed: ${tally.failed}`,
    );
    assert.ok(tally.answered > 20, JSON.stringify(tally));
    for (const { base } of instances) await waitReadiness(base, { timeoutMs: 15_000 });
  } finally {
    publishing = false;
    await published;
    await stopInstances(instances);
    await nc.close();
    await publisher.close();
  }
});
