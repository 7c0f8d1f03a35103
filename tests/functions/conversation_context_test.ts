import assert from "node:assert/strict";
import { ask, request, startRosey, type TestService } from "../_helpers.ts";

type Message = { id: string; role: string; content: string; metadata: Record<string, unknown>; created_at: number };
type Summary = { id: number; summary: string; through_message_id: string; token_count: number | null };
type Context = { summary?: Summary; messages: Message[]; token_count: number; truncated: boolean };

async function conversationWith(t: TestService, contents: string[], metadata: (i: number) => object = () => ({})) {
  const { id } = await ask<{ id: string }>(t, "conversation.create", { user_id: "u" });
  const saved: Message[] = [];
  for (const [i, content] of contents.entries()) {
    const role = i % 2 ? "assistant" : "user";
    saved.push(
      await ask<Message>(t, "conversation.message.save", { conversation_id: id, role, content, metadata: metadata(i) }),
    );
  }
  return { id, saved };
}

/** The tokens conversation.context counts for a message: metadata.tokens, else ⌈characters / 4⌉. */
function tokensOf(message: Message): number {
  return typeof message.metadata.tokens === "number"
    ? message.metadata.tokens
    : Math.ceil([...message.content].length / 4);
}

Deno.test("rosey.db.conversation.context never exceeds max_tokens less reserve_tokens and keeps the newest, in order", async () => {
  await using t = await startRosey();
  // Lengths 1…40 words and a few with a stored count, so budgets fall between messages.
  const contents = Array.from({ length: 150 }, (_, i) => `m${i} ` + "word ".repeat(1 + (i * 7) % 40) + "ünï");
  const { id, saved } = await conversationWith(t, contents, (i) => i % 5 === 0 ? { tokens: 3 + i } : {});
  for (const [max, reserve] of [[1, 0], [10, 3], [57, 0], [400, 100], [1000, 0], [100_000, 50]]) {
    const context = await ask<Context>(t, "conversation.context", {
      conversation_id: id,
      max_tokens: max,
      reserve_tokens: reserve,
    });
    const tokens = context.messages.reduce((sum, m) => sum + tokensOf(m), 0);
    assert.equal(context.token_count, tokens, `token_count at max ${max}`);
    assert.ok(tokens <= max - reserve, `${tokens} tokens within ${max} - ${reserve}`);
    // The newest run of messages, chronological, and exactly as many as fit: one more would not.
    const expected = saved.slice(saved.length - context.messages.length);
    assert.deepEqual(context.messages.map((m) => m.id), expected.map((m) => m.id));
    const next = saved[saved.length - context.messages.length - 1];
    assert.equal(context.truncated, next !== undefined);
    if (next) assert.ok(tokens + tokensOf(next) > max - reserve, `the next older message would not fit at ${max}`);
  }
  const bad = await request(t.nc, "rosey.db.conversation.context", {
    conversation_id: id,
    max_tokens: 10,
    reserve_tokens: 10,
  });
  assert.equal(bad.errorCode, "400");
  assert.match(bad.error!, /reserve_tokens/);
});

Deno.test("rosey.db.conversation.summary.save and get keep every summary; context leaves out the messages it covers", async () => {
  await using t = await startRosey();
  const { id, saved } = await conversationWith(t, Array.from({ length: 30 }, (_, i) => `message number ${i}`));
  assert.equal((await request(t.nc, "rosey.db.conversation.summary.get", { conversation_id: id })).errorCode, "404");
  const first = await ask<Summary>(t, "conversation.summary.save", {
    conversation_id: id,
    summary: "They talked about numbers up to 9",
    through_message_id: saved[9].id,
  });
  const second = await ask<Summary>(t, "conversation.summary.save", {
    conversation_id: id,
    summary: "They talked about numbers up to 19",
    through_message_id: saved[19].id,
    token_count: 12,
  });
  assert.deepEqual(await ask(t, "conversation.summary.get", { conversation_id: id }), second);
  assert.ok(second.id > first.id);
  const all = await ask<Context>(t, "conversation.context", { conversation_id: id, max_tokens: 10_000 });
  assert.deepEqual(all.summary, second);
  assert.deepEqual(all.messages.map((m) => m.id), saved.slice(20).map((m) => m.id));
  assert.equal(all.token_count, 12 + saved.slice(20).reduce((sum, m) => sum + tokensOf(m), 0));
  assert.equal(all.truncated, false);
  // A budget the summary alone takes: no message; one smaller than the summary: the newest uncovered
  // messages ("message number 2x": 5 tokens each) without it, and truncated; covered ones never.
  const tight = await ask<Context>(t, "conversation.context", { conversation_id: id, max_tokens: 12 });
  assert.deepEqual([tight.summary?.id, tight.messages.length, tight.token_count, tight.truncated], [
    second.id,
    0,
    12,
    true,
  ]);
  const tiny = await ask<Context>(t, "conversation.context", { conversation_id: id, max_tokens: 11 });
  assert.deepEqual([tiny.summary, tiny.messages.length, tiny.token_count, tiny.truncated], [undefined, 2, 10, true]);
  // A message of another conversation is no cover.
  const other = await conversationWith(t, ["elsewhere"]);
  const foreign = await request(t.nc, "rosey.db.conversation.summary.save", {
    conversation_id: id,
    summary: "x",
    through_message_id: other.saved[0].id,
  });
  assert.equal(foreign.errorCode, "404");
});

