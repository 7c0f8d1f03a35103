import assert from "node:assert/strict";
import fc from "fast-check";
import { ask, request, rows, startRosey, type TestService } from "../_helpers.ts";

async function reply(t: TestService, subject: string, body: unknown) {
  return await request(t.nc, `rosey.db.${subject}`, body);
}

Deno.test("rosey.db.conversation.create refuses NUL in title or user_id with a 400 naming the field and stores nothing", async () => {
  await using t = await startRosey();
  const title = await reply(t, "conversation.create", { user_id: "u1", title: "Trip\0 to Kyoto" });
  assert.equal(title.errorCode, "400");
  assert.match(title.error!, /title: must not contain NUL \(U\+0000\)/);
  const user = await reply(t, "conversation.create", { user_id: "u1\0admin", title: "Trip" });
  assert.equal(user.errorCode, "400");
  assert.match(user.error!, /user_id: must not contain NUL/);
  const control = await reply(t, "conversation.create", { user_id: "u1\u001b[31m" });
  assert.match(control.error!, /user_id: must not contain the control character U\+001B/);
  assert.deepEqual(await rows(t, "SELECT id FROM conversations"), []);
  // A title is text: tabs and newlines stay accepted.
  await ask(t, "conversation.create", { user_id: "u1", title: "Trip\n\tto Kyoto" });
});

Deno.test("rosey.db.conversation.list and message.list answer 400 naming a 400-digit cursor", async () => {
  await using t = await startRosey();
  const { id } = await ask<{ id: string }>(t, "conversation.create", { user_id: "u1" });
  const huge = "9".repeat(400);
  const list = await reply(t, "conversation.list", { user_id: "u1", before: huge });
  assert.equal(list.errorCode, "400");
  assert.match(list.error!, /before: must be a cursor returned by a previous page/);
  const messages = await reply(t, "conversation.message.list", { conversation_id: id, after: huge });
  assert.equal(messages.errorCode, "400");
  assert.match(messages.error!, /after: must be a cursor returned by a previous page/);
  // The largest cursor a page can return still works.
  assert.equal(
    (await reply(t, "conversation.list", { user_id: "u1", before: "9007199254740991" })).errorCode,
    undefined,
  );
});

/** Every query a user may type is answered: 200, or a 400 with a message, never a 500. */
async function assertAnswered(t: TestService, query: string) {
  const answer = await reply(t, "conversation.message.search", { user_id: "u1", query });
  if (answer.errorCode === undefined) return assert.ok(Array.isArray(answer.data), JSON.stringify(query));
  assert.equal(answer.errorCode, "400", `${JSON.stringify(query)}: ${answer.error}`);
  assert.match(answer.error!, /^Invalid input: query: /);
}

Deno.test("rosey.db.conversation.message.search reads FTS5 syntax and NUL as text, never a 500", async () => {
  await using t = await startRosey();
  const { id } = await ask<{ id: string }>(t, "conversation.create", { user_id: "u1" });
  await ask(t, "conversation.message.save", {
    conversation_id: id,
    role: "user",
    content: 'He said "AND" then NEAR(x y) - (a OR b) * done',
  });
  for (
    const query of [
      '"',
      '""',
      'say "hi',
      "AND",
      "a AND b",
      "*",
      "kyo*",
      "(",
      ")",
      "NEAR(",
      "NEAR(a b",
      "-",
      "-a",
      "a:b",
      "^a",
      "+",
      "OR",
      "NOT",
    ]
  ) await assertAnswered(t, query);
  const nul = await reply(t, "conversation.message.search", { user_id: "u1", query: "he\0llo" });
  assert.equal(nul.errorCode, "400");
  assert.match(nul.error!, /query: must not contain NUL/);
  // Syntax words are matched as words.
  const found = await ask<{ message_id: string }[]>(t, "conversation.message.search", {
    user_id: "u1",
    query: "NEAR(x",
  });
  assert.equal(found.length, 1);
});

Deno.test("rosey.db.conversation.message.search answers any string: 200 or a 400 with a message (property)", async () => {
  await using t = await startRosey();
  const { id } = await ask<{ id: string }>(t, "conversation.create", { user_id: "u1" });
  await ask(t, "conversation.message.save", { conversation_id: id, role: "user", content: "plan a trip to Kyoto" });
  const syntax = fc.constantFrom('"', "*", "(", ")", "NEAR(", "AND", "OR", "NOT", "-", "+", "^", ":", "\0", " ", "\t");
  const query = fc.array(fc.oneof(syntax, fc.string(), fc.string({ unit: "grapheme" })), { maxLength: 8 })
    .map((parts) => parts.join(""));
  await fc.assert(fc.asyncProperty(query, (q) => assertAnswered(t, q)), { seed: 18, numRuns: 300 });
});
