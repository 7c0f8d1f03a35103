import assert from "node:assert/strict";
import { hashToken } from "../../shared/storage/token_hash.ts";
import { ask, rows, startRosey } from "../_helpers.ts";

type TokenInfo = {
  token_preview: string;
  description: string | null;
  created_at: number;
  last_used: number | null;
  revoked: number;
};

Deno.test("rosey.db.token.create stores only a hash, and token.validate accepts the token", async () => {
  await using t = await startRosey();
  const { token } = await ask<{ token: string }>(t, "token.create", { description: "dashboard" });
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  const stored = await rows<{ token: string; token_prefix: string }>(t, "SELECT token, token_prefix FROM api_tokens");
  assert.equal(stored.length, 1);
  assert.equal(stored[0].token, await hashToken(token));
  assert.ok(!JSON.stringify(stored).includes(token));
  assert.deepEqual(await ask(t, "token.validate", { token }), { valid: true });
  assert.deepEqual(await ask(t, "token.validate", { token: token.slice(0, -1) + "x" }), { valid: false });
  const [listed] = await ask<TokenInfo[]>(t, "token.list");
  assert.equal(listed.token_preview, token.slice(0, 8) + "...");
  assert.ok(listed.last_used !== null);
});

Deno.test("rosey.db.token.revoke by prefix or token; list hides revoked unless asked", async () => {
  await using t = await startRosey();
  const a = (await ask<{ token: string }>(t, "token.create", { description: "a" })).token;
  const b = (await ask<{ token: string }>(t, "token.create", { description: "b" })).token;
  const c = (await ask<{ token: string }>(t, "token.create", {})).token;
  await assert.rejects(ask(t, "token.revoke", { token_prefix: a.slice(0, 7) }), /400/);
  assert.deepEqual(await ask(t, "token.revoke", { token_prefix: a.slice(0, 8) }), { revoked: 1 });
  assert.deepEqual(await ask(t, "token.revoke", { token_prefix: a.slice(0, 8) }), { revoked: 0 });
  assert.deepEqual(await ask(t, "token.revoke", { token: b }), { revoked: 1 });
  assert.deepEqual(await ask(t, "token.validate", { token: a }), { valid: false });
  assert.deepEqual(await ask(t, "token.validate", { token: b }), { valid: false });
  assert.deepEqual(await ask(t, "token.validate", { token: c }), { valid: true });
  const active = await ask<TokenInfo[]>(t, "token.list");
  assert.deepEqual(active.map((x) => [x.token_preview, x.description, x.revoked]), [[c.slice(0, 8) + "...", null, 0]]);
  const all = await ask<TokenInfo[]>(t, "token.list", { include_revoked: true });
  assert.deepEqual(all.map((x) => x.description), ["a", "b", null]);
  assert.deepEqual(Object.keys(all[0]), ["token_preview", "description", "created_at", "last_used", "revoked"]);
  assert.ok(all.every((x) => x.token_preview.length === 11));
});
