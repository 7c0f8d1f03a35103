import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../../shared/config.ts";
import { createLogger } from "../../../shared/log.ts";
import { ask, http, publish, rows, startRosey, startTestService, tempDir, waitFor } from "../../_helpers.ts";

const TOKEN = "admin-token-for-tests-0123";
type DeadLetter = { id: number; subject: string };

/** The real functions with ADMIN_TOKEN set, their log lines kept. */
async function adminService(env: Record<string, string> = {}) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: "INFO", write: (line) => lines.push(JSON.parse(line)) });
  const t = await startTestService({
    env: { MAINTENANCE_INTERVAL: "0", ADMIN_TOKEN: TOKEN, ...env },
    tuning: { functionsDir: "functions" },
    log,
  });
  const origin = new URL(t.service.httpUrl).origin;
  /** A form POST as the browser sends it from the page itself, unless `headers` says otherwise. */
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    http(t.service, path, {
      method: "POST",
      body: new URLSearchParams(form),
      headers: { origin, "sec-fetch-site": "same-origin", ...headers },
      redirect: "manual",
    });
  return { t, lines, origin, post, [Symbol.asyncDispose]: () => t[Symbol.asyncDispose]() };
}

/** A dead letter that replays successfully once its outbound message exists. */
async function replayableDeadLetter(t: Awaited<ReturnType<typeof adminService>>["t"]): Promise<DeadLetter> {
  await publish(t, "messages.outbound.mark_sent", { message_id: 1 });
  const [dead] = await waitFor(async () => {
    const list = await ask<DeadLetter[]>(t, "admin.dead_letters.list");
    return list.length === 1 ? list : undefined;
  });
  await ask(t, "messages.outbound.enqueue", { message: "late" });
  return dead;
}

async function loggedIn(s: Awaited<ReturnType<typeof adminService>>): Promise<string> {
  const res = await s.post("/admin/login", { token: TOKEN });
  assert.equal(res.status, 303);
  const cookie = res.headers.get("set-cookie")!;
  assert.match(cookie, /^rosey_admin=[^;]+; Max-Age=\d+; Path=\/admin; HttpOnly; SameSite=Strict$/);
  return cookie.split(";")[0];
}

Deno.test("admin page: /admin and its actions are 404 without ADMIN_TOKEN", async () => {
  await using t = await startRosey();
  assert.equal((await http(t.service, "/admin")).status, 404);
  const res = await http(t.service, "/admin/login", { method: "POST", body: new URLSearchParams({ token: "x" }) });
  assert.equal(res.status, 404);
  assert.equal((await http(t.service, "/admin/dead-letters/purge", { method: "POST" })).status, 404);
  assert.equal((await http(t.service, "/admin/live")).status, 404);
});

Deno.test("admin page: without a session it shows only the login form, and a wrong token is refused", async () => {
  await using s = await adminService();
  await publish(s.t, "user.joined", { username: "", note: "secret-dead-letter-text" });
  await waitFor(async () => (await ask<DeadLetter[]>(s.t, "admin.dead_letters.list")).length === 1);
  const page = await http(s.t.service, "/admin");
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<form method="post" action="\/admin\/login">/);
  assert.doesNotMatch(html, /secret-dead-letter-text|user\.joined/);
  assert.match(page.headers.get("content-security-policy")!, /frame-ancestors 'none'/);
  assert.equal(page.headers.get("access-control-allow-origin"), null);
  const wrong = await s.post("/admin/login", { token: `${TOKEN}x` });
  assert.equal(wrong.status, 403);
  assert.equal(wrong.headers.get("set-cookie"), null);
  assert.equal((await http(s.t.service, "/admin/live")).status, 403);
  assert.equal(
    (await http(s.t.service, "/admin", { headers: { cookie: "rosey_admin=9999999999.forged" } })).status,
    200,
  );
  assert.doesNotMatch(
    await (await http(s.t.service, "/admin", { headers: { cookie: "rosey_admin=9999999999.forged" } })).text(),
    /secret-dead-letter-text/,
  );
});

Deno.test("admin page: a POST without the session, or from another origin, is refused (403) and changes nothing", async () => {
  await using s = await adminService();
  const dead = await replayableDeadLetter(s.t);
  const cookie = await loggedIn(s);
  const ids = { ids: String(dead.id) };
  const refused = [
    await s.post("/admin/dead-letters/replay", ids),
    await s.post("/admin/dead-letters/purge", ids),
    await s.post("/admin/backup", {}),
    await s.post("/admin/dead-letters/replay", ids, { cookie, "sec-fetch-site": "cross-site" }),
    await s.post("/admin/dead-letters/purge", ids, { cookie, "sec-fetch-site": "same-site" }),
    // A browser without Sec-Fetch-Site: the Origin decides.
    await http(s.t.service, "/admin/dead-letters/purge", {
      method: "POST",
      body: new URLSearchParams(ids),
      headers: { cookie, origin: "http://evil.example" },
    }),
    // JSON, which hono/csrf would let through to rely on CORS.
    await http(s.t.service, "/admin/dead-letters/purge", {
      method: "POST",
      body: JSON.stringify(ids),
      headers: { cookie, "content-type": "application/json" },
    }),
    // Logging in from another site is refused too (no login CSRF).
    await s.post("/admin/login", { token: TOKEN }, { "sec-fetch-site": "cross-site" }),
  ];
  assert.deepEqual(refused.map((res) => res.status), refused.map(() => 403));
  assert.equal(refused.at(-1)!.headers.get("set-cookie"), null);
  assert.deepEqual((await ask<DeadLetter[]>(s.t, "admin.dead_letters.list")).map((d) => d.id), [dead.id]);
});

