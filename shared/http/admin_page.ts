/**
 * The admin page at /admin, mounted only when ADMIN_TOKEN is set: readiness, per-subject traffic,
 * dead letters (replay, purge) and backups.
 *
 * Logging in posts the token once; the answer is an HttpOnly, SameSite=Strict session cookie that
 * holds an expiry and an HMAC of it keyed by the token (not the token itself), so page scripts never
 * see a credential, the browser never sends it from another site, and changing ADMIN_TOKEN ends every
 * session. Every action is a form POST that must carry that cookie and come from this origin
 * (Sec-Fetch-Site same-origin, or a matching Origin); nothing here answers CORS.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { toServiceError } from "../function/errors.ts";
import type { Metrics } from "../metrics.ts";
import { ACTOR_HEADER, audited, type AuditOptions } from "../runtime/audit.ts";
import type { Router } from "../runtime/router.ts";
import type { Route } from "../runtime/routes.ts";
import { ADMIN_PAGE_SCRIPT, ADMIN_PAGE_STYLE } from "./admin_page_assets.ts";
import {
  type BackupFile,
  type Dashboard,
  dashboardPage,
  type DeadLetterRow,
  loginPage,
  type SubjectCounts,
} from "./admin_page_html.ts";

/** The actor an admin action from this page is audited under (the Rosey-Actor header of shared/runtime/audit.ts). */
export const ADMIN_PAGE_ACTOR = "admin-page";

/** What the service gives the admin page; see {@linkcode adminPage}. */
export interface AdminPageOptions {
  /** ADMIN_TOKEN. */
  token: string;
  /** BACKUP_DIR, listed in the page. */
  backupDir: string;
  /** Runs a request function (subject without the prefix) in-process, audited as {@linkcode ADMIN_PAGE_ACTOR}. */
  call(subject: string, input: unknown): Promise<unknown>;
}

/**
 * `router.call` audited under {@linkcode ADMIN_PAGE_ACTOR}: an in-process call has no NATS headers,
 * so the page names its actor here, as the Rosey-Actor header does over NATS.
 */
export function callAsAdminPage(router: Router, audit: AuditOptions): AdminPageOptions["call"] {
  const headers = { get: (name: string) => name.toLowerCase() === ACTOR_HEADER.toLowerCase() ? ADMIN_PAGE_ACTOR : "" };
  return (subject, input) =>
    audited({ subject: `${audit.prefix}.${subject}`, headers }, audit, () => router.call(subject, input));
}

/** What the HTTP app adds: the figures and routes it already has. */
export interface AdminPageSources {
  metrics: Metrics;
  notReady(): Promise<string[]>;
  routes(): Route[];
}

const COOKIE = "rosey_admin";
/** How long a login lasts. */
const SESSION_SECONDS = 8 * 3600;
/** Dead letters the page lists, newest first. */
const DEAD_LETTER_LIMIT = 100;
/** Backups the page lists, newest first. */
const BACKUPS_SHOWN = 10;

