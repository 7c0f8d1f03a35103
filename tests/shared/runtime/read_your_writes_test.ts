import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { createClient } from "@libsql/client";
import { json, request, startRosey, tempDir } from "../../_helpers.ts";
import type { Tuning } from "../../../shared/config.ts";
import type { TestService } from "../../_helpers.ts";

const TRIALS = 200;

/** Events the flooding connection publishes between two of its own requests. */
const FLOOD_BURST = 1000;

/**
 * Publishes `message.log` for a fresh user then asks `query.user_stats` for that user on the
 * service's client connection, `trials` times, while a second connection floods `message.log` as
 * fast as the service commits them; returns how many replies missed the line published just before
 * them. The flooder's own request after each burst paces it: a flood faster than any writer would
 * only grow a backlog (see README "### Writes").
 */
async function missesUnderFlood(t: TestService, trials: number): Promise<number> {
  const flooder = await connect({ servers: t.nats.url });
  let flooding = true;
  const flood = (async () => {
    const payload = json({ username: "flood", message: "flood line" });
    while (flooding) {
      for (let i = 0; i < FLOOD_BURST; i++) flooder.publish("rosey.db.message.log", payload);
      await request(flooder, "rosey.db.query.user_stats", { username: "flood" }, 15_000);
    }
  })();
  let misses = 0;
  try {
    for (let trial = 0; trial < trials; trial++) {
      const username = `ryw_${trial}_${crypto.randomUUID().slice(0, 8)}`;
      t.nc.publish("rosey.db.message.log", json({ username, message: "mine" }));
      const reply = await request(t.nc, "rosey.db.query.user_stats", { username }, 15_000);
      assert.equal(reply.errorCode, undefined, `query.user_stats failed: ${reply.error}`);
      const stats = reply.data as { found: boolean; total_chat_lines?: number };
      if (!stats.found || stats.total_chat_lines !== 1) misses++;
    }
  } finally {
    flooding = false;
    await flood;
    await flooder.close();
  }
  return misses;
}

async function assertNoMisses(tuning: Tuning) {
  await using dir = await tempDir();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/ryw.db` }, undefined, tuning);
  const misses = await missesUnderFlood(t, TRIALS);
  assert.equal(misses, 0, `${misses} of ${TRIALS} requests did not see the event published just before them`);
}

Deno.test("Router: a request sees the event its connection published before it, while another connection floods events (ingest thread)", async () => {
  await assertNoMisses({});
});

Deno.test("Router: a request sees the event its connection published before it, while another connection floods events (writer on the main thread)", async () => {
  await assertNoMisses({ ingestThread: false });
});

Deno.test("Router: while its connection's events wait for a database held by another process, a malformed request is refused at once and a valid one waits for them", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/held.db`;
  await using t = await startRosey({ DATABASE_PATH: path });
  const other = createClient({ url: `file:${path}` });
  try {
    await other.execute("BEGIN IMMEDIATE");
    t.nc.publish("rosey.db.message.log", json({ username: "held", message: "waiting" }));
    // Refused on its input before any wait: a 400, not a 503 after the read-your-writes bound.
    const malformed = await request(t.nc, "rosey.db.query.user_stats", { username: 42 }, 3000);
    assert.equal(malformed.errorCode, "400", `${malformed.error}`);
    const valid = request(t.nc, "rosey.db.query.user_stats", { username: "held" }, 8000);
    setTimeout(() => other.execute("ROLLBACK"), 300);
    const stats = (await valid).data as { found: boolean; total_chat_lines?: number };
    assert.deepEqual([stats.found, stats.total_chat_lines], [true, 1]);
  } finally {
    other.close();
  }
});
