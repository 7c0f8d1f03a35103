import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { createRoseyClient } from "../../../shared/client/mod.ts";
import { startNats, startRosey, tempDir } from "../../_helpers.ts";

const STREAM = "ROSEY_DB_EVENTS", CONSUMER = "rosey-db";

Deno.test("createRoseyClient in JetStream mode: a request right after an acknowledged event can miss it; after the consumer's ack floor reaches the stream's last sequence it sees it", async () => {
  await using store = await tempDir();
  await using nats = await startNats({ storeDir: store.path });
  await using t = await startRosey({ INGEST_MODE: "jetstream" }, nats);
  const rosey = createRoseyClient({ nc: t.nc, acknowledgedEvents: true });
  const jsm = await jetstreamManager(t.nc);
  let missedRightAfterPubAck = 0;
  for (let i = 0; i < 5; i++) {
    await rosey.messageLog({ username: `user${i}`, message: "hello" });
    if (!(await rosey.queryUserStats({ username: `user${i}` })).found) missedRightAfterPubAck++;

    await rosey.messageLog({ username: `later${i}`, message: "hello" });
    const { state } = await jsm.streams.info(STREAM);
    while ((await jsm.consumers.info(STREAM, CONSUMER)).ack_floor.stream_seq < state.last_seq) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal((await rosey.queryUserStats({ username: `later${i}` })).found, true, `later${i} is seen`);
  }
  assert.ok(missedRightAfterPubAck > 0, "awaiting the PubAck alone does not make a request see the event");
});

Deno.test("createRoseyClient with acknowledgedEvents sends an event again under its id while no PubAck comes: stored once", async () => {
  await using store = await tempDir();
  await using nats = await startNats({ storeDir: store.path });
  await using t = await startRosey({ INGEST_MODE: "jetstream" }, nats);
  const jsm = await jetstreamManager(t.nc);
  const config = (await jsm.streams.info(STREAM)).config;
  await t.service.stop();
  await jsm.streams.delete(STREAM);
  const rosey = createRoseyClient({ nc: t.nc, acknowledgedEvents: true, timeoutMs: 3000 });
  // No stream yet: the first attempt finds no responder; the stream comes back before the next one.
  const sent = rosey.messageLog({ username: "late", message: "once" });
  await new Promise((resolve) => setTimeout(resolve, 150));
  await jsm.streams.add(config);
  await sent;
  const { state } = await jsm.streams.info(STREAM);
  assert.equal(state.messages, 1);
});
