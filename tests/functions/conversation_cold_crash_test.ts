/**
 * Archival to cold storage killed with SIGKILL in the middle: the service on a real database file and
 * nats-server, killed as soon as the first cold-storage file appears, then restarted. Nothing may be
 * lost or doubled: every conversation is live or named in cold storage by a file that holds it.
 */
import assert from "node:assert/strict";
import { type Client, createClient } from "@libsql/client";
import { connect } from "@nats-io/transport-node";
import { request, spawnService, startNats, tempDir } from "../_helpers.ts";

const CONVERSATIONS = 2000;
const MESSAGES_EACH = 10;
const TABLES = ["conversation_messages", "conversation_summaries"];

type Row = Record<string, unknown>;
/** A conversation as every table holds it, in a stable form (activity aside: a restore renews it). */
type Digest = Map<string, string>;

function stable(row: Row): string {
  const { activity: _, ...rest } = row;
  return JSON.stringify(Object.keys(rest).sort().map((key) => [key, rest[key]]));
}

function digestOf(conversation: Row, tables: Record<string, Row[]>): string {
  return [stable(conversation), ...TABLES.map((table) => (tables[table] ?? []).map(stable).join("|"))].join("\n");
}

async function liveDigest(db: Client): Promise<Digest> {
  const digest: Digest = new Map();
  const children = new Map<string, Record<string, Row[]>>();
  for (const table of TABLES) {
    const order = table === "conversation_messages" ? "seq" : "id";
    const columns = table === "conversation_messages"
      ? "seq, id, conversation_id, role, content, metadata, created_at"
      : "*";
    for (const row of (await db.execute(`SELECT ${columns} FROM ${table} ORDER BY ${order}`)).rows) {
      const of = children.get(row.conversation_id as string) ?? {};
      (of[table] ??= []).push({ ...row });
      children.set(row.conversation_id as string, of);
    }
  }
  for (const row of (await db.execute("SELECT * FROM conversations")).rows) {
    digest.set(row.id as string, digestOf({ ...row }, children.get(row.id as string) ?? {}));
  }
  return digest;
}

/** The conversations cold storage holds: those a row of conversation_cold names, read from the file it names. */
async function coldDigest(db: Client, folder: string): Promise<Digest> {
  const digest: Digest = new Map();
  const named = (await db.execute("SELECT conversation_id, file FROM conversation_cold")).rows;
  const files = new Set(named.map((row) => row.file as string));
  const lines = new Map<string, { conversation: Row; tables: Record<string, Row[]> }>();
  for (const file of files) {
    const handle = await Deno.open(`${folder}/${file}`); // a named file that is missing fails here
    const text = await new Response(handle.readable.pipeThrough(new DecompressionStream("gzip"))).text();
    for (const line of text.split("\n").filter(Boolean)) {
      const parsed = JSON.parse(line);
      lines.set(`${file}/${parsed.conversation.id}`, parsed);
    }
  }
  for (const { conversation_id: id, file } of named) {
    const line = lines.get(`${file}/${id}`);
    assert.ok(line, `cold file ${file} holds conversation ${id}`);
    digest.set(id as string, digestOf(line.conversation, line.tables));
  }
  return digest;
}

/** Live and cold together, failing on a conversation that is both. */
async function wholeDigest(db: Client, folder: string): Promise<Digest> {
  const live = await liveDigest(db);
  const cold = await coldDigest(db, folder);
  for (const id of cold.keys()) assert.ok(!live.has(id), `conversation ${id} is both live and cold`);
  return new Map([...live, ...cold]);
}

