import assert from "node:assert/strict";
import { jsonPolicyIssues, MAX_JSON_DEPTH } from "../../../shared/function/json_policy.ts";
import { publish, request, rows, startRosey, tempDir } from "../../_helpers.ts";

/** `levels` arrays nested in one another around `inner`. */
function nested(levels: number, inner: unknown = 1): unknown {
  let value = inner;
  for (let i = 1; i < levels; i++) value = [value];
  return [value];
}

Deno.test("jsonPolicyIssues refuses unsafe integers, deep nesting, lone surrogates and __proto__ keys, with their paths", () => {
  assert.deepEqual(jsonPolicyIssues({ a: [1, 1.5, -9007199254740991, 9007199254740991, "x\u{1F600}", null] }), []);
  assert.deepEqual(jsonPolicyIssues({ timestamp: 1e18 }).map((i) => i.path), [["timestamp"]]);
  assert.deepEqual(jsonPolicyIssues({ ids: [1, 9007199254740992] }).map((i) => i.path), [["ids", 1]]);
  assert.deepEqual(jsonPolicyIssues(nested(MAX_JSON_DEPTH)), []);
  assert.match(jsonPolicyIssues(nested(MAX_JSON_DEPTH + 1))[0].message, /nested deeper than 64 levels/);
  assert.deepEqual(jsonPolicyIssues({ name: "a\uD800b" }).map((i) => i.path), [["name"]]);
  assert.deepEqual(jsonPolicyIssues({ tail: "a\uDC00" }).map((i) => i.path), [["tail"]]);
  const proto = JSON.parse('{"metadata":{"__proto__":{"admin":true},"ok":1}}');
  assert.deepEqual(jsonPolicyIssues(proto).map((i) => i.path), [["metadata", "__proto__"]]);
});

Deno.test("an event with an unsafe integer is a dead letter, and later reads of that table still answer", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ DATABASE_URL: `file:${dir.path}/rosey.db` });
  await publish(t, "message.log", { username: "eve", message: "far future", timestamp: 1e18 });
  await publish(t, "message.log", { username: "bob", message: "now" });
  // channel_stats is the table stats.high_water writes its timestamps into (message.log never touches it).
  await publish(t, "stats.high_water", { chat_count: 5, connected_count: 6, timestamp: 1e18 });
  for (const subject of ["stats.recent_chat.get", "query.channel_stats"]) {
    const reply = await request(t.nc, `rosey.db.${subject}`, {});
    assert.equal(reply.errorCode, undefined, `${subject} answers: ${reply.error}`);
  }
  const letters = await rows<{ error: string }>(t, "SELECT error FROM dead_letters ORDER BY id");
  assert.equal(letters.length, 2);
  for (const { error } of letters) assert.match(error, /^Invalid input: timestamp: integer beyond ±2\^53/);
  const stats = await request(t.nc, "rosey.db.query.user_stats", { username: "eve" });
  assert.deepEqual(stats.data, { found: false });
});

Deno.test("requests with deep, lone-surrogate or __proto__ input answer 400 naming the field, never 500", async () => {
  await using t = await startRosey();
  const created = await request(t.nc, "rosey.db.conversation.create", { user_id: "u1" });
  const conversation_id = (created.data as { id: string }).id;
  const save = (extra: string) =>
    new TextEncoder().encode(`{"conversation_id":"${conversation_id}","role":"user","content":"hi",${extra}}`);
  const cases: [Uint8Array, RegExp][] = [
    [save(`"metadata":{"deep":${"[".repeat(2000)}${"]".repeat(2000)}}`), /metadata\.deep\[0\]\[0\].*nested deeper/],
    [save(`"metadata":{"__proto__":{"x":1}}`), /metadata\.__proto__: the key "__proto__" is not accepted/],
    [save(`"metadata":{"note":"\\ud800"}`), /metadata\.note: text with a lone UTF-16 surrogate/],
  ];
  for (const [payload, expected] of cases) {
    const reply = await request(t.nc, "rosey.db.conversation.message.save", payload);
    assert.equal(reply.errorCode, "400", reply.error ?? "no error");
    assert.match(reply.error ?? "", expected);
  }
  const count = await request(t.nc, "rosey.db.conversation.message.count", { conversation_id });
  assert.deepEqual(count.data, { count: 0 });
});
