import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { connect } from "@nats-io/transport-node";
import { ask, request, startRosey, tempDir, type TestService } from "../_helpers.ts";

type Conversation = {
  id: string;
  user_id: string;
  title: string | null;
  status: string;
  message_count: number;
  last_message_at: number | null;
  archived_at: number | null;
};
type Message = {
  id: string;
  conversation_id: string;
  role: string;
  content: string;
  metadata: Record<string, unknown>;
  created_at: number;
};

async function errorCode(t: TestService, subject: string, body: unknown) {
  return (await request(t.nc, `rosey.db.${subject}`, body)).errorCode;
}

Deno.test("rosey.db.conversation.create, get and message.save keep the counters and times", async () => {
  await using t = await startRosey();
  const created = await ask<Conversation>(t, "conversation.create", { user_id: "u1", title: "Trip" });
  assert.match(created.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual([created.status, created.message_count, created.last_message_at], ["ACTIVE", 0, null]);
  const saved = await ask<Message>(t, "conversation.message.save", {
    conversation_id: created.id,
    role: "user",
    content: "Plan a trip to Kyoto",
    metadata: { request_id: "r-1", source: "web", tokens: 7, model_name: "m", latency_ms: 12.5, extra: { a: 1 } },
  });
  assert.deepEqual(saved.metadata, {
    request_id: "r-1",
    source: "web",
    tokens: 7,
    model_name: "m",
    latency_ms: 12.5,
    extra: { a: 1 },
  });
  const got = await ask<Conversation>(t, "conversation.get", { id: created.id });
  assert.equal(got.message_count, 1);
  assert.equal(got.last_message_at, saved.created_at);
});

Deno.test("rosey.db.conversation errors map to 404, 409 and 400", async () => {
  await using t = await startRosey();
  const unknown = crypto.randomUUID();
  assert.equal(await errorCode(t, "conversation.get", { id: unknown }), "404");
  assert.equal(
    await errorCode(t, "conversation.message.save", { conversation_id: unknown, role: "user", content: "x" }),
    "404",
  );
  const { id } = await ask<Conversation>(t, "conversation.create", { user_id: "u" });
  assert.equal(
    await errorCode(t, "conversation.message.save", { conversation_id: id, role: "robot", content: "x" }),
    "400",
  );
  assert.equal(
    await errorCode(t, "conversation.message.save", { conversation_id: id, role: "user", content: "" }),
    "400",
  );
  assert.equal(
    await errorCode(t, "conversation.message.save", { conversation_id: id, role: "user", content: "   " }),
    "400",
  );
  assert.equal(await errorCode(t, "conversation.get", { id: "not-a-uuid" }), "400");
  await ask(t, "conversation.archive", { id });
  assert.equal(
    await errorCode(t, "conversation.message.save", { conversation_id: id, role: "user", content: "x" }),
    "409",
  );
  assert.equal(await errorCode(t, "conversation.archive", { id }), "409");
  await ask(t, "conversation.close", { id });
  assert.equal(await errorCode(t, "conversation.unarchive", { id }), "409");
});

Deno.test("rosey.db.conversation.archive, unarchive, close and delete move the status", async () => {
  await using t = await startRosey();
  const { id } = await ask<Conversation>(t, "conversation.create", { user_id: "u" });
  const archived = await ask<Conversation>(t, "conversation.archive", { id });
  assert.equal(archived.status, "ARCHIVED");
  assert.ok(archived.archived_at !== null);
  const active = await ask<Conversation>(t, "conversation.unarchive", { id });
  assert.deepEqual([active.status, active.archived_at], ["ACTIVE", null]);
  assert.equal((await ask<Conversation>(t, "conversation.close", { id })).status, "CLOSED");
  assert.equal((await ask<Conversation>(t, "conversation.delete", { id })).status, "DELETED");
  assert.equal(await errorCode(t, "conversation.delete", { id }), "404");
});

Deno.test("rosey.db.conversation.delete hides it from get and list but not from export", async () => {
  await using t = await startRosey();
  const keep = await ask<Conversation>(t, "conversation.create", { user_id: "u" });
  const gone = await ask<Conversation>(t, "conversation.create", { user_id: "u", title: "secret" });
  await ask(t, "conversation.message.save", { conversation_id: gone.id, role: "user", content: "audit me" });
  await ask(t, "conversation.delete", { id: gone.id });
  const listed = await ask<{ conversations: Conversation[] }>(t, "conversation.list", { user_id: "u" });
  assert.deepEqual(listed.conversations.map((c) => c.id), [keep.id]);
  assert.equal(await errorCode(t, "conversation.get", { id: gone.id }), "404");
  const exported = await ask<{ conversation: Conversation; messages: Message[] }>(t, "conversation.export", {
    id: gone.id,
  });
  assert.equal(exported.conversation.status, "DELETED");
  assert.deepEqual(exported.messages.map((m) => m.content), ["audit me"]);
  assert.equal((await ask<unknown[]>(t, "conversation.message.search", { user_id: "u", query: "audit" })).length, 0);
});

Deno.test("rosey.db.conversation.list pages by newest activity without gaps or repeats", async () => {
  await using t = await startRosey();
  const ids: string[] = [];
  for (let i = 0; i < 23; i++) {
    ids.push((await ask<Conversation>(t, "conversation.create", { user_id: "pager", title: `c${i}` })).id);
  }
  await ask(t, "conversation.create", { user_id: "someone else" });
  // Activity moves c3 to the front.
  await ask(t, "conversation.message.save", { conversation_id: ids[3], role: "user", content: "bump" });
  const seen: string[] = [];
  let before: string | null | undefined;
  do {
    const page: { conversations: Conversation[]; next_before: string | null } = await ask(t, "conversation.list", {
      user_id: "pager",
      limit: 5,
      ...(before ? { before } : {}),
    });
    seen.push(...page.conversations.map((c) => c.id));
    before = page.next_before;
  } while (before);
  const expected = [ids[3], ...ids.filter((_, i) => i !== 3).reverse()];
  assert.deepEqual(seen, expected);
  const archived = await ask<{ conversations: Conversation[] }>(t, "conversation.list", {
    user_id: "pager",
    status: "ARCHIVED",
  });
  assert.deepEqual(archived.conversations, []);
});

Deno.test("rosey.db.conversation.message.list, last, count, by_source and by_request", async () => {
  await using t = await startRosey();
  const { id } = await ask<Conversation>(t, "conversation.create", { user_id: "u" });
  const other = await ask<Conversation>(t, "conversation.create", { user_id: "u" });
  for (let i = 0; i < 12; i++) {
    await ask(t, "conversation.message.save", {
      conversation_id: id,
      role: i % 3 === 0 ? "system" : i % 2 ? "assistant" : "user",
      content: `m${i}`,
      metadata: { source: i < 6 ? "web" : "discord", request_id: `r${Math.floor(i / 2)}` },
    });
  }
  await ask(t, "conversation.message.save", {
    conversation_id: other.id,
    role: "user",
    content: "elsewhere",
    metadata: { request_id: "r1" },
  });
  const pages: string[] = [];
  let after: string | null | undefined;
  do {
    const page: { messages: Message[]; next_after: string | null } = await ask(t, "conversation.message.list", {
      conversation_id: id,
      limit: 5,
      ...(after ? { after } : {}),
    });
    pages.push(...page.messages.map((m) => m.content));
    after = page.next_after;
  } while (after);
  assert.deepEqual(pages, Array.from({ length: 12 }, (_, i) => `m${i}`));
  assert.deepEqual(
    (await ask<Message[]>(t, "conversation.message.last", { conversation_id: id, n: 3 })).map((m) => m.content),
    ["m9", "m10", "m11"],
  );
  assert.deepEqual(await ask(t, "conversation.message.count", { conversation_id: id }), { count: 12 });
  assert.deepEqual(await ask(t, "conversation.message.count", { conversation_id: id, role: "system" }), { count: 4 });
  assert.equal(
    (await ask<Message[]>(t, "conversation.message.by_source", { conversation_id: id, source: "discord" })).length,
    6,
  );
  const traced = await ask<Message[]>(t, "conversation.message.by_request", { request_id: "r1" });
  assert.deepEqual(traced.map((m) => m.content), ["m2", "m3", "elsewhere"]);
});

Deno.test("rosey.db.conversation.message.search ranks matches, handles unicode and never parses input as syntax", async () => {
  await using t = await startRosey();
  const { id } = await ask<Conversation>(t, "conversation.create", { user_id: "searcher" });
  const theirs = await ask<Conversation>(t, "conversation.create", { user_id: "other" });
  const save = (conversation_id: string, content: string) =>
    ask(t, "conversation.message.save", { conversation_id, role: "user", content });
  await save(id, "The recipe for crème brûlée needs cream");
  await save(id, "cream cream cream: whipped cream on crème brûlée and cream cheese");
  await save(id, "東京の天気はどうですか");
  await save(id, "nothing relevant here");
  await save(theirs.id, "cream for someone else");
  const hits = await ask<{ snippet: string; conversation_id: string; rank: number }[]>(
    t,
    "conversation.message.search",
    { user_id: "searcher", query: "cream" },
  );
  assert.equal(hits.length, 2);
  assert.ok(hits[0].snippet.startsWith("[cream] [cream]"), hits[0].snippet);
  assert.ok(hits[0].rank <= hits[1].rank);
  assert.ok(hits.every((h) => h.conversation_id === id));
  const accents = await ask<{ snippet: string }[]>(t, "conversation.message.search", {
    user_id: "searcher",
    query: "creme brulee",
  });
  assert.equal(accents.length, 2);
  assert.equal(
    (await ask<unknown[]>(t, "conversation.message.search", { user_id: "searcher", query: "東京の天気はどうですか" }))
      .length,
    1,
  );
  for (const query of ['"unbalanced', "cream OR", "NEAR(", "*", "a:b", "'; DROP TABLE conversations; --"]) {
    await ask(t, "conversation.message.search", { user_id: "searcher", query });
  }
});

Deno.test("rosey.db.conversation message_count equals the real count under 20 concurrent writers", async () => {
  await using t = await startRosey();
  const { id } = await ask<Conversation>(t, "conversation.create", { user_id: "busy" });
  const writers = await Promise.all(Array.from({ length: 20 }, () => connect({ servers: t.nats.url })));
  await Promise.all(writers.map((nc, w) =>
    (async () => {
      for (let i = 0; i < 25; i++) {
        const reply = await request(nc, "rosey.db.conversation.message.save", {
          conversation_id: id,
          role: "user",
          content: `w${w} #${i}`,
        });
        assert.equal(reply.errorCode, undefined);
      }
    })()
  ));
  await Promise.all(writers.map((nc) => nc.close()));
  const conversation = await ask<Conversation>(t, "conversation.get", { id });
  assert.equal(conversation.message_count, 500);
  assert.deepEqual(await ask(t, "conversation.message.count", { conversation_id: id }), { count: 500 });
});

Deno.test("rosey.db.conversation writes retry while another process holds the lock, then give up with 503", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/conversations.db`;
  await using t = await startRosey({ DATABASE_PATH: path });
  const { id } = await ask<Conversation>(t, "conversation.create", { user_id: "u" });
  const other = createClient({ url: `file:${path}` });
  await other.execute("BEGIN IMMEDIATE");
  // 5 retries from 20 ms: about 620 ms in all, then 503.
  assert.equal(
    await errorCode(t, "conversation.message.save", { conversation_id: id, role: "user", content: "blocked" }),
    "503",
  );
  // Released within the retries: the write goes through.
  setTimeout(() => other.execute("ROLLBACK"), 100);
  const saved = await ask<Message>(t, "conversation.message.save", {
    conversation_id: id,
    role: "user",
    content: "later",
  });
  assert.equal(saved.content, "later");
  assert.deepEqual(await ask(t, "conversation.message.count", { conversation_id: id }), { count: 1 });
  other.close();
});