Deno.test("rosey.db.conversation archival killed with SIGKILL mid-way: live and cold storage still reconcile", async () => {
  await using dir = await tempDir();
  await using nats = await startNats();
  const folder = `${dir.path}/backups/conversations-cold`;
  const env = {
    NATS_URL: nats.url,
    DATABASE_PATH: `${dir.path}/rosey.db`,
    BACKUP_DIR: `${dir.path}/backups`,
    CONVERSATION_ARCHIVE_DAYS: "1",
    MAINTENANCE_INTERVAL: "0",
  };
  let { child } = await spawnService([], env);
  const db = createClient({ url: `file:${dir.path}/rosey.db` });
  try {
    await db.execute("PRAGMA busy_timeout = 10000");
    await db.batch([
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${CONVERSATIONS})
        INSERT INTO conversations (id, user_id, title, status, message_count, created_at, updated_at, activity, metadata)
        SELECT printf('00000000-0000-4000-8000-%012d', i), 'user' || (i % 50), 'title ' || i, 'ACTIVE', ${MESSAGES_EACH},
          1000, 1000 + i, 1000000 + i, json_object('n', i) FROM n`,
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${CONVERSATIONS * MESSAGES_EACH - 1})
        INSERT INTO conversation_messages (id, conversation_id, role, content, metadata, created_at)
        SELECT printf('10000000-0000-4000-8000-%012d', i), printf('00000000-0000-4000-8000-%012d', i / ${MESSAGES_EACH} + 1),
          CASE WHEN i % 2 THEN 'assistant' ELSE 'user' END, 'message ' || i || ' ' || hex(randomblob(60)),
          json_object('tokens', i % 7), 1000 + i FROM n`,
      `INSERT INTO conversation_summaries (conversation_id, summary, through_message_id, through_seq, token_count, created_at)
        SELECT conversation_id, 'summary of ' || conversation_id, id, seq, NULL, 2000 FROM conversation_messages
        WHERE seq % ${MESSAGES_EACH} = 5`,
    ], "write");
    const before = await liveDigest(db);
    assert.equal(before.size, CONVERSATIONS);

    const nc = await connect({ servers: nats.url });
    nc.request("rosey.db.admin.maintenance", "{}", { timeout: 60_000 }).catch(() => {});
    await nc.flush();
    // Killed as soon as the first file is there: mid-write (a .tmp), renamed but not committed, or committed.
    const deadline = Date.now() + 30_000;
    while ((await Array.fromAsync(Deno.readDir(folder)).catch(() => [])).length === 0) {
      assert.ok(Date.now() < deadline, "archival started");
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    child.kill("SIGKILL");
    await child.status;
    await nc.close();

    const afterCrash = await wholeDigest(db, folder);
    assert.deepEqual(afterCrash, before, "nothing lost or changed by the crash");
    const live = (await db.execute("SELECT count(*) AS n FROM conversations")).rows[0].n as number;
    assert.ok(live > 0, `the kill came before archival ended (${live} conversations still live)`);

    ({ child } = await spawnService([], env));
    const nc2 = await connect({ servers: nats.url });
    const report = await request(nc2, "rosey.db.admin.maintenance", {}, 60_000);
    const cold = (report.data as { cold_storage: { archived: number } }).cold_storage;
    assert.equal(cold.archived, live, "the second run moves what the first left");
    assert.deepEqual(await wholeDigest(db, folder), before, "nothing lost or changed after the second run");
    const names = (await Array.fromAsync(Deno.readDir(folder))).map((entry) => entry.name);
    const named = new Set((await db.execute("SELECT DISTINCT file FROM conversation_cold")).rows.map((r) => r.file));
    assert.deepEqual(names.filter((name) => !named.has(name)), [], "no file left that nothing names");

    // A restored conversation is as it was, seq and all.
    const id = "00000000-0000-4000-8000-000000000007";
    const restored = await request(nc2, "rosey.db.conversation.restore", { conversation_id: id });
    assert.equal(restored.errorCode, undefined, String(restored.error));
    assert.equal((await liveDigest(db)).get(id), before.get(id));
    await nc2.close();
  } finally {
    db.close();
    try {
      child.kill("SIGTERM");
    } catch {
      // Already ended: the test failed while it was down.
    }
    await child.status;
  }
});
