/** Test helpers for failovers on a NATS cluster: two instances, what they stored, and requests asked meanwhile. */
import { createClient } from "@libsql/client";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { request, spawnService } from "../_helpers.ts";
import type { ClusterNode, NatsCluster } from "./_nats_cluster.ts";

/** The chat events stored (`event <n>` messages): rows, and the event numbers themselves. */
export async function stored(path: string): Promise<{ rows: number; events: Set<number> }> {
  const db = createClient({ url: `file:${path}` });
  try {
    const rows = (await db.execute("SELECT message FROM recent_chat")).rows.map((r) =>
      Number(String(r.message).slice(6))
    );
    return { rows: rows.length, events: new Set(rows) };
  } catch {
    return { rows: 0, events: new Set<number>() };
  } finally {
    db.close();
  }
}

/**
 * Two instances as child processes sharing one database file, each given every server of the
 * cluster; CLUSTER_LOG=INFO shows their logs.
 */
export async function startTwo(cluster: NatsCluster, path: string, env: Record<string, string>) {
  const args = ["--db-path", path];
  const common = { NATS_URL: cluster.urls, LOG_LEVEL: Deno.env.get("CLUSTER_LOG") ?? "ERROR", ...env };
  // One after the other: the first makes the stream, the second finds it.
  const a = await spawnService(args, common, undefined, { ackWaitSeconds: 2 });
  const b = await spawnService(args, common, undefined, { ackWaitSeconds: 2 });
  return [a, b];
}

/** Stops the instances (SIGTERM) that still run. */
export async function stopInstances(instances: { child: Deno.ChildProcess }[]): Promise<void> {
  for (const { child } of instances) {
    try {
      child.kill("SIGTERM");
    } catch { /* it had ended already: the test says why */ }
    await child.status;
  }
}

/**
 * How long after a kill a request may still be lost: one in flight to the dying server, or routed
 * there before its peers read the closed route (core NATS keeps no copy of a message).
 */
export const IN_FLIGHT_MS = 250;

/** What {@linkcode keepAsking} saw. */
export interface RequestTally {
  answered: number;
  /** Sent within IN_FLIGHT_MS of the kill and not answered. */
  lostInFlight: number;
  /** Sent later and not answered, or answered with an error. */
  failed: string[];
}

/**
 * Asks status.get every 100 ms from `killedAt` (a time from performance.now()) until `stop()`; counts
 * what is answered and, by the time it was sent, what is not.
 */
export function keepAsking(nc: NatsConnection, killedAt: number): { stop(): Promise<RequestTally> } {
  let running = true;
  const tally: RequestTally = { answered: 0, lostInFlight: 0, failed: [] };
  const done = (async () => {
    while (running) {
      const sent = performance.now();
      try {
        const reply = await request(nc, "rosey.db.status.get", {}, 2000);
        if (reply.errorCode) tally.failed.push(`${reply.errorCode} ${reply.error}`);
        else tally.answered++;
      } catch (error) {
        const after = `sent ${((sent - killedAt) / 1000).toFixed(2)} s after the kill`;
        if (sent - killedAt < IN_FLIGHT_MS) tally.lostInFlight++;
        else tally.failed.push(`${(error as Error).message} (${after})`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (performance.now() - sent))));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return tally;
    },
  };
}

/** A client connection to `node` only, so that it is not the one cut off. */
export function connectTo(node: ClusterNode): Promise<NatsConnection> {
  return connect({ servers: node.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
}
