import assert from "node:assert/strict";
import { createLogger } from "../../../shared/log.ts";
import { runAdmin } from "../../../shared/cli/admin.ts";
import { json, startTestService, tempDir, type TestService, waitFor } from "../../_helpers.ts";

const SECRET = "chat text that must stay out of the log";

/** A service on a database file serving the real functions, its log lines kept. */
async function adminService() {
  const dir = await tempDir();
  const lines: Record<string, unknown>[] = [];
  const t = await startTestService({
    env: { MAINTENANCE_INTERVAL: "0", DATABASE_URL: `file:${dir.path}/rosey.db`, BACKUP_DIR: `${dir.path}/backups` },
    tuning: { functionsDir: "functions" },
    log: createLogger({ level: "INFO", write: (line) => lines.push(JSON.parse(line)) }),
  });
  return {
    t,
    dir: dir.path,
    audits: () => lines.filter((line) => line.msg === "Audit"),
    lines,
    async [Symbol.asyncDispose]() {
      await t[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** `deno task admin <argv>` in this process: exit status, stdout and stderr. */
async function admin(t: TestService | { nats: { url: string } }, ...argv: string[]) {
  const out: string[] = [], err: string[] = [];
  const status = await runAdmin(argv, { NATS_URL: t.nats.url, USER: "tester" }, (s) => out.push(s), (s) => err.push(s));
  return { status, stdout: out.join("\n"), stderr: err.join("\n") };
}

async function adminJson<T>(t: TestService, ...argv: string[]): Promise<T> {
  const run = await admin(t, ...argv, "--json");
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
}

Deno.test("admin dead-letters list then replay: the table, --json, and one audit line each naming the actor", async () => {
  await using s = await adminService();
  s.t.nc.publish("rosey.db.user.joined", json({ username: 7, note: SECRET }));
  await s.t.nc.flush();
  type Row = { id: number; subject: string; payload: string };
  const [letter] = await waitFor(async () => {
    const rows = await adminJson<Row[]>(s.t, "dead-letters", "list");
    return rows.length === 1 && rows;
  });
  assert.equal(letter.subject, "rosey.db.user.joined");
  assert.ok(letter.payload.includes(SECRET));
  const table = await admin(s.t, "dead-letters", "list");
  assert.equal(table.status, 0);
  assert.match(table.stdout.split("\n")[0], /^ID\s+RECEIVED\s+SUBJECT\s+CODE/);
  assert.match(table.stdout, new RegExp(`^${letter.id}\\s+.*rosey\\.db\\.user\\.joined\\s+invalid_input`, "m"));

  const replay = await admin(s.t, "dead_letters", "replay", "--ids", String(letter.id), "--actor", "alice");
  assert.deepEqual([replay.status, replay.stdout], [0, "Replayed 1 dead letter(s)"]);
  // Still invalid: replayed, it dead-letters anew under a new id.
  const again = await waitFor(async () => {
    const rows = await adminJson<Row[]>(s.t, "dead-letters", "list");
    return rows.length === 1 && rows[0].id !== letter.id && rows;
  });
  assert.ok(again[0].payload.includes(SECRET));

  const audits = s.audits().map((a) => [a.audit, a.outcome, a.actor, a.counts]);
  assert.deepEqual(audits.find((a) => a[0] === "admin.dead_letters.replay"), [
    "admin.dead_letters.replay",
    "ok",
    "alice",
    { replayed: 1 },
  ]);
  assert.deepEqual(audits.find((a) => a[0] === "admin.dead_letters.list"), [
    "admin.dead_letters.list",
    "ok",
    "tester",
    { items: 1 },
  ]);
  assert.ok(!JSON.stringify(s.lines).includes(SECRET), "no log line carries the payload");
});

Deno.test("admin backup writes a copy in BACKUP_DIR and --json parses", async () => {
  await using s = await adminService();
  const reply = await adminJson<{ file: string; size_bytes: number; removed: string[] }>(s.t, "backup");
  assert.ok(reply.file.startsWith(`${s.dir}/backups/rosey-db-`));
  assert.equal((await Deno.stat(reply.file)).size, reply.size_bytes);
  const text = await admin(s.t, "backup");
  assert.equal(text.status, 0);
  assert.match(text.stdout, /^Backup written: .*rosey-db-.*\.db \(\d/);
  const [line] = s.audits();
  assert.deepEqual([line.audit, line.actor], ["admin.backup", "tester"]);
  assert.equal((line.counts as Record<string, number>).size_bytes, reply.size_bytes);
  assert.ok(!JSON.stringify(line).includes("rosey-db-"), "the file name is reply text, not a count");
});

Deno.test("admin tokens create, list and revoke", async () => {
  await using s = await adminService();
  const { token } = await adminJson<{ token: string }>(s.t, "tokens", "create", "--description", "deploy bot");
  assert.match(token, /^[\w-]{43}$/);
  const list = await admin(s.t, "tokens", "list");
  assert.equal(list.status, 0);
  assert.match(
    list.stdout,
    new RegExp(`^${token.slice(0, 8).replace(/[-]/g, "\\-")}\\.\\.\\.\\s.*no\\s+deploy bot$`, "m"),
  );
  assert.ok(!list.stdout.includes(token), "the list shows previews only");
  const revoke = await admin(s.t, "tokens", "revoke", "--prefix", token.slice(0, 8));
  assert.deepEqual([revoke.status, revoke.stdout], [0, "Revoked 1 token(s)"]);
  assert.deepEqual(await adminJson(s.t, "tokens", "list"), []);
  assert.equal((await admin(s.t, "tokens", "revoke", "--token", token)).status, 2, "a token in argv is refused");
  assert.ok(!JSON.stringify(s.lines).includes(token), "the token never reaches the log");
});

Deno.test("admin health prints a table and exits 0; --json parses; bad options exit 2", async () => {
  await using s = await adminService();
  const health = await admin(s.t, "health");
  assert.equal(health.status, 0);
  assert.match(health.stdout, /^status\s+ok$/m);
  assert.match(health.stdout, /^migrations\.pending\s+-$/m);
  const parsed = await adminJson<{ status: string; database_available: boolean }>(s.t, "health");
  assert.deepEqual([parsed.status, parsed.database_available], ["ok", true]);
  assert.equal((await admin(s.t, "nothing")).status, 2);
  assert.equal((await admin(s.t, "dead-letters", "list", "--limit", "many")).status, 2);
  assert.equal((await admin(s.t, "health", "--actor", "a\u0007b")).status, 2);
  const refused = await admin(s.t, "dead-letters", "replay");
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /^admin: Invalid input: name the dead letters to replay/);
});

Deno.test("admin stats lists each instance's subjects with their requests", async () => {
  await using s = await adminService();
  await admin(s.t, "health");
  const stats = await admin(s.t, "stats");
  assert.equal(stats.status, 0);
  assert.match(stats.stdout, /^1 instance\(s\)$/m);
  assert.match(stats.stdout, /rosey\.db\.admin\.health\s+1\s+0\s/);
});
