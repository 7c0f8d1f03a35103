import assert from "node:assert/strict";
import { discoverFunctions, matchesFilter, subjectOf } from "../../../shared/runtime/discover.ts";

Deno.test("subjectOf maps paths to subjects and [name] tokens to wildcards", () => {
  assert.deepEqual(subjectOf("user/joined.ts").tokens, ["user", "joined"]);
  assert.deepEqual(subjectOf("messages/outbound/get.ts").tokens, ["messages", "outbound", "get"]);
  const kv = subjectOf("kv/[plugin]/get.ts");
  assert.deepEqual(kv.tokens, ["kv", "*", "get"]);
  assert.deepEqual([...kv.params], [[1, "plugin"]]);
  assert.throws(() => subjectOf("bad token/x.ts"), /"bad token" is not a valid subject token/);
});

Deno.test("discoverFunctions names the file that has no default export", async () => {
  await assert.rejects(
    discoverFunctions("tests/fixtures/no_default"),
    /Cannot load function "tests\/fixtures\/no_default\/thing.ts": no default export; expected export default defineEvent/,
  );
});

Deno.test("discoverFunctions refuses a default export not built by defineEvent or defineRequest", async () => {
  await assert.rejects(
    discoverFunctions("tests/fixtures/not_defined"),
    /"tests\/fixtures\/not_defined\/thing.ts": default export is not built by defineEvent or defineRequest/,
  );
});

Deno.test("discoverFunctions refuses two files that map to the same subject", async () => {
  await assert.rejects(
    discoverFunctions("tests/fixtures/duplicate"),
    /Cannot load function "tests\/fixtures\/duplicate\/\[b\]\/x.ts": subject "\*.x" is already served by "tests\/fixtures\/duplicate\/\[a\]\/x.ts"/,
  );
});

Deno.test("matchesFilter takes comma-separated globs", () => {
  assert.ok(matchesFilter("user.joined", "*"));
  assert.ok(matchesFilter("user.joined", "stats.*, user.*"));
  assert.ok(!matchesFilter("user.joined", "stats.*"));
  assert.ok(matchesFilter("messages.outbound.get", "*.get"));
  assert.ok(!matchesFilter("userxjoined", "user.joined"));
});

Deno.test("matchesFilter takes globs with the subject prefix as well as without it", () => {
  const prefix = "rosey.db";
  assert.ok(matchesFilter("user.joined", "rosey.db.user.*", { prefix }));
  assert.ok(matchesFilter("user.joined", "stats.*, rosey.db.user.joined", { prefix }));
  assert.ok(matchesFilter("user.joined", "user.*", { prefix }));
  assert.ok(!matchesFilter("user.joined", "rosey.db.stats.*", { prefix }));
  assert.ok(!matchesFilter("user.joined", "other.db.user.*", { prefix }));
});
