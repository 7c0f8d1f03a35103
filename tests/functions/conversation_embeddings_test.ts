import assert from "node:assert/strict";
import { ask, startRosey, tempDir, type TestService, writeSql } from "../_helpers.ts";

const DAY = 86_400;
type Similar = { message: { id: string; content: string; conversation_id: string }; score: number }[];

async function embeddedRows(t: TestService, conversationId: string): Promise<string[]> {
  const rows = await t.service.db()!.read.query<{ content: string }>(
    `SELECT m.content FROM message_embeddings e JOIN conversation_messages m ON m.seq = e.seq
      WHERE e.conversation_id = ? ORDER BY e.seq`,
    [conversationId],
  );
  return rows.map((row) => row.content);
}

Deno.test("rosey.db.conversation cold storage, fork and erasure carry message embeddings along", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({
    EMBEDDING_DIMENSIONS: "4",
    CONVERSATION_ARCHIVE_DAYS: "30",
    BACKUP_DIR: dir.path,
  });
  const { id } = await ask<{ id: string }>(t, "conversation.create", { user_id: "vera" });
  const vectors = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0.5, 0.5, 0.5, 0.5]];
  const saved = [];
  for (const [i, embedding] of vectors.entries()) {
    saved.push(
      await ask<{ id: string }>(t, "conversation.message.save", {
        conversation_id: id,
        role: "user",
        content: `axis ${i}`,
        embedding,
        embedding_model: "m1",
      }),
    );
  }
  const nearest = async (conversation: string, embedding: number[]) =>
    (await ask<Similar>(t, "conversation.message.similar", { conversation_id: conversation, embedding, limit: 1 }))[0]
      ?.message.content;
  assert.equal(await nearest(id, [0, 0.9, 0.1, 0]), "axis 1");

  // Archived and restored: the embeddings leave with the messages and come back with them.
  await writeSql(t, "UPDATE conversations SET updated_at = updated_at - ? WHERE id = ?", [40 * DAY, id]);
  const before = await t.service.db()!.read.query("SELECT * FROM message_embeddings WHERE conversation_id = ?", [id]);
  assert.equal(
    (await ask<{ cold_storage: { archived: number } }>(t, "admin.maintenance", {})).cold_storage.archived,
    1,
  );
  assert.deepEqual(await embeddedRows(t, id), []);
  await ask(t, "conversation.restore", { conversation_id: id });
  assert.deepEqual(
    await t.service.db()!.read.query("SELECT * FROM message_embeddings WHERE conversation_id = ?", [id]),
    before,
  );
  assert.equal(await nearest(id, [0, 0, 0.9, 0.1]), "axis 2");

  // A fork's copies are found by meaning too.
  const fork = await ask<{ id: string }>(t, "conversation.fork", {
    conversation_id: id,
    through_message_id: saved[1].id,
  });
  assert.deepEqual(await embeddedRows(t, fork.id), ["axis 0", "axis 1"]);
  assert.equal(await nearest(fork.id, [0, 0.9, 0.1, 0]), "axis 1");

  // Erased: no embedding of the user's is left, in the table or its vector index.
  await ask(t, "conversation.user.erase", { user_id: "vera" });
  const [{ n }] = await t.service.db()!.read.query<{ n: number }>("SELECT count(*) AS n FROM message_embeddings");
  assert.equal(n, 0);
  assert.deepEqual(
    await ask<Similar>(t, "conversation.message.similar", { user_id: "vera", embedding: [1, 0, 0, 0] }),
    [],
  );
});

Deno.test("rosey.db.conversation.context recalls the user's memories by meaning within the budget", async () => {
  await using t = await startRosey({ EMBEDDING_DIMENSIONS: "4" });
  const { id } = await ask<{ id: string }>(t, "conversation.create", { user_id: "vera" });
  await ask(t, "conversation.message.save", { conversation_id: id, role: "user", content: "12345678" });
  const put = (namespace: string[], key: string, text: string, embedding: number[]) =>
    ask(t, "memory.put", { namespace, key, value: { text }, text, embedding });
  await put(["vera", "facts"], "tea", "likes green tea", [1, 0, 0, 0]);
  await put(["vera", "facts"], "cat", "has a cat", [0, 1, 0, 0]);
  await put(["olaf"], "tea", "olaf likes tea", [1, 0, 0, 0]);
  type Context = {
    memories?: { key: string; namespace: string[] }[];
    messages: unknown[];
    token_count: number;
    truncated: boolean;
  };
  const context = (max_tokens: number, recall: object) =>
    ask<Context>(t, "conversation.context", { conversation_id: id, max_tokens, recall });
  const both = await context(100, { embedding: [0.9, 0.1, 0, 0], limit: 2 });
  assert.deepEqual(both.memories!.map((m) => [m.namespace, m.key]), [[["vera", "facts"], "tea"], [
    ["vera", "facts"],
    "cat",
  ]]);
  // ⌈15/4⌉ + ⌈9/4⌉ for the memories, ⌈8/4⌉ for the message.
  assert.deepEqual([both.token_count, both.messages.length, both.truncated], [4 + 3 + 2, 1, false]);
  // A budget the first memory and the message fill (4 + 2): the second memory is left out.
  const tight = await context(6, { embedding: [0.9, 0.1, 0, 0], limit: 2 });
  assert.deepEqual([tight.memories!.map((m) => m.key), tight.token_count, tight.truncated], [["tea"], 6, true]);
  const other = await context(100, { embedding: [1, 0, 0, 0], limit: 1, namespace_prefix: ["olaf"] });
  assert.deepEqual(other.memories!.map((m) => m.namespace), [["olaf"]]);
  assert.equal((await context(100, { embedding: [1, 0, 0, 0] })).memories!.length, 2);
  assert.equal(
    (await ask<Context>(t, "conversation.context", { conversation_id: id, max_tokens: 100 })).memories,
    undefined,
  );
});