Deno.test("rosey.db.conversation.update sets the title and merges metadata, null removing a key", async () => {
  await using t = await startRosey();
  const created = await ask<{ id: string; metadata: unknown }>(t, "conversation.create", {
    user_id: "u",
    title: "Old",
    metadata: { topic: "travel", model: "a", nested: { x: 1, y: 2 } },
  });
  assert.deepEqual(created.metadata, { topic: "travel", model: "a", nested: { x: 1, y: 2 } });
  const updated = await ask<{ title: string | null; metadata: unknown }>(t, "conversation.update", {
    conversation_id: created.id,
    title: "New",
    metadata: { model: null, pinned: true, nested: { y: null, z: 3 } },
  });
  assert.equal(updated.title, "New");
  assert.deepEqual(updated.metadata, { topic: "travel", pinned: true, nested: { x: 1, z: 3 } });
  const got = await ask<{ title: string | null; metadata: unknown }>(t, "conversation.get", { id: created.id });
  assert.deepEqual([got.title, got.metadata], [updated.title, updated.metadata]);
  const cleared = await ask<{ title: string | null }>(t, "conversation.update", {
    conversation_id: created.id,
    title: null,
  });
  assert.equal(cleared.title, null);
  // Merged past the bound: refused, nothing changed.
  for (let i = 0; i < 2; i++) {
    const big = Object.fromEntries(Array.from({ length: 9 }, (_, k) => [`k${i}_${k}`, "x".repeat(1000)]));
    const reply = await request(t.nc, "rosey.db.conversation.update", { conversation_id: created.id, metadata: big });
    assert.equal(reply.errorCode, i === 0 ? undefined : "400");
  }
  const after = await ask<{ metadata: Record<string, unknown> }>(t, "conversation.get", { id: created.id });
  assert.equal(Object.keys(after.metadata).length, 3 + 9);
});

Deno.test("rosey.db.conversation.list filters by metadata values, status and last activity", async () => {
  await using t = await startRosey();
  const make = (metadata: object) =>
    ask<{ id: string }>(t, "conversation.create", { user_id: "lister", metadata }).then((c) => c.id);
  const a = await make({ topic: "travel", pinned: true, n: 1 });
  const b = await make({ topic: "travel", pinned: false, n: 2 });
  const c = await make({ topic: "cooking", pinned: true, n: "1" });
  const d = await make({ topic: null });
  await ask<{ id: string }>(t, "conversation.create", { user_id: "someone else", metadata: { topic: "travel" } });
  const ids = async (filter: object) =>
    (await ask<{ conversations: { id: string }[] }>(t, "conversation.list", { user_id: "lister", ...filter }))
      .conversations.map((x) => x.id).sort();
  assert.deepEqual(await ids({ metadata: { topic: "travel" } }), [a, b].sort());
  assert.deepEqual(await ids({ metadata: { topic: "travel", pinned: true } }), [a]);
  assert.deepEqual(await ids({ metadata: { pinned: true } }), [a, c].sort());
  // Types count: the number 1 is not the string "1", nor true; null matches only a stored null.
  assert.deepEqual(await ids({ metadata: { n: 1 } }), [a]);
  assert.deepEqual(await ids({ metadata: { n: "1" } }), [c]);
  assert.deepEqual(await ids({ metadata: { topic: null } }), [d]);
  assert.deepEqual(await ids({ metadata: { missing: "x" } }), []);
  await ask(t, "conversation.archive", { id: b });
  assert.deepEqual(await ids({ status: "ARCHIVED", metadata: { topic: "travel" } }), [b]);
  const stamp = (await ask<{ updated_at: number }>(t, "conversation.get", { id: b })).updated_at;
  assert.deepEqual(await ids({ until: stamp - 10 }), []);
  assert.deepEqual((await ids({ since: stamp - 10, until: stamp + 10 })).length, 4);
  assert.equal(
    (await request(t.nc, "rosey.db.conversation.list", { user_id: "lister", metadata: { 'a"b': 1 } })).errorCode,
    "400",
  );
});

