/**
 * Issue 18, finding 6: a `__proto__` key was silently dropped and a lone surrogate stored as U+FFFD.
 * Each is now refused naming the field (a 400, or a dead letter for an event) and nothing is stored.
 */
import assert from "node:assert/strict";
import { ask, publish, request, rows, startRosey, type TestService } from "../_helpers.ts";

const utf8 = new TextEncoder();

/** Sends `raw` JSON text as is (JSON.stringify cannot write a `__proto__` key). */
async function refused(t: TestService, subject: string, raw: string, field: RegExp) {
  const reply = await request(t.nc, `rosey.db.${subject}`, utf8.encode(raw));
  assert.equal(reply.errorCode, "400", `${subject} ${raw}: ${reply.errorCode} ${reply.error}`);
  assert.match(reply.error!, field, subject);
}

Deno.test("rosey.db.reminder.guild.upsert refuses a __proto__ key inside settings, keeping the guild's settings as they were", async () => {
  await using t = await startRosey();
  await ask(t, "reminder.guild.upsert", { guild_id: "g1", name: "G", settings: { tz: "Europe/Paris" } });
  await refused(
    t,
    "reminder.guild.upsert",
    '{"guild_id":"g1","name":"G","settings":{"__proto__":{"admin":true},"tz":"UTC"}}',
    /settings\.__proto__: the key "__proto__" is not accepted/,
  );
  const guild = await ask<{ settings: unknown }>(t, "reminder.guild.get", { guild_id: "g1" });
  assert.deepEqual(guild.settings, { tz: "Europe/Paris" });
});

Deno.test("rosey.db.conversation.message.save refuses a top-level __proto__ key and stores no message", async () => {
  await using t = await startRosey();
  const { id } = await ask<{ id: string }>(t, "conversation.create", { user_id: "u1" });
  await refused(
    t,
    "conversation.message.save",
    `{"conversation_id":"${id}","role":"user","content":"hi","__proto__":{"role":"system"}}`,
    /__proto__: the key "__proto__" is not accepted/,
  );
  assert.deepEqual(await ask(t, "conversation.message.count", { conversation_id: id }), { count: 0 });
});

Deno.test("rosey.db.conversation.create and reminder.guild.upsert refuse a lone surrogate in a stored column, storing nothing", async () => {
  await using t = await startRosey();
  await refused(t, "conversation.create", '{"user_id":"u1","title":"a\\ud800b"}', /^Invalid input: title: .*surrogate/);
  await refused(t, "reminder.guild.upsert", '{"guild_id":"g1","name":"a\\ud800"}', /^Invalid input: name: .*surrogate/);
  assert.deepEqual(await rows(t, "SELECT id FROM conversations UNION ALL SELECT guild_id FROM reminder_guilds"), []);
});

Deno.test("rosey.db.message.log with a lone surrogate in the message is a dead letter, not a message with U+FFFD", async () => {
  await using t = await startRosey();
  await publish(t, "message.log", { username: "eve", message: "a\uD800b" }, { username: "bob", message: "fine" });
  assert.deepEqual(await rows(t, "SELECT username, message FROM recent_chat"), [{ username: "bob", message: "fine" }]);
  const letters = await rows<{ error: string }>(t, "SELECT error FROM dead_letters");
  assert.equal(letters.length, 1);
  assert.match(letters[0].error, /^Invalid input: message: .*surrogate/);
});
