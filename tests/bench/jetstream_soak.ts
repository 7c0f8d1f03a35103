/**
 * `deno task soak`: effectively-once ingestion under a crashing nats-server, repeated. Each run starts
 * a nats-server on a fresh store and the service (INGEST_MODE=jetstream) as a process, publishes
 * SOAK_EVENTS distinct events with a message id each, each sent again under its id until its PubAck
 * arrives, kills nats-server with SIGKILL at a random point, restarts it on its store, sends the events
 * of the last SOAK_RESEND_SECONDS before the crash again under their ids (as a publisher does that
 * lost their PubAcks; nats-server has forgotten the ids of those it had removed from its work queue),
 * and then counts: every acknowledged event must be stored exactly once. Prints one line per run and
 * the totals; exits 1 on any duplicate or lost event.
 *
 * SOAK_RUNS (20), SOAK_EVENTS (20000), SOAK_PUBLISHERS (1: publishes awaiting their PubAck at once),
 * SOAK_RETRIES (20: sends again after a timeout), SOAK_RESEND_SECONDS (5).
 */
import { createClient } from "@libsql/client";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { freePort } from "../../shared/nats/local_server.ts";
import { json, spawnService, startNats, waitFor } from "../_helpers.ts";

const RUNS = Number(Deno.env.get("SOAK_RUNS") ?? 20);
const EVENTS = Number(Deno.env.get("SOAK_EVENTS") ?? 20_000);
const PUBLISHERS = Number(Deno.env.get("SOAK_PUBLISHERS") ?? 1);
const RETRIES = Number(Deno.env.get("SOAK_RETRIES") ?? 20);
const RESEND_SECONDS = Number(Deno.env.get("SOAK_RESEND_SECONDS") ?? 5);

/** What one run ends with. */
export interface SoakRun {
  /** Publish attempts, retries and events sent again included. */
  published: number;
  accepted: number;
  stored: number;
  /** Stored rows beyond the first of their event. */
  duplicates: number;
  /** Acknowledged events not stored. */
  lost: number;
  /** Events acknowledged when nats-server was killed. */
  killedAt: number;
  /** Events sent again after the restart. */
  resent: number;
}

/** How many times each event number is stored in `recent_chat` of the database at `path`. */
async function storedCounts(path: string): Promise<Map<number, number>> {
  const db = createClient({ url: `file:${path}` });
  try {
    const rows = (await db.execute("SELECT message, count(*) AS n FROM recent_chat GROUP BY message")).rows;
    return new Map(rows.map((r) => [Number(String(r.message).slice("event ".length)), Number(r.n)]));
  } catch {
    return new Map();
  } finally {
    db.close();
  }
}

/** One run: publish `events`, kill nats-server once `killAfter` are acknowledged, restart it, count. */
export async function soakRun(events: number, killAfter: number, publishers = 1): Promise<SoakRun> {
  const store = await Deno.makeTempDir({ prefix: "rosey-db-soak-" });
  const port = freePort();
  let nats = await startNats({ storeDir: `${store}/nats`, port });
  const path = `${store}/soak.db`;
  const service = await spawnService(
    ["--db-path", path, "--nats-url", nats.url],
    { INGEST_MODE: "jetstream", MAINTENANCE_INTERVAL: "0" },
    undefined,
    { ackWaitSeconds: 2 },
  );
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const js = jetstream(nc);
  const accepted = new Set<number>();
  /** When each event was first sent (performance.now()). */
  const sentAt: number[] = [];
  let published = 0, next = 0;
  /** Publishes event `i` under its message id, again on a timeout, until the stream acknowledges it. */
  const send = async (i: number) => {
    sentAt[i] ??= performance.now();
    for (let attempt = 0; attempt <= RETRIES; attempt++) {
      published++;
      try {
        await js.publish("rosey.db.message.log", json({ username: `u${i % 20}`, message: `event ${i}` }), {
          msgID: `event-${i}`,
          timeout: 1000,
        });
        accepted.add(i);
        return;
      } catch { /* not acknowledged: the server was down */ }
    }
  };
  const publisher = async () => {
    while (next < events) await send(next++);
  };
  const publishing = Promise.all(Array.from({ length: publishers }, publisher));
  try {
    await waitFor(() => accepted.size >= killAfter, 60_000, `${killAfter} events acknowledged`);
    const killedAt = accepted.size, killedTime = performance.now();
    await nats.stop("SIGKILL");
    nats = await startNats({ storeDir: `${store}/nats`, port });
    const resent = sentAt.flatMap((t, i) => t > killedTime - RESEND_SECONDS * 1000 ? [i] : []);
    for (let from = 0; from < resent.length; from += 500) await Promise.all(resent.slice(from, from + 500).map(send));
    await publishing;
    const everyAccepted = async () => {
      const stored = await storedCounts(path);
      return [...accepted].every((i) => stored.has(i));
    };
    await waitFor(everyAccepted, 60_000, "every acknowledged event stored").catch(() => {});
    // Longer than the ack wait: a late redelivery shows too.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const stored = await storedCounts(path);
    let rows = 0, duplicates = 0, lost = 0;
    for (const n of stored.values()) {
      rows += n;
      duplicates += n - 1;
    }
    for (const i of accepted) if (!stored.has(i)) lost++;
    return { published, accepted: accepted.size, stored: rows, duplicates, lost, killedAt, resent: resent.length };
  } finally {
    service.child.kill("SIGTERM");
    await service.child.status;
    await nc.close();
    await nats.stop();
    await Deno.remove(store, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const totals = { runs: 0, accepted: 0, duplicates: 0, lost: 0, failedRuns: 0 };
  console.log(`${RUNS} runs of ${EVENTS} events, ${PUBLISHERS} publisher(s), nats-server killed once per run`);
  for (let run = 1; run <= RUNS; run++) {
    const killAfter = Math.floor(EVENTS * (0.15 + Math.random() * 0.6));
    const r = await soakRun(EVENTS, killAfter, PUBLISHERS);
    totals.runs++;
    totals.accepted += r.accepted;
    totals.duplicates += r.duplicates;
    totals.lost += r.lost;
    if (r.duplicates || r.lost) totals.failedRuns++;
    console.log(
      `run ${run}: killed after ${r.killedAt} acked, ${r.resent} sent again; ${r.published} sends, acked ${r.accepted} of ${EVENTS}, ` +
        `stored ${r.stored}, duplicates ${r.duplicates}, lost ${r.lost}`,
    );
  }
  console.log(
    `runs ${totals.runs}, acknowledged events ${totals.accepted}, duplicates ${totals.duplicates}, ` +
      `lost ${totals.lost}, runs with either ${totals.failedRuns}`,
  );
  if (totals.duplicates || totals.lost) Deno.exit(1);
}
