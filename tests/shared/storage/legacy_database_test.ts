import assert from "node:assert/strict";
import { ask, publish, rows, startRosey, tempDir, type TestService } from "../../_helpers.ts";

const FIXTURE = new URL("../../fixtures/legacy/rosey-sprint9.db", import.meta.url);
const EXPECTED = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/legacy/rosey-sprint9.json", import.meta.url)),
);

async function dump(t: TestService) {
  const tables = await rows<{ name: string }>(
    t,
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%' ORDER BY name",
  );
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    out[name] = (await rows(t, `SELECT * FROM "${name}" ORDER BY 1, 2`)).map((r) => ({ ...r }));
  }
  return out;
}

Deno.test("a database file of the old service is adopted in place: every row kept and readable, its token valid", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/legacy.db`;
  await Deno.copyFile(FIXTURE, path);
  let first: Record<string, unknown[]>;
  {
    await using t = await startRosey({ DATABASE_PATH: path });
    for (const [table, count] of Object.entries(EXPECTED.tables as Record<string, number>)) {
      assert.equal((await rows(t, `SELECT count(*) AS n FROM "${table}"`))[0].n, count, table);
    }
    assert.equal(
      (await ask<unknown[]>(t, "stats.recent_chat.get", { limit: 1000 })).length,
      EXPECTED.tables.recent_chat,
    );
    assert.equal(
      (await ask<unknown[]>(t, "stats.user_count.history", { hours: 24 * 366 })).length,
      EXPECTED.tables.user_count_history,
    );
    const alice = await ask<{ total_chat_lines: number }>(t, "query.user_stats", { username: "alice" });
    assert.equal(alice.total_chat_lines, EXPECTED.user_stats_alice.total_chat_lines);
    const stats = await ask<
      { high_water_mark: { users: number }; high_water_connected: { users: number }; total_users_seen: number }
    >(
      t,
      "query.channel_stats",
    );
    assert.deepEqual([stats.high_water_mark.users, stats.high_water_connected.users], EXPECTED.high_water);
    assert.equal(stats.total_users_seen, EXPECTED.tables.user_stats);
    assert.equal((await ask<{ bot_name: string }>(t, "status.get")).bot_name, EXPECTED.status_bot_name);
    assert.deepEqual(await ask(t, "token.validate", { token: EXPECTED.valid_token }), { valid: true });
    const tokens = await rows<{ token: string }>(t, "SELECT token FROM api_tokens");
    assert.ok(tokens.every((r) => /^[0-9a-f]{64}$/.test(r.token)), "only hashes are stored");
    const listed = await ask<{ token_preview: string; revoked: number }[]>(t, "token.list", { include_revoked: true });
    assert.deepEqual(listed.map((x) => [x.token_preview, x.revoked]), [[EXPECTED.valid_token.slice(0, 8) + "...", 0], [
      "eq7P9zKp...",
      1,
    ]]);
    const due = await ask<{ message: string }[]>(t, "messages.outbound.get", { max_retries: 3 });
    assert.ok(due.length >= 3, "unsent old messages are still offered");
    await publish(t, "message.log", { username: "alice", message: "still works" });
    assert.equal(
      (await ask<{ total_chat_lines: number }>(t, "query.user_stats", { username: "alice" })).total_chat_lines,
      11,
    );
    first = await dump(t);
  }
  {
    await using t = await startRosey({ DATABASE_PATH: path });
    assert.deepEqual(await dump(t), first, "a second start changes nothing");
  }
});