/** The /admin routes; mount with `app.route("/admin", adminPage(...))`. */
export function adminPage(options: AdminPageOptions & AdminPageSources): Hono {
  const page = new Hono();
  const sessions = new Sessions(options.token);
  page.use(securityHeaders);
  page.get("/page.js", (c) => c.body(ADMIN_PAGE_SCRIPT, 200, { "content-type": "text/javascript; charset=utf-8" }));
  page.get("/page.css", (c) => c.body(ADMIN_PAGE_STYLE, 200, { "content-type": "text/css; charset=utf-8" }));
  // Every POST: from this origin, then (but to log in) with a valid session.
  page.on("POST", "*", sameOrigin);
  page.on("POST", ["/dead-letters/*", "/backup", "/logout"], sessions.required);
  page.get("/live", sessions.required, async (c) => c.json(await live(options)));

  page.get("/", async (c) => {
    if (!await sessions.valid(sessionOf(c))) return c.html(loginPage());
    return c.html(dashboardPage(await dashboard(options, noticeOf(c.req.query()))));
  });
  page.post("/login", async (c) => {
    const form = await c.req.parseBody();
    if (!sessions.isToken(String(form.token ?? ""))) return c.html(loginPage("Wrong token"), 403);
    c.header("set-cookie", sessionCookie(c, await sessions.create(), SESSION_SECONDS));
    return c.redirect("/admin", 303);
  });
  page.post("/logout", (c) => {
    c.header("set-cookie", sessionCookie(c, "", 0));
    return c.redirect("/admin", 303);
  });

  for (const action of ["replay", "purge"] as const) {
    page.post(`/dead-letters/${action}`, async (c) => {
      const ids = idsOf(await c.req.parseBody({ all: true }));
      if (!ids) return failed(c, options, 400, "Name the dead letters by their ids");
      try {
        const reply = await options.call(`admin.dead_letters.${action}`, { ids }) as Record<string, number>;
        const count = action === "replay" ? reply.replayed : reply.purged;
        return c.redirect(`/admin?${action === "replay" ? "replayed" : "purged"}=${count}`, 303);
      } catch (error) {
        const { status, message } = toServiceError(error);
        return failed(c, options, status, `${action === "replay" ? "Replay" : "Purge"} failed: ${message}`);
      }
    });
  }
  page.post("/backup", async (c) => {
    try {
      await options.call("admin.backup", {});
      return c.redirect("/admin?backed_up=1", 303);
    } catch (error) {
      const { status, message } = toServiceError(error);
      return failed(c, options, status, `Backup failed: ${message}`);
    }
  });
  return page;
}

/** The dashboard again, with why an action failed, under the action's status. */
async function failed(c: Context, options: AdminPageOptions & AdminPageSources, status: number, text: string) {
  const view = await dashboard(options, { text, error: true });
  return c.html(dashboardPage(view), status as 400);
}

/** What an action did, from the numbers its redirect carries: the page never echoes text from a URL. */
function noticeOf(query: Record<string, string>): Dashboard["notice"] {
  const count = (name: string) => Number.parseInt(query[name] ?? "", 10);
  if (count("replayed") >= 0) return { text: `Replayed ${count("replayed")} dead letter(s)` };
  if (count("purged") >= 0) return { text: `Purged ${count("purged")} dead letter(s)` };
  if (count("backed_up") === 1) return { text: "Backup written" };
  return undefined;
}

/** The dead-letter ids of a form, or undefined when there are none or one is not a row id. */
function idsOf(form: Record<string, unknown>): number[] | undefined {
  const raw = ([] as unknown[]).concat(form.ids ?? []);
  const ids = raw.map((value) => typeof value === "string" && /^[1-9][0-9]{0,15}$/.test(value) ? Number(value) : NaN);
  return ids.length > 0 && ids.length <= 1000 && ids.every(Number.isSafeInteger) ? ids : undefined;
}

/** Everything the dashboard shows, read now. */
async function dashboard(
  options: AdminPageOptions & AdminPageSources,
  notice?: Dashboard["notice"],
): Promise<Dashboard> {
  const serves = (subject: string) => options.routes().some((r) => r.subject === subject);
  const [reasons, deadLetters, backups] = await Promise.all([
    options.notReady(),
    serves("admin.dead_letters.list")
      ? options.call("admin.dead_letters.list", { limit: DEAD_LETTER_LIMIT }) as Promise<DeadLetterRow[]>
      : undefined,
    lastBackups(options.backupDir),
  ]);
  return {
    reasons,
    subjects: subjectCounts(options),
    deadLetters,
    deadLetterLimit: DEAD_LETTER_LIMIT,
    backups,
    backupDir: options.backupDir,
    canBackUp: serves("admin.backup"),
    notice,
  };
}

/** What the page's script polls: readiness and every subject's counters, with the time they were read. */
async function live(options: AdminPageSources) {
  return { at: Date.now(), reasons: await options.notReady(), subjects: subjectCounts(options) };
}

function subjectCounts({ metrics, routes }: AdminPageSources): SubjectCounts[] {
  return routes().map((route) => ({
    subject: route.subject,
    kind: route.fn.kind,
    ok: metrics.messages.get(route.labels.ok),
    invalid: metrics.messages.get(route.labels.invalid),
    error: metrics.messages.get(route.labels.error),
    dead_letter: metrics.messages.get(route.labels.dead_letter),
  })).sort((a, b) => a.subject.localeCompare(b.subject));
}

