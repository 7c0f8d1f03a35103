import assert from "node:assert/strict";
import { ask, request, startRosey, tempDir, type TestService, writeSql } from "../_helpers.ts";

const DAY = 86_400;

/** Tables (shadow tables of the full-text index too) holding `needle` in any column, by a byte search. */
async function tablesHolding(t: TestService, needle: string): Promise<string[]> {
  const db = t.service.db()!.read;
  const tables = await db.query<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'",
  );
  const holding: string[] = [];
  for (const { name } of tables) {
    const columns = await db.query<{ name: string }>("SELECT name FROM pragma_table_xinfo(?)", [name]);
    // Identifiers from the database's own catalogue, quoted: no input reaches this SQL.
    const where = columns.map((c) => `instr(CAST("${c.name}" AS BLOB), CAST(?1 AS BLOB)) > 0`).join(" OR ");
    const [hit] = await db.query(`SELECT 1 FROM "${name}" WHERE ${where} LIMIT 1`, [needle]);
    if (hit) holding.push(name);
  }
  return holding;
}

/** Whether the database file or its write-ahead log holds `needle` anywhere, freed pages included. */
async function fileHolds(path: string, needle: string): Promise<boolean> {
  const target = new TextEncoder().encode(needle);
  for (const file of [path, `${path}-wal`]) {
    const bytes = await Deno.readFile(file).catch(() => new Uint8Array());
    outer: for (
      let i = bytes.indexOf(target[0]);
      i >= 0 && i <= bytes.length - target.length;
      i = bytes.indexOf(target[0], i + 1)
    ) {
      for (let k = 1; k < target.length; k++) if (bytes[i + k] !== target[k]) continue outer;
      return true;
    }
  }
  return false;
}

async function conversationOf(t: TestService, user: string, word: string) {
  const { id } = await ask<{ id: string }>(t, "conversation.create", {
    user_id: user,
    title: `title ${word}`,
    metadata: { note: `meta ${word}` },
  });
  const saved = [];
  for (let i = 0; i < 4; i++) {
    saved.push(
      await ask<{ id: string }>(t, "conversation.message.save", {
        conversation_id: id,
        role: i % 2 ? "assistant" : "user",
        content: `message ${i} about ${word} and more ${word}, body${word}`,
        metadata: { request_id: `req-${word}-${i}` },
      }),
    );
  }
  await ask(t, "conversation.summary.save", {
    conversation_id: id,
    summary: `summary ${word}`,
    through_message_id: saved[1].id,
  });
  return { id, saved };
}

