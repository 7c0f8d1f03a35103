import assert from "node:assert/strict";
import { startNatsServer } from "../../../shared/nats/local_server.ts";
import { request, startRosey, tempDir, writeSql } from "../../_helpers.ts";

const KIB = 1024;

/** Raw reply of a request, headers included. */
async function ask(nc: Parameters<typeof request>[0], subject: string, body: unknown) {
  const msg = await nc.request(`rosey.db.${subject}`, new TextEncoder().encode(JSON.stringify(body)), {
    timeout: 10_000,
  });
  return { msg, header: (name: string) => msg.headers?.get(name) || undefined };
}

Deno.test("messages.outbound.get answers what fits the server's max_payload and says the rest waits; the rest comes next", async () => {
  await using t = await startRosey();
  for (let i = 0; i < 5; i++) {
    await request(t.nc, "rosey.db.messages.outbound.enqueue", { message: `${i}`.padEnd(250 * KIB, "x") });
  }
  const first = await ask(t.nc, "messages.outbound.get", { limit: 10 });
  assert.equal(first.header("Nats-Service-Error-Code"), undefined);
  assert.equal(first.header("Rosey-Truncated"), "true");
  const got = first.msg.json<{ id: number; message: string }[]>();
  assert.deepEqual(got.map((m) => m.message[0]), ["0", "1", "2", "3"]);
  for (const { id } of got) t.nc.publish("rosey.db.messages.outbound.mark_sent", JSON.stringify({ message_id: id }));
  const rest = await ask(t.nc, "messages.outbound.get", { limit: 10 });
  assert.equal(rest.header("Rosey-Truncated"), undefined);
  assert.deepEqual(rest.msg.json<{ message: string }[]>().map((m) => m.message[0]), ["4"]);
});