/** The newest backups admin.backup wrote (`rosey-db-<time>.db`); none while the folder does not exist. */
async function lastBackups(dir: string): Promise<BackupFile[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.startsWith("rosey-db-") && entry.name.endsWith(".db")) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const newest = names.sort().reverse().slice(0, BACKUPS_SHOWN);
  const files = await Promise.all(newest.map(async (name) => {
    // A backup running meanwhile may remove an old one.
    const info = await Deno.stat(`${dir}/${name}`).catch(() => undefined);
    return info && { name, size_bytes: info.size, modified: info.mtime };
  }));
  return files.filter((file) => file !== undefined);
}

/** Sessions signed with the token: `<expiry>.<HMAC-SHA256(token, expiry)>`, checked without server state. */
class Sessions {
  readonly #token: string;
  readonly #key: Promise<CryptoKey>;

  constructor(token: string) {
    this.#token = token;
    this.#key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(token),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
  }

  /** Whether `given` is the token, in time that does not depend on where they differ. */
  isToken(given: string): boolean {
    return timingSafeEqual(sha256(given), sha256(this.#token));
  }

  async create(): Promise<string> {
    return await this.#sign(Math.floor(Date.now() / 1000) + SESSION_SECONDS);
  }

  async valid(cookie: string | undefined): Promise<boolean> {
    const expires = Number(/^([0-9]{1,12})\./.exec(cookie ?? "")?.[1]);
    if (!(expires > Date.now() / 1000)) return false;
    return timingSafeEqual(sha256(cookie!), sha256(await this.#sign(expires)));
  }

  /** Refuses (403) a request without a valid session. */
  readonly required: MiddlewareHandler = async (c, next) => {
    if (!await this.valid(sessionOf(c))) return c.text("Forbidden: log in at /admin\n", 403);
    await next();
  };

  async #sign(expires: number): Promise<string> {
    const mac = await crypto.subtle.sign("HMAC", await this.#key, new TextEncoder().encode(`admin ${expires}`));
    return `${expires}.${btoa(String.fromCharCode(...new Uint8Array(mac))).replace(/=+$/, "")}`;
  }
}

function sha256(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}

/** The session cookie a request carries, if any. */
function sessionOf(c: Context): string | undefined {
  for (const pair of (c.req.header("cookie") ?? "").split(";")) {
    const [name, value] = pair.trim().split(/=(.*)/s, 2);
    if (name === COOKIE) return value;
  }
  return undefined;
}

/**
 * The Set-Cookie header of a session (`maxAge` 0 ends it): never readable by scripts, never sent from
 * another site, and Secure when the browser came over TLS (directly or through a proxy saying so).
 */
function sessionCookie(c: Context, value: string, maxAge: number): string {
  const https = new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https";
  return `${COOKIE}=${value}; Max-Age=${maxAge}; Path=/admin; HttpOnly; SameSite=Strict${https ? "; Secure" : ""}`;
}

/**
 * Refuses (403) a POST another site made the browser send: browsers name the initiator's site in
 * Sec-Fetch-Site, older ones only the Origin. It checks every content type (hono/csrf checks only
 * forms, counting on CORS for the rest); a non-browser client sends a matching Origin.
 */
const sameOrigin: MiddlewareHandler = async function sameOrigin(c, next) {
  const site = c.req.header("sec-fetch-site");
  const allowed = site ? site === "same-origin" : c.req.header("origin") === new URL(c.req.url).origin;
  if (!allowed) return c.text("Forbidden: cross-site request\n", 403);
  await next();
};

/** No framing, no inline code, no referrer, no caching of pages that show chat data. */
const securityHeaders: MiddlewareHandler = async function securityHeaders(c, next) {
  await next();
  c.header(
    "content-security-policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  c.header("x-frame-options", "DENY");
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "no-referrer");
  c.header("cache-control", "no-store");
};
