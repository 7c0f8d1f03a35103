/**
 * INGEST_MODE=core on a three-server NATS cluster: the server an instance is connected to is SIGKILLed
 * mid-load. Core NATS keeps no copy of a message, so what was in flight through that server is lost;
 * nothing else is, and nothing is applied twice.
 */
import assert from "node:assert/strict";
import { json, tempDir, waitFor } from "../_helpers.ts";
import { waitReadiness } from "../_process.ts";
import { connectTo, IN_FLIGHT_MS, keepAsking, startTwo, stopInstances, stored } from "./_failover.ts";
import { startNatsCluster } from "./_nats_cluster.ts";

Deno.test("INGEST_MODE=core on a cluster: the server an instance uses SIGKILLed mid-load loses only events in flight, applies none twice, and both instances recover", async () => {
  await using store = await tempDir();
  await using cluster = await startNatsCluster(store.path);
  await using dir = await tempDir();
  const path = `${dir.path}/cluster-core.db`;
  const instances = await startTwo(cluster, path, { INGEST_MODE: "core" });
  const victim = (await cluster.nodeOf("rosey-db-main"))!;
  const survivor = cluster.nodes.find((n) => n !== victim)!;
  // The bot publishing and asking is on a server that stays up.
  const nc = await connectTo(survivor);
  const sentAt: number[] = [];
  let publishing = true;
  const published = (async () => {
    for (let i = 0; publishing;) {
      for (const end = i + 20; i < end; i++) {
        nc.publish("rosey.db.message.log", json({ username: `u${i % 20}`, message: `event ${i}` }));
        sentAt.push(performance.now());
      }
      await nc.flush();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    await waitFor(() => sentAt.length >= 2000, 30_000, "load under way");
    const killedAt = performance.now();
    await cluster.kill(victim);
    const asking = keepAsking(nc, killedAt);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await cluster.restart(victim);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const tally = await asking.stop();
    publishing = false;
    await published;
    // Both serve again on their own: readiness, not a restart.
    for (const { base } of instances) await waitReadiness(base, { timeoutMs: 15_000 });
    // Settled: the count holds for a second.
    let last = -1;
    await waitFor(
      async () => {
        const { rows } = await stored(path);
        const settled = rows === last;
        last = rows;
        if (!settled) await new Promise((resolve) => setTimeout(resolve, 1000));
        return settled;
      },
      60_000,
      "every event received written",
    );
    const { rows, events } = await stored(path);
    assert.equal(rows, events.size, "no event applied twice");
    const lost = sentAt.flatMap((at, i) => events.has(i) ? [] : [at - killedAt]);
    assert.ok(
      lost.every((ms) => Math.abs(ms) < IN_FLIGHT_MS),
      `lost ${lost.length} of ${sentAt.length}, sent at ${lost.map((ms) => ms.toFixed(0)).join(", ")} ms from the kill`,
    );
    assert.deepEqual(tally.failed, [], `requests during the failover: ${JSON.stringify(tally)}`);
    assert.ok(tally.answered > 20, JSON.stringify(tally));
    if (Deno.env.get("CLUSTER_TIMINGS")) console.log(`core: lost ${lost.length} of ${sentAt.length} events`);
  } finally {
    publishing = false;
    await published;
    await stopInstances(instances);
    await nc.close();
  }
});