Deno.test("an item that can never fit is left out and counted; any other reply too large is a 413 naming max_payload", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/nats.conf`, "max_payload: 65536\n");
  await using nats = await startNatsServer({ args: ["-c", `${dir.path}/nats.conf`] });
  await using t = await startRosey({ MAX_PAYLOAD_BYTES: String(32 * KIB) }, nats);
  await request(t.nc, "rosey.db.messages.outbound.enqueue", { message: "before" });
  // Written before the limit was what it is now: larger than any reply can be.
  await writeSql(t, "INSERT INTO outbound_messages (timestamp, message, sent, retry_count) VALUES (?, ?, 0, 0)", [
    Math.floor(Date.now() / 1000),
    "y".repeat(100 * KIB),
  ]);
  await request(t.nc, "rosey.db.messages.outbound.enqueue", { message: "after" });
  const outbound = await ask(t.nc, "messages.outbound.get", {});
  assert.equal(outbound.header("Rosey-Skipped-Too-Large"), "1");
  assert.deepEqual(outbound.msg.json<{ message: string }[]>().map((m) => m.message), ["before", "after"]);

  const { id } = (await request(t.nc, "rosey.db.conversation.create", { user_id: "u" })).data as { id: string };
  for (let i = 0; i < 3; i++) {
    const content = "z".repeat(30 * KIB);
    const saved = await request(t.nc, "rosey.db.conversation.message.save", {
      conversation_id: id,
      role: "user",
      content,
    });
    assert.equal(saved.errorCode, undefined, saved.error ?? "");
  }
  const exported = await request(t.nc, "rosey.db.conversation.export", { id });
  assert.equal(exported.errorCode, "413");
  assert.match(exported.error ?? "", /^Reply too large: over the server's max_payload of 65536 bytes/);
});

/** A conversation holding five messages of 250 KiB each, content starting with its index. */
async function largeConversation(t: Awaited<ReturnType<typeof startRosey>>): Promise<string> {
  const { id } = (await request(t.nc, "rosey.db.conversation.create", { user_id: "u" })).data as { id: string };
  for (let i = 0; i < 5; i++) {
    const content = `${i}`.padEnd(250 * KIB, "x");
    const saved = await request(t.nc, "rosey.db.conversation.message.save", {
      conversation_id: id,
      role: "user",
      content,
    });
    assert.equal(saved.errorCode, undefined, saved.error ?? "");
  }
  return id;
}

Deno.test("conversation.message.list answers a page cut to the server's max_payload with next_after, and the next pages bring the rest", async () => {
  await using t = await startRosey();
  const conversation_id = await largeConversation(t);
  const seen: string[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 5; pages++) {
    const page = await ask(t.nc, "conversation.message.list", { conversation_id, ...(after ? { after } : {}) });
    assert.equal(page.header("Nats-Service-Error-Code"), undefined, page.header("Nats-Service-Error") ?? "");
    const body = page.msg.json<{ messages: { content: string }[]; next_after: string | null }>();
    seen.push(...body.messages.map((m) => m.content[0]));
    if (pages === 0) assert.ok(body.messages.length < 5 && body.next_after !== null, "the first page is cut");
    if (body.next_after === null) break;
    after = body.next_after;
  }
  assert.deepEqual(seen, ["0", "1", "2", "3", "4"]);
});

Deno.test("conversation.message.last cut to the server's max_payload keeps the newest messages and says it was cut", async () => {
  await using t = await startRosey();
  const conversation_id = await largeConversation(t);
  const last = await ask(t.nc, "conversation.message.last", { conversation_id, n: 5 });
  assert.equal(last.header("Nats-Service-Error-Code"), undefined);
  assert.equal(last.header("Rosey-Truncated"), "true");
  assert.deepEqual(last.msg.json<{ content: string }[]>().map((m) => m.content[0]), ["1", "2", "3", "4"]);
});

Deno.test("admin.dead_letters.list cut to the server's max_payload sends Rosey-Next-Cursor, the before_id of the rest", async () => {
  await using t = await startRosey();
  for (let i = 0; i < 5; i++) {
    // No username: each is a dead letter of about 250 KiB.
    t.nc.publish("rosey.db.message.log", JSON.stringify({ message: `${i}`.padEnd(250 * KIB, "x") }));
  }
  await t.nc.flush();
  await writeSql(t, "SELECT 1");
  const first = await ask(t.nc, "admin.dead_letters.list", {});
  assert.equal(first.header("Rosey-Truncated"), "true");
  const got = first.msg.json<{ id: number; payload: string }[]>();
  assert.deepEqual(got.map((d) => JSON.parse(d.payload).message[0]), ["4", "3", "2", "1"]);
  assert.equal(first.header("Rosey-Next-Cursor"), String(got.at(-1)!.id));
  const rest = await ask(t.nc, "admin.dead_letters.list", { before_id: Number(first.header("Rosey-Next-Cursor")) });
  assert.equal(rest.header("Rosey-Truncated"), undefined);
  assert.equal(rest.header("Rosey-Next-Cursor"), undefined);
  assert.deepEqual(rest.msg.json<{ payload: string }[]>().map((d) => JSON.parse(d.payload).message[0]), ["0"]);
});

Deno.test("an item too large for any reply on the connected server is refused when written (413 naming the limit), storing nothing", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/nats.conf`, "max_payload: 65536\n");
  await using nats = await startNatsServer({ args: ["-c", `${dir.path}/nats.conf`] });
  await using t = await startRosey({}, nats);
  const huge = "h".repeat(65_000);
  const refused = (reply: Awaited<ReturnType<typeof request>>, what: string) => {
    assert.equal(reply.errorCode, "413", `${what}: ${reply.errorCode} ${reply.error}`);
    assert.match(reply.error ?? "", /too large: \d+ bytes as JSON, over the 64256 bytes one item may take/, what);
  };

  const { id } = (await request(t.nc, "rosey.db.conversation.create", { user_id: "u" })).data as { id: string };
  const save = (content: string) =>
    request(t.nc, "rosey.db.conversation.message.save", { conversation_id: id, role: "user", content });
  refused(await save(huge), "conversation.message.save");
  assert.deepEqual((await request(t.nc, "rosey.db.conversation.message.count", { conversation_id: id })).data, {
    count: 0,
  });
  assert.equal((await save("fits")).errorCode, undefined);
  const list = await request(t.nc, "rosey.db.conversation.message.list", { conversation_id: id, limit: 1 });
  assert.equal(list.errorCode, undefined, list.error ?? "");

  refused(await request(t.nc, "rosey.db.messages.outbound.enqueue", { message: huge }), "messages.outbound.enqueue");
  assert.equal((await request(t.nc, "rosey.db.messages.outbound.enqueue", { message: "fits" })).errorCode, undefined);
  const outbound = await ask(t.nc, "messages.outbound.get", {});
  assert.deepEqual(outbound.msg.json<{ message: string }[]>().map((m) => m.message), ["fits"]);

  await request(t.nc, "rosey.db.reminder.guild.upsert", { guild_id: "g1", settings: { tz: "UTC" } });
  const guild = { guild_id: "g1", settings: { tz: "UTC", note: huge } };
  refused(await request(t.nc, "rosey.db.reminder.guild.upsert", guild), "reminder.guild.upsert");
  const kept = await request(t.nc, "rosey.db.reminder.guild.get", { guild_id: "g1" });
  assert.deepEqual((kept.data as { settings: unknown }).settings, { tz: "UTC" });
});

Deno.test("stats.recent_chat.get cut to the server's max_payload keeps the newest messages, as its limit does", async () => {
  await using t = await startRosey();
  for (let i = 0; i < 5; i++) {
    t.nc.publish("rosey.db.message.log", JSON.stringify({ username: "u", message: `${i}`.padEnd(250 * KIB, "x") }));
  }
  await t.nc.flush();
  const recent = await ask(t.nc, "stats.recent_chat.get", { limit: 5 });
  assert.equal(recent.header("Rosey-Truncated"), "true");
  assert.deepEqual(recent.msg.json<{ message: string }[]>().map((m) => m.message[0]), ["1", "2", "3", "4"]);
});
