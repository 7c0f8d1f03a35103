import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { createRoseyClient, type RoseyClient, RoseyError } from "../../../shared/client/mod.ts";
import { createLogger } from "../../../shared/log.ts";
import { jetstreamManager } from "@nats-io/jetstream";
import { rows, startNats, startRosey, tempDir, waitFor } from "../../_helpers.ts";

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger({ level: "DEBUG", write: (line) => lines.push(JSON.parse(line)) }) };
}

/** A bot's day in miniature, with explicit event times so that both paths give identical rows. */
async function scenario(client: RoseyClient) {
  await client.userJoined({ username: "alice", timestamp: 1000 });
  await client.userJoined({ username: "bob", timestamp: 1010 });
  await client.messageLog({ username: "alice", message: "hi ✓", timestamp: 1020 });
  await client.messageLog({ username: "server", message: "bob joined", timestamp: 1021 });
  await client.statsUserCount({ chat_count: 2, connected_count: 3, timestamp: 1030 });
  await client.statsHighWater({ chat_count: 2, connected_count: 3, timestamp: 1030 });
  await client.statusUpdate({ status_data: { bot_name: "Rosey", current_chat_users: 2 }, timestamp: 1040 });
  await client.userLeft({ username: "bob", timestamp: 1100 });
  const queued = await client.messagesOutboundEnqueue({ message: "welcome" });
  await client.messagesOutboundMarkFailed({ message_id: queued!.id, error: "timeout", timestamp: 1200 });
  await client.messagesOutboundMarkSent({ message_id: queued!.id, timestamp: 1300 });
  await client.actionPmCommand({ username: "alice", command: "stats", timestamp: 1400 });
  await client.actionLog({ username: "mod", action_type: "kick", details: "spam", timestamp: 1500 });
  await client.statusUpdate({ status: "disconnected", timestamp: 1600 });
  return {
    user: await client.queryUserStats({ username: "alice" }),
    chat: await client.statsRecentChatGet({ limit: 10 }),
    stats: await client.queryChannelStats(),
    status: await client.statusGet(),
  };
}

const TABLES = [
  "user_stats",
  "recent_chat",
  "user_count_history",
  "channel_stats",
  "current_status",
  "user_actions",
  "dead_letters",
];

async function dumpFile(path: string) {
  const { createClient } = await import("@libsql/client");
  const db = createClient({ url: `file:${path}` });
  const out: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    out[table] = (await db.execute(`SELECT * FROM ${table} ORDER BY rowid`)).rows.map((r) => ({ ...r }));
  }
  out.outbound =
    (await db.execute("SELECT id, message, sent, sent_timestamp, retry_count, last_error FROM outbound_messages")).rows
      .map((r) => ({ ...r }));
  db.close();
  return out;
}

Deno.test("createRoseyClient gives identical results through NATS and directly on a local database", async () => {
  await using dir = await tempDir();
  let viaNats;
  {
    await using t = await startRosey({ DATABASE_PATH: `${dir.path}/service.db` });
    const client = createRoseyClient({ nc: t.nc });
    viaNats = await scenario(client);
  }
  const direct = createRoseyClient({ env: { DATABASE_PATH: `${dir.path}/direct.db` } });
  const viaDirect = await scenario(direct);
  await direct.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(viaDirect, viaNats);
  assert.deepEqual(await dumpFile(`${dir.path}/direct.db`), await dumpFile(`${dir.path}/service.db`));
  assert.equal(viaNats.chat.length, 1);
  assert.equal(viaNats.user.found && viaNats.user.total_chat_lines, 1);
});

Deno.test("createRoseyClient switches to the direct path once its connection is closed", async () => {
  await using dir = await tempDir();
  await using t = await startRosey();
  const nc = await connect({ servers: t.nats.url });
  const { lines, log } = capturingLogger();
  const client = createRoseyClient({ nc, log, env: { DATABASE_PATH: `${dir.path}/fallback.db` } });
  await client.messageLog({ username: "a", message: "over nats" });
  assert.equal((await client.statsRecentChatGet()).length, 1);
  await nc.close();
  await client.messageLog({ username: "a", message: "direct" });
  assert.deepEqual((await client.statsRecentChatGet()).map((m) => m.message), ["direct"]);
  assert.deepEqual((await rows(t, "SELECT message FROM recent_chat")).map((r) => r.message), ["over nats"]);
  const paths = lines.filter((l) => l.msg === "rosey call").map((l) => [l.method, l.path]);
  assert.deepEqual(paths, [["messageLog", "nats"], ["statsRecentChatGet", "nats"], ["messageLog", "direct"], [
    "statsRecentChatGet",
    "direct",
  ]]);
  assert.ok(lines.filter((l) => l.msg === "rosey call").every((l) => l.level === "DEBUG"));
  await client.close();
});