Deno.test("rosey.db.conversation.user.erase leaves no row with the user's content in any table, nor in the file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/rosey.db`;
  await using t = await startRosey({ DATABASE_PATH: path, BACKUP_DIR: dir.path, CONVERSATION_ARCHIVE_DAYS: "30" });
  const erin = `qx${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}erin`;
  const olaf = `qx${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}olaf`;
  const kept = await conversationOf(t, "olaf", olaf);
  const first = await conversationOf(t, "erin", erin);
  const second = await conversationOf(t, "erin", erin);
  const fork = await ask<{ id: string }>(t, "conversation.fork", {
    conversation_id: first.id,
    through_message_id: first.saved[2].id,
  });
  await ask(t, "conversation.delete", { id: second.id });
  const cold = await conversationOf(t, "erin", erin);
  await writeSql(t, "UPDATE conversations SET updated_at = updated_at - ? WHERE id = ?", [40 * DAY, cold.id]);
  assert.equal(
    (await ask<{ cold_storage: { archived: number } }>(t, "admin.maintenance", {})).cold_storage.archived,
    1,
  );
  const deadLetter = (payload: object) =>
    writeSql(
      t,
      "INSERT INTO dead_letters (subject, payload, error_code, error, received_at) VALUES (?, CAST(? AS BLOB), 'x', 'y', unixepoch())",
      [
        "rosey.db.conversation.message.save",
        JSON.stringify(payload),
      ],
    );
  await deadLetter({ conversation_id: first.id, content: `lost ${erin}` });
  await deadLetter({ user_id: "erin", title: `lost ${erin}` });
  await deadLetter({ conversation_id: kept.id, content: `lost ${olaf}` });
  await deadLetter({ conversation_id: cold.id, content: `lost ${erin}` });
  // Memories, where the memory store (LLM memory I) is there: namespaces starting with the user id go.
  const memoryStore =
    (await t.service.db()!.read.query("SELECT 1 FROM sqlite_master WHERE name = 'memory_items'")).length;
  for (const [namespace, word] of [[["erin", "prefs"], erin], [["olaf"], olaf], [["erinx"], olaf]] as const) {
    if (!memoryStore) break;
    await writeSql(
      t,
      "INSERT INTO memory_items (namespace, key, value, text, created_at, updated_at) VALUES (?, 'k', '{}', ?, 1, 1)",
      [JSON.stringify(namespace), `likes ${word}`],
    );
  }
  // The check can see content: both users' words are there before, in the tables and in the file.
  await ask(t, "admin.maintenance", {});
  assert.ok((await tablesHolding(t, erin)).includes("conversation_messages"));
  assert.ok((await tablesHolding(t, erin.slice(3))).includes("conversation_messages_fts_data"));
  assert.ok(await fileHolds(path, erin));

  const counts = await ask(t, "conversation.user.erase", { user_id: "erin" });
  assert.deepEqual(counts, {
    conversations: 3,
    messages: 4 + 4 + 3,
    summaries: 3,
    memories: memoryStore ? 1 : 0,
    dead_letters: 3,
    cold_storage: 1,
  });
  // Erased: not a byte of the user's words, not even part of a term in the full-text index.
  assert.deepEqual(await tablesHolding(t, erin), []);
  assert.deepEqual(await tablesHolding(t, erin.slice(3)), []);
  // The rows are gone, but a page's unused space may still hold text that left it before the erasure,
  // without secure_delete (an archival, a full-text index merge, a row rewritten by an update): only
  // VACUUM rewrites the file without it. A second erasure with vacuum does that.
  assert.deepEqual(Object.values(await ask<object>(t, "conversation.user.erase", { user_id: "erin", vacuum: true })), [
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  assert.equal(await fileHolds(path, erin), false, "after VACUUM the file holds none of it");
  // The user id stays only in the audit record, with ids and counts.
  // (and in the namespace ["erinx"], another user's: a namespace starts with the user id as its first element.)
  assert.deepEqual(await tablesHolding(t, "erin"), ["conversation_erasures", ...(memoryStore ? ["memory_items"] : [])]);
  if (memoryStore) {
    const namespaces = await t.service.db()!.read.query<{ namespace: string }>("SELECT namespace FROM memory_items");
    assert.deepEqual(namespaces.map((row) => row.namespace).sort(), ['["erinx"]', '["olaf"]']);
  }
  assert.equal((await t.service.db()!.read.query("SELECT 1 FROM conversation_erasures")).length, 2);
  const [audit] = await t.service.db()!.read.query<{ conversation_ids: string; counts: string }>(
    "SELECT conversation_ids, counts FROM conversation_erasures ORDER BY id LIMIT 1",
  );
  assert.deepEqual(JSON.parse(audit.conversation_ids).sort(), [first.id, second.id, fork.id, cold.id].sort());
  assert.deepEqual(JSON.parse(audit.counts), counts);
  for (const id of [first.id, fork.id]) {
    assert.equal((await request(t.nc, "rosey.db.conversation.get", { id })).errorCode, "404");
  }
  assert.equal((await request(t.nc, "rosey.db.conversation.restore", { conversation_id: cold.id })).errorCode, "404");
  // Another user's data is untouched and still found.
  assert.ok((await tablesHolding(t, olaf)).includes("conversation_messages"));
  assert.equal((await ask<unknown[]>(t, "conversation.message.search", { user_id: "olaf", query: olaf })).length, 4);
  assert.equal(
    (await ask<{ messages: unknown[] }>(t, "conversation.message.list", { conversation_id: kept.id })).messages.length,
    4,
  );
  assert.equal((await ask<{ deleted: number }[]>(t, "admin.dead_letters.list", {})).length, 1);
});
