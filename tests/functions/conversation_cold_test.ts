import assert from "node:assert/strict";
import { ask, request, startRosey, tempDir, type TestService, writeSql } from "../_helpers.ts";

const DAY = 86_400;
const COLD = "conversations-cold";

async function exportText(t: TestService, id: string): Promise<string> {
  return JSON.stringify(await ask(t, "conversation.export", { id }));
}

async function coldFiles(folder: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/** Every line of a cold-storage file, parsed. */
async function coldLines(
  path: string,
): Promise<{ conversation: Record<string, unknown>; tables: Record<string, Record<string, unknown>[]> }[]> {
  const file = await Deno.open(path);
  const text = await new Response(file.readable.pipeThrough(new DecompressionStream("gzip"))).text();
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
}

Deno.test("rosey.db.conversation archival to cold storage and conversation.restore round-trip byte-identical in the export", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ CONVERSATION_ARCHIVE_DAYS: "30", BACKUP_DIR: dir.path });
  const ids: string[] = [];
  for (const [i, user] of ["ada", "ada", "bob"].entries()) {
    const { id } = await ask<{ id: string }>(t, "conversation.create", {
      user_id: user,
      title: `T${i}`,
      metadata: { topic: `topic ${i}`, n: i, nested: { ok: true } },
    });
    const saved = [];
    for (let m = 0; m < 6; m++) {
      saved.push(
        await ask<{ id: string }>(t, "conversation.message.save", {
          conversation_id: id,
          role: m % 2 ? "assistant" : "user",
          content: `cold words ${i}-${m} ✓ "quoted" \\ back`,
          metadata: { tokens: m, source: "web", request_id: `r${i}${m}`, extra: [1, null, { x: "ü" }] },
        }),
      );
    }
    await ask(t, "conversation.summary.save", {
      conversation_id: id,
      summary: `sum ${i}`,
      through_message_id: saved[2].id,
    });
    ids.push(id);
  }
  const fork = await ask<{ id: string }>(t, "conversation.fork", {
    conversation_id: ids[0],
    through_message_id:
      (await ask<{ messages: { id: string }[] }>(t, "conversation.message.list", { conversation_id: ids[0] }))
        .messages[3].id,
  });
  await ask(t, "conversation.delete", { id: ids[1] });
  const old = [ids[0], ids[1], fork.id];
  for (const id of old) {
    await writeSql(t, "UPDATE conversations SET updated_at = updated_at - ? WHERE id = ?", [40 * DAY, id]);
  }
  const before = new Map<string, string>();
  for (const id of old) before.set(id, await exportText(t, id));

  const maintenance = await ask<{ cold_storage: { archived: number; files: number; leftovers_removed: number } }>(
    t,
    "admin.maintenance",
    {},
  );
  assert.deepEqual(maintenance.cold_storage, { archived: 3, files: 1, leftovers_removed: 0 });
  const [file] = await coldFiles(`${dir.path}/${COLD}`);
  assert.match(file, /^conversations-.*\.jsonl\.gz$/);
  // Whole conversations: the service's user alone may read them.
  for (const path of [`${dir.path}/${COLD}`, `${dir.path}/${COLD}/${file}`]) {
    assert.equal((await Deno.stat(path)).mode! & 0o077, 0, `${path} is private`);
  }
  const lines = await coldLines(`${dir.path}/${COLD}/${file}`);
  assert.deepEqual(lines.map((line) => line.conversation.id).sort(), [...old].sort());
  assert.equal(lines.reduce((sum, line) => sum + line.tables.conversation_messages.length, 0), 6 + 6 + 4);
  // Out of every live table and the full-text index; the others stay.
  const db = t.service.db()!.read;
  for (const table of ["conversations", "conversation_messages", "conversation_summaries"]) {
    const column = table === "conversations" ? "id" : "conversation_id";
    const [{ n }] = await db.query<{ n: number }>(
      `SELECT count(*) AS n FROM ${table} WHERE ${column} IN (?, ?, ?)`,
      old,
    );
    assert.equal(n, 0, table);
  }
  const found = await ask<unknown[]>(t, "conversation.message.search", { user_id: "ada", query: "cold words" });
  assert.equal(found.length, 0);
  assert.equal(
    (await ask<unknown[]>(t, "conversation.message.search", { user_id: "bob", query: "cold words" })).length,
    6,
  );
  const got = await request(t.nc, "rosey.db.conversation.get", { id: ids[0] });
  assert.equal(got.errorCode, "404");
  assert.match(got.error!, /cold storage/);
  // A second run finds nothing more to move.
  assert.equal(
    (await ask<{ cold_storage: { archived: number } }>(t, "admin.maintenance", {})).cold_storage.archived,
    0,
  );

  for (const id of old) {
    await ask(t, "conversation.restore", { conversation_id: id });
    assert.equal(await exportText(t, id), before.get(id), `export of ${id} after restore`);
  }
  assert.equal(
    (await ask<unknown[]>(t, "conversation.message.search", { user_id: "ada", query: "cold words" })).length,
    10,
  );
  assert.deepEqual(await coldFiles(`${dir.path}/${COLD}`), [], "the file goes once nothing in it is cold");
  assert.equal((await request(t.nc, "rosey.db.conversation.restore", { conversation_id: ids[0] })).errorCode, "409");
  assert.equal(
    (await request(t.nc, "rosey.db.conversation.restore", { conversation_id: crypto.randomUUID() })).errorCode,
    "404",
  );
  // A restored conversation takes messages again.
  await ask(t, "conversation.message.save", { conversation_id: fork.id, role: "user", content: "back" });
});

Deno.test("rosey.db.admin.maintenance removes cold-storage files no committed row names (an archival cut short)", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ CONVERSATION_ARCHIVE_DAYS: "1", BACKUP_DIR: dir.path });
  const { id } = await ask<{ id: string }>(t, "conversation.create", { user_id: "u" });
  await Deno.mkdir(`${dir.path}/${COLD}`, { recursive: true });
  await Deno.writeTextFile(`${dir.path}/${COLD}/conversations-2020-01-01-cut.jsonl.gz.tmp`, "partial");
  await Deno.writeTextFile(
    `${dir.path}/${COLD}/conversations-2020-01-01-uncommitted.jsonl.gz`,
    "whole but never named",
  );
  await Deno.writeTextFile(`${dir.path}/${COLD}/notes.txt`, "not ours");
  const report = await ask<{ cold_storage: unknown }>(t, "admin.maintenance", {});
  assert.deepEqual(report.cold_storage, { archived: 0, files: 0, leftovers_removed: 2 });
  assert.deepEqual(await coldFiles(`${dir.path}/${COLD}`), ["notes.txt"]);
  await ask(t, "conversation.get", { id });
});
