/**
 * Bench baseline: `deno run -A direct_insert.ts DB_PATH COUNT` writes COUNT chat rows straight into
 * an empty database with the fastest @libsql/client shape (multi-row INSERT in large transactions).
 */
import { createClient } from "@libsql/client";

const [path, countText] = Deno.args;
const count = Number(countText);
const db = createClient({ url: `file:${path}` });
for (const pragma of ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -65536"]) {
  await db.execute(pragma);
}
await db.execute(
  "CREATE TABLE recent_chat (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp INTEGER NOT NULL, username TEXT NOT NULL, message TEXT NOT NULL)",
);
await db.execute("CREATE INDEX idx_recent_chat_timestamp ON recent_chat (timestamp DESC)");
const rowsPerStatement = 500, rowsPerTransaction = 10_000;
const placeholders = Array.from({ length: rowsPerStatement }, () => "(?, ?, ?)").join(", ");
const started = performance.now();
const now = Math.floor(Date.now() / 1000);
for (let done = 0; done < count; done += rowsPerTransaction) {
  await db.execute("BEGIN IMMEDIATE");
  for (let i = done; i < Math.min(count, done + rowsPerTransaction); i += rowsPerStatement) {
    const args = [];
    for (let j = i; j < i + rowsPerStatement; j++) args.push(now, `user${j % 50}`, `bench message ${j} with some text`);
    await db.execute({ sql: `INSERT INTO recent_chat (timestamp, username, message) VALUES ${placeholders}`, args });
  }
  await db.execute("COMMIT");
}
console.log(JSON.stringify({ rows: count, seconds: (performance.now() - started) / 1000 }));
db.close();