Deno.test("rosey.db.conversation.fork copies exactly the messages up to the one named, with forked_from", async () => {
  await using t = await startRosey();
  const { id, saved } = await conversationWith(
    t,
    ["one", "two", "three", "four", "five"],
    (i) => ({ tokens: i, source: "s" }),
  );
  await ask(t, "conversation.update", { conversation_id: id, title: "Plans", metadata: { topic: "x" } });
  await ask(t, "conversation.summary.save", {
    conversation_id: id,
    summary: "one and two",
    through_message_id: saved[1].id,
  });
  await ask(t, "conversation.summary.save", {
    conversation_id: id,
    summary: "up to four",
    through_message_id: saved[3].id,
  });
  const fork = await ask<{ id: string; title: string; metadata: unknown; message_count: number; forked_from: unknown }>(
    t,
    "conversation.fork",
    { conversation_id: id, through_message_id: saved[2].id },
  );
  assert.deepEqual(fork.forked_from, { conversation_id: id, message_id: saved[2].id });
  assert.deepEqual([fork.title, fork.metadata, fork.message_count], ["Plans", { topic: "x" }, 3]);
  const copied = await ask<{ messages: Message[] }>(t, "conversation.message.list", { conversation_id: fork.id });
  const strip = (m: Message) => [m.role, m.content, m.metadata, m.created_at];
  assert.deepEqual(copied.messages.map(strip), saved.slice(0, 3).map(strip));
  assert.ok(copied.messages.every((m, i) => m.id !== saved[i].id));
  // Only the summary that covers no later message comes along, pointing at the copy.
  const summary = await ask<Summary>(t, "conversation.summary.get", { conversation_id: fork.id });
  assert.deepEqual([summary.summary, summary.through_message_id], ["one and two", copied.messages[1].id]);
  // The source is untouched, and the fork takes messages of its own.
  assert.equal((await ask<{ message_count: number }>(t, "conversation.get", { id })).message_count, 5);
  await ask(t, "conversation.message.save", { conversation_id: fork.id, role: "user", content: "again" });
  assert.equal((await ask<{ message_count: number }>(t, "conversation.get", { id: fork.id })).message_count, 4);
  const other = await conversationWith(t, ["x"]);
  assert.equal(
    (await request(t.nc, "rosey.db.conversation.fork", { conversation_id: id, through_message_id: other.saved[0].id }))
      .errorCode,
    "404",
  );
});

Deno.test("rosey.db.conversation.message.list filters by role and by since and until", async () => {
  await using t = await startRosey();
  const { id, saved } = await conversationWith(t, ["a", "b", "c", "d", "e"]);
  const list = async (filter: object) =>
    (await ask<{ messages: Message[] }>(t, "conversation.message.list", { conversation_id: id, ...filter })).messages
      .map((m) => m.content);
  assert.deepEqual(await list({ role: "assistant" }), ["b", "d"]);
  assert.deepEqual(await list({ role: "user", limit: 1, after: undefined }), ["a"]);
  // Times are whole seconds: move three messages back an hour to have a range to cut.
  const at = saved[0].created_at;
  const db = t.service.db()!;
  await t.service.write((tx) =>
    tx.run("UPDATE conversation_messages SET created_at = created_at - 3600 WHERE id IN (?, ?, ?)", [
      saved[0].id,
      saved[1].id,
      saved[2].id,
    ])
  );
  assert.ok(db);
  assert.deepEqual(await list({ until: at - 1800 }), ["a", "b", "c"]);
  assert.deepEqual(await list({ since: at - 1800 }), ["d", "e"]);
  assert.deepEqual(await list({ since: at - 3600, until: at - 3600, role: "user" }), ["a", "c"]);
});
