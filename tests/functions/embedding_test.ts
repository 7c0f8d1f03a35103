/** Message embeddings: save, embed, similar, hybrid search, and the fixed dimension (README "LLM memory"). */
import assert from "node:assert/strict";
import { ask, request, startRosey, tempDir, type TestService } from "../_helpers.ts";

const DIMS = { EMBEDDING_DIMENSIONS: "4" };
type Message = { id: string; conversation_id: string; content: string };
type Similar = { message: Message; score: number };
type Hit = { message_id: string; matched: string[]; rank: number | null; similarity?: number; score?: number };

async function conversation(t: TestService, user_id: string): Promise<string> {
  return (await ask<{ id: string }>(t, "conversation.create", { user_id })).id;
}

function save(t: TestService, conversation_id: string, content: string, embedding?: number[]) {
  return ask<Message>(t, "conversation.message.save", { conversation_id, role: "user", content, embedding });
}

async function refused(t: TestService, subject: string, body: unknown): Promise<string> {
  const reply = await request(t.nc, `rosey.db.${subject}`, body);
  assert.equal(reply.errorCode, "400", `${subject} ${JSON.stringify(body)}: ${reply.error}`);
  return reply.error!;
}

Deno.test("rosey.db.conversation.message.similar finds the known nearest message of a user or a conversation", async () => {
  await using t = await startRosey(DIMS);
  const a = await conversation(t, "u1");
  const b = await conversation(t, "u1");
  const other = await conversation(t, "u2");
  await save(t, a, "cats purr", [1, 0, 0, 0]);
  const dogs = await save(t, a, "dogs bark", [0, 1, 0, 0]);
  const wolves = await save(t, b, "wolves howl", [0, 0.9, 0.1, 0]);
  await save(t, a, "no embedding here");
  await save(t, other, "someone else's dog", [0, 1, 0, 0]);

  const byUser = await ask<Similar[]>(t, "conversation.message.similar", { user_id: "u1", embedding: [0, 2, 0, 0] });
  assert.deepEqual(byUser.map((s) => s.message.content), ["dogs bark", "wolves howl", "cats purr"]);
  assert.equal(byUser[0].message.id, dogs.id);
  assert.ok(Math.abs(byUser[0].score - 1) < 1e-6, `identical direction scores 1, not ${byUser[0].score}`);
  assert.ok(Math.abs(byUser[2].score) < 1e-6, "orthogonal scores 0");

  const byConversation = await ask<Similar[]>(t, "conversation.message.similar", {
    conversation_id: b,
    embedding: [0, 1, 0, 0],
  });
  assert.deepEqual(byConversation.map((s) => s.message.id), [wolves.id]);

  const close = await ask<Similar[]>(t, "conversation.message.similar", {
    user_id: "u1",
    embedding: [0, 1, 0, 0],
    min_score: 0.5,
    limit: 1,
  });
  assert.deepEqual(close.map((s) => s.message.id), [dogs.id]);

  await ask(t, "conversation.delete", { id: a });
  const afterDelete = await ask<Similar[]>(t, "conversation.message.similar", {
    user_id: "u1",
    embedding: [0, 1, 0, 0],
  });
  assert.deepEqual(afterDelete.map((s) => s.message.id), [wolves.id], "a deleted conversation's messages are left out");
});

Deno.test("rosey.db.conversation.message.embed adds an embedding to a message saved without one, then replaces it", async () => {
  await using t = await startRosey(DIMS);
  const c = await conversation(t, "u1");
  const plain = await save(t, c, "saved before embeddings");
  const none = await ask<Similar[]>(t, "conversation.message.similar", { user_id: "u1", embedding: [1, 0, 0, 0] });
  assert.deepEqual(none, []);
  const added = await ask(t, "conversation.message.embed", {
    message_id: plain.id,
    embedding: [1, 0, 0, 0],
    embedding_model: "tiny-embed",
  });
  assert.deepEqual(added, { message_id: plain.id, replaced: false });
  const found = await ask<Similar[]>(t, "conversation.message.similar", { user_id: "u1", embedding: [1, 0, 0, 0] });
  assert.deepEqual(found.map((s) => s.message.id), [plain.id]);
  const replaced = await ask(t, "conversation.message.embed", { message_id: plain.id, embedding: [0, 0, 0, 1] });
  assert.deepEqual(replaced, { message_id: plain.id, replaced: true });
  const [moved] = await ask<Similar[]>(t, "conversation.message.similar", { user_id: "u1", embedding: [0, 0, 0, 1] });
  assert.ok(moved.score > 0.999, `the new embedding is used, score ${moved.score}`);
  const model = await t.service.db()!.read.query("SELECT model FROM message_embeddings");
  assert.deepEqual(model.map((r) => r.model), [null], "a replacing embed without a model keeps none");
  const unknown = await request(t.nc, "rosey.db.conversation.message.embed", {
    message_id: "nope",
    embedding: [1, 0, 0, 0],
  });
  assert.equal(unknown.errorCode, "404");
});