Deno.test("admin page: replay and purge from the page act on dead letters, audited as admin-page", async () => {
  await using dir = await tempDir();
  await using s = await adminService({ BACKUP_DIR: dir.path });
  const dead = await replayableDeadLetter(s.t);
  await publish(s.t, "user.joined", { username: "", note: "<script>alert(1)</script>" + "x".repeat(300) });
  await waitFor(async () => (await ask<DeadLetter[]>(s.t, "admin.dead_letters.list")).length === 2);
  const cookie = await loggedIn(s);
  const page = await (await http(s.t.service, "/admin", { headers: { cookie } })).text();
  assert.match(page, new RegExp(`data-dead-letter="${dead.id}"`));
  assert.match(page, /&#60;script&#62;alert\(1\)&#60;\/script&#62;x+…/);
  assert.doesNotMatch(page, /<script>alert/);
  assert.match(page, /No backup in .* yet/);

  const replayed = await s.post("/admin/dead-letters/replay", { ids: String(dead.id) }, { cookie });
  assert.equal(replayed.status, 303);
  assert.equal(replayed.headers.get("location"), "/admin?replayed=1");
  await waitFor(async () => (await rows(s.t, "SELECT sent FROM outbound_messages WHERE id = 1"))[0]?.sent === 1);
  const [left] = await ask<DeadLetter[]>(s.t, "admin.dead_letters.list");
  const purged = await s.post("/admin/dead-letters/purge", { ids: String(left.id) }, { cookie });
  assert.equal(purged.headers.get("location"), "/admin?purged=1");
  assert.deepEqual(await ask(s.t, "admin.dead_letters.list"), []);
  assert.equal((await s.post("/admin/backup", {}, { cookie })).headers.get("location"), "/admin?backed_up=1");
  assert.match(await (await http(s.t.service, "/admin", { headers: { cookie } })).text(), /rosey-db-[^<]+\.db/);
  assert.equal((await s.post("/admin/dead-letters/purge", { ids: "1; DROP" }, { cookie })).status, 400);

  const audits = s.lines.filter((line) => line.msg === "Audit" && line.actor === "admin-page");
  for (const subject of ["admin.dead_letters.replay", "admin.dead_letters.purge", "admin.backup"]) {
    assert.ok(audits.some((line) => line.audit === subject && line.outcome === "ok"), subject);
  }
  assert.ok(!s.lines.some((line) => JSON.stringify(line).includes("alert(1)")), "no log line carries the payload");
});

Deno.test("admin page: /admin/live answers readiness and per-subject counters to a session", async () => {
  await using s = await adminService();
  await publish(s.t, "user.joined", { username: "a" }, { username: "" });
  await waitFor(async () => (await ask<DeadLetter[]>(s.t, "admin.dead_letters.list")).length === 1);
  const cookie = await loggedIn(s);
  const live = await (await http(s.t.service, "/admin/live", { headers: { cookie } })).json();
  assert.deepEqual(live.reasons, []);
  const joined = live.subjects.find((x: { subject: string }) => x.subject === "user.joined");
  assert.deepEqual({ ...joined }, {
    subject: "user.joined",
    kind: "event",
    ok: 1,
    invalid: 1,
    error: 0,
    dead_letter: 0,
  });
  const logout = await s.post("/admin/logout", {}, { cookie });
  assert.match(logout.headers.get("set-cookie")!, /^rosey_admin=; Max-Age=0;/);
});

Deno.test("ADMIN_TOKEN: at least 16 characters, never the metrics token, readable from ADMIN_TOKEN_FILE", async () => {
  assert.throws(
    () => loadConfig({ ADMIN_TOKEN: "short" }),
    (e: ConfigError) => /ADMIN_TOKEN: at least 16/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ ADMIN_TOKEN: TOKEN, METRICS_TOKEN: TOKEN }),
    (e: ConfigError) => /ADMIN_TOKEN: must differ from METRICS_TOKEN/.test(e.message) && !e.message.includes(TOKEN),
  );
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/admin`, `${TOKEN}\n`);
  assert.equal(loadConfig({ ADMIN_TOKEN_FILE: `${dir.path}/admin` }).ADMIN_TOKEN, TOKEN);
});
