/** JETSTREAM_REPLICAS: the stream and its consumer are kept on that many servers, or start-up says why they cannot be. */
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { freePort } from "../../shared/nats/local_server.ts";
import { request, spawnService, startNats, tempDir, waitFor } from "../_helpers.ts";
import { collectText, waitReadiness } from "../_process.ts";
import { startNatsCluster } from "./_nats_cluster.ts";

const STREAM = "ROSEY_DB_EVENTS";

Deno.test("JETSTREAM_REPLICAS=3 scales an existing one-copy stream and its consumer to three servers at start-up", async () => {
  await using store = await tempDir();
  await using cluster = await startNatsCluster(store.path);
  await using dir = await tempDir();
  const args = ["--db-path", `${dir.path}/replicas.db`];
  const env = { NATS_URL: cluster.urls, INGEST_MODE: "jetstream", LOG_LEVEL: "ERROR" };
  const nc = await connect({ servers: cluster.nodes.map((n) => n.url) });
  try {
    const jsm = await jetstreamManager(nc);
    const replicas = async () => [
      (await jsm.streams.info(STREAM)).config.num_replicas,
      (await jsm.consumers.info(STREAM, "rosey-db")).config.num_replicas || "as the stream",
    ];
    for (const [setting, expected] of [["1", [1, 1]], ["3", [3, 3]]] as const) {
      const { child } = await spawnService(args, { ...env, JETSTREAM_REPLICAS: setting });
      // A stream being scaled answers info only once its new peers elected a leader.
      const seen = await waitFor(
        async () => {
          const now = await replicas().catch(() => undefined);
          return JSON.stringify(now) === JSON.stringify(expected) && now;
        },
        15_000,
        `replicas ${expected}`,
      ).catch(() => replicas());
      assert.deepEqual(seen, expected, `with JETSTREAM_REPLICAS=${setting}`);
      child.kill("SIGTERM");
      assert.equal((await child.status).code, 0);
    }
    await waitFor(
      async () => (await jsm.streams.info(STREAM).catch(() => undefined))?.cluster?.replicas?.length === 2,
      15_000,
      "two followers beside the stream's leader",
    );
  } finally {
    await nc.close();
  }
});

Deno.test("JETSTREAM_REPLICAS=3 on a single nats-server: /ready names the setting and what it needs, requests are still served", async () => {
  await using store = await tempDir();
  await using nats = await startNats({ storeDir: store.path });
  const base = `http://127.0.0.1:${freePort()}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../shared/main.ts", import.meta.url).pathname],
    env: {
      NATS_URL: nats.url,
      DATABASE_URL: ":memory:",
      INGEST_MODE: "jetstream",
      JETSTREAM_REPLICAS: "3",
      HTTP_PORT: new URL(base).port,
      LOG_LEVEL: "WARNING",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = collectText(child.stderr);
  try {
    const { status, body } = await waitReadiness(base, { reason: "JETSTREAM_REPLICAS", timeoutMs: 20_000 });
    assert.equal(status, 503);
    assert.match(body, /cannot keep the event stream on 3 servers.*NATS cluster of at least 3 servers/);
    assert.match(log.text(), /JETSTREAM_REPLICAS/);
    const nc = await connect({ servers: nats.url });
    const reply = await request(nc, "rosey.db.status.get", {});
    await nc.close();
    assert.equal(reply.errorCode, undefined, `status.get failed: ${reply.error}`);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await log.done;
  }
});
