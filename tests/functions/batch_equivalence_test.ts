import assert from "node:assert/strict";
import { loadConfig } from "../../shared/config.ts";
import { type Database, openDatabase } from "../../shared/storage/db.ts";
import type { EventContext, EventFunction } from "../../shared/function/define.ts";
import { silentLogger } from "../../shared/log.ts";
import { loadMigrations, migrate } from "../../shared/storage/migrate.ts";
import messageLog from "../../functions/message/log.ts";
import userJoined from "../../functions/user/joined.ts";
import userCount from "../../functions/stats/user_count.ts";

const config = loadConfig({ DATABASE_URL: ":memory:" });
const RECEIVED_AT = 5_000;

async function freshDatabase(): Promise<Database> {
  const db = await openDatabase(config, silentLogger);
  await migrate(db, await loadMigrations(), silentLogger);
  return db;
}

async function apply(fn: EventFunction, payloads: unknown[], batched: boolean) {
  const db = await freshDatabase();
  // Users seen before the batch, so that updates of existing rows are compared too.
  await db.transaction((tx) =>
    tx.run("INSERT INTO user_stats (username, first_seen, last_seen, total_chat_lines) VALUES ('old', 1, 1, 3)")
  );
  const inputs = payloads.map((p) => fn.input.parse(p));
  await db.transaction(async (tx) => {
    const ctx: EventContext = {
      db: tx,
      subject: "test",
      params: {},
      receivedAt: RECEIVED_AT,
      config,
      log: silentLogger,
    };
    if (batched) await fn.handleBatch!(inputs, ctx);
    else for (const input of inputs) await fn.handle(input, ctx);
  });
  const dump: Record<string, unknown[]> = {};
  for (const table of ["user_stats", "recent_chat", "user_count_history"]) {
    dump[table] = (await db.read.query(`SELECT * FROM ${table} ORDER BY rowid`)).map((r) => ({ ...r }));
  }
  db.close();
  return dump;
}

const names = ["old", "ann", "Server", "server", "bob", "ann", "cé", "bob"];
const messages = Array.from({ length: 700 }, (_, i) => ({
  username: names[i % names.length],
  message: `line ${i} ✓`,
  ...(i % 3 === 0 ? {} : { timestamp: 4_000 + ((i * 37) % 900) }),
}));

Deno.test("rosey.db.message.log handleBatch gives the same rows as one-by-one handling", async () => {
  assert.deepEqual(await apply(messageLog, messages, true), await apply(messageLog, messages, false));
});

Deno.test("rosey.db.user.joined handleBatch gives the same rows as one-by-one handling", async () => {
  const joins = messages.map(({ username, ...rest }) => ({
    username,
    timestamp: "timestamp" in rest ? rest.timestamp : undefined,
  }));
  assert.deepEqual(await apply(userJoined, joins, true), await apply(userJoined, joins, false));
});

Deno.test("rosey.db.stats.user_count handleBatch gives the same rows as one-by-one handling", async () => {
  const counts = Array.from(
    { length: 12_000 },
    (_, i) => ({ chat_count: i % 50, connected_count: i % 70, timestamp: i % 2 ? 100 + i : undefined }),
  );
  const batched = await apply(userCount, counts, true);
  assert.equal(batched.user_count_history.length, 12_000);
  assert.deepEqual(batched, await apply(userCount, counts, false));
});