Deno.test("rosey.db.conversation.message embeddings of the wrong length, non-finite or all zeros are a 400 naming the field", async () => {
  await using t = await startRosey(DIMS);
  const c = await conversation(t, "u1");
  const base = { conversation_id: c, role: "user", content: "x" };
  assert.match(
    await refused(t, "conversation.message.save", { ...base, embedding: [1, 2, 3] }),
    /embedding: must have 4 numbers.*not 3/,
  );
  assert.match(
    await refused(t, "conversation.message.save", { ...base, embedding: [1, 0, 0, 0, 0] }),
    /embedding: must have 4/,
  );
  assert.match(
    await refused(t, "conversation.message.save", { ...base, embedding: [0, 0, 0, 0] }),
    /embedding: must not be all zeros/,
  );
  assert.match(
    await refused(t, "conversation.message.save", { ...base, embedding: [1, 0, 0, 1e39] }),
    /embedding\[3\]/,
  );
  assert.match(await refused(t, "conversation.message.save", { ...base, embedding: [1, 0, "0", 0] }), /embedding\[2\]/);
  assert.match(await refused(t, "conversation.message.save", { ...base, embedding_model: "m" }), /embedding_model/);
  // 1e400 is Infinity once JSON is read: the raw payload carries it.
  const raw = new TextEncoder().encode(`{"user_id":"u1","embedding":[1,0,0,1e400]}`);
  const infinite = await request(t.nc, "rosey.db.conversation.message.similar", raw);
  assert.equal(infinite.errorCode, "400");
  assert.match(infinite.error!, /embedding\[3\]/);
  assert.match(
    await refused(t, "conversation.message.similar", { user_id: "u1", embedding: [1] }),
    /embedding: must have 4/,
  );
  assert.match(await refused(t, "conversation.message.embed", { message_id: "m", embedding: [1, 1] }), /embedding/);
  assert.match(
    await refused(t, "conversation.message.search", { user_id: "u1", query: "x", embedding: [1, 1] }),
    /embedding/,
  );
  const rows = await t.service.db()!.read.query("SELECT count(*) AS n FROM conversation_messages");
  assert.equal(rows[0].n, 0, "nothing refused was stored");
});

Deno.test("rosey.db.conversation.message embeddings sent while EMBEDDING_DIMENSIONS is 0 are a 400 saying they are off", async () => {
  await using t = await startRosey();
  const c = await conversation(t, "u1");
  const error = await refused(t, "conversation.message.save", {
    conversation_id: c,
    role: "user",
    content: "x",
    embedding: [1, 0],
  });
  assert.match(error, /embedding: embeddings are off.*EMBEDDING_DIMENSIONS/);
  await refused(t, "conversation.message.similar", { user_id: "u1", embedding: [1] });
  // Without an embedding everything works as before.
  await save(t, c, "plain words");
  const hits = await ask<Hit[]>(t, "conversation.message.search", { user_id: "u1", query: "words" });
  assert.deepEqual(hits.map((h) => h.matched), [["text"]]);
});

Deno.test("rosey.db.conversation.message.search with an embedding fuses text and vector matches, each saying which matched", async () => {
  await using t = await startRosey(DIMS);
  const c = await conversation(t, "u1");
  const both = await save(t, c, "the train to Kyoto leaves at noon", [1, 0, 0, 0]);
  const textOnly = await save(t, c, "a Kyoto guidebook");
  const vectorOnly = await save(t, c, "shinkansen departures this afternoon", [0.9, 0.1, 0, 0]);
  await save(t, c, "unrelated", [0, 0, 1, 0]);
  const hits = await ask<Hit[]>(t, "conversation.message.search", {
    user_id: "u1",
    query: "Kyoto",
    embedding: [1, 0, 0, 0],
  });
  const byId = new Map(hits.map((h) => [h.message_id, h]));
  assert.equal(hits[0].message_id, both.id, "found by both, it ranks first");
  assert.deepEqual(byId.get(both.id)!.matched, ["text", "vector"]);
  assert.deepEqual(byId.get(textOnly.id)!.matched, ["text"]);
  assert.deepEqual(byId.get(vectorOnly.id)!.matched, ["vector"]);
  assert.equal(byId.get(vectorOnly.id)!.rank, null);
  assert.ok(byId.get(vectorOnly.id)!.similarity! > 0.9);
  for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score! >= hits[i].score!, "best fused score first");
});

Deno.test("EMBEDDING_DIMENSIONS other than the stored one stops shared/main.ts with exit status 2 naming the stored one", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/rosey.db`;
  {
    await using t = await startRosey({ DATABASE_PATH: path, ...DIMS });
    await save(t, await conversation(t, "u1"), "kept", [1, 0, 0, 0]);
  }
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../shared/main.ts", import.meta.url).pathname],
    env: { HTTP_PORT: "0", NATS_URL: "nats://127.0.0.1:1", DATABASE_PATH: path, EMBEDDING_DIMENSIONS: "8" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(stderr).trim().split("\n");
  assert.equal(code, 2, lines.join("\n"));
  assert.match(lines.at(-1)!, /^Invalid configuration: EMBEDDING_DIMENSIONS: the database stores 4-dimension/);
  await using t = await startRosey({ DATABASE_PATH: path, ...DIMS });
  const [kept] = await ask<Similar[]>(t, "conversation.message.similar", { user_id: "u1", embedding: [1, 0, 0, 0] });
  assert.equal(kept.message.content, "kept", "the refused start changed nothing");
});

Deno.test("a database of the old service migrates in place and takes embeddings", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/legacy.db`;
  await Deno.copyFile(new URL("../fixtures/legacy/rosey-sprint9.db", import.meta.url), path);
  await using t = await startRosey({ DATABASE_PATH: path, ...DIMS });
  const c = await conversation(t, "u1");
  const saved = await save(t, c, "first embedded message", [0, 0, 1, 0]);
  const [found] = await ask<Similar[]>(t, "conversation.message.similar", { user_id: "u1", embedding: [0, 0, 1, 0] });
  assert.equal(found.message.id, saved.id);
  const users = await t.service.db()!.read.query("SELECT count(*) AS n FROM user_stats");
  assert.ok(Number(users[0].n) > 0, "the old rows are still there");
});