Deno.test("createRoseyClient event methods throw a clear error for invalid input instead of publishing", async () => {
  await using t = await startRosey();
  const client = createRoseyClient({ nc: t.nc });
  const published: string[] = [];
  const spy = t.nc.subscribe("rosey.db.>", { callback: (_e, m) => void published.push(m.subject) });
  await assert.rejects(client.userJoined({ username: "" }), (error: unknown) => {
    assert.ok(error instanceof RoseyError);
    assert.equal(error.status, 400);
    assert.match(error.message, /^Invalid input for userJoined: username: must not be empty$/);
    return true;
  });
  // @ts-expect-error: the payload type comes from the function's schema
  await assert.rejects(client.messagesOutboundMarkSent({ message_id: "7" }), RoseyError);
  await t.nc.flush();
  spy.unsubscribe();
  assert.deepEqual(published, []);
});

Deno.test("createRoseyClient surfaces ADR-32 error replies as RoseyError with the status code", async () => {
  await using t = await startRosey();
  const client = createRoseyClient({ nc: t.nc });
  await assert.rejects(client.statsRecentChatGet({ limit: 5000 }), (error: unknown) => {
    assert.ok(error instanceof RoseyError);
    assert.equal(error.status, 400);
    assert.equal(error.subject, "stats.recent_chat.get");
    assert.match(error.message, /limit/);
    return true;
  });
});

Deno.test("createRoseyClient requests resolve to their fallback with a warning when no service answers", async () => {
  await using t = await startRosey();
  await t.service.stop();
  const { lines, log } = capturingLogger();
  const client = createRoseyClient({ nc: t.nc, log, timeoutMs: 300 });
  assert.deepEqual(await client.messagesOutboundGet(), []);
  assert.deepEqual(await client.queryUserStats({ username: "x" }), { found: false });
  assert.equal(await client.messagesOutboundEnqueue({ message: "m" }), null);
  const warnings = lines.filter((l) => l.level === "WARNING");
  assert.equal(warnings.length, 3);
  assert.equal(warnings[0].reason, "no service answered");
  // A responder that never answers: the timeout path.
  t.nc.subscribe("rosey.db.status.get", { callback: () => {} });
  const started = Date.now();
  assert.equal((await client.statusGet()).bot_name, null);
  assert.ok(Date.now() - started >= 290);
  assert.equal(lines.at(-1)!.reason, "no reply within 300 ms");
});

Deno.test("createRoseyClient covers the conversation store, through NATS and directly", async () => {
  await using dir = await tempDir();
  await using t = await startRosey();
  for (
    const client of [createRoseyClient({ nc: t.nc }), createRoseyClient({ env: { DATABASE_PATH: `${dir.path}/c.db` } })]
  ) {
    const conversation = await client.conversationCreate({ user_id: "llm-user", title: "chat" });
    assert.ok(conversation);
    await client.conversationMessageSave({
      conversation_id: conversation.id,
      role: "user",
      content: "hello there",
      metadata: { request_id: "q1" },
    });
    await client.conversationMessageSave({
      conversation_id: conversation.id,
      role: "assistant",
      content: "hi!",
      metadata: { request_id: "q1" },
    });
    assert.deepEqual(
      (await client.conversationMessageLast({ conversation_id: conversation.id, n: 10 })).map((m) => m.role),
      [
        "user",
        "assistant",
      ],
    );
    assert.deepEqual(await client.conversationMessageCount({ conversation_id: conversation.id }), { count: 2 });
    assert.equal((await client.conversationMessageSearch({ user_id: "llm-user", query: "hello" })).length, 1);
    await assert.rejects(
      client.conversationMessageSave({ conversation_id: crypto.randomUUID(), role: "user", content: "x" }),
      (e: unknown) => {
        assert.ok(e instanceof RoseyError);
        assert.equal(e.status, 404);
        return true;
      },
    );
    await client.close();
  }
});

Deno.test("createRoseyClient with acknowledgedEvents resolves once the stream has the event, and rejects without a stream", async () => {
  await using store = await tempDir();
  await using nats = await startNats({ storeDir: store.path });
  await using t = await startRosey({ INGEST_MODE: "jetstream" }, nats, { ackWaitSeconds: 2 });
  const client = createRoseyClient({ nc: t.nc, acknowledgedEvents: true });
  await client.messageLog({ username: "alice", message: "kept", timestamp: 1000 });
  await waitFor(
    async () => (await rows(t, "SELECT message FROM recent_chat")).length === 1,
    10_000,
    "the event applied",
  );
  assert.deepEqual(await rows(t, "SELECT username, message FROM recent_chat"), [{
    username: "alice",
    message: "kept",
  }]);

  await using core = await startRosey({}, nats);
  await t.service.stop(); // leave only the core-mode instance: nothing acknowledges
  const jsm = await jetstreamManager(t.nc);
  await jsm.streams.delete("ROSEY_DB_EVENTS");
  const strict = createRoseyClient({ nc: core.nc, acknowledgedEvents: true, timeoutMs: 300 });
  await assert.rejects(strict.messageLog({ username: "bob", message: "unacknowledged" }), (error: unknown) => {
    assert.ok(error instanceof RoseyError);
    assert.equal(error.status, 503);
    assert.match(error.message, /did not acknowledge/);
    return true;
  });
});
