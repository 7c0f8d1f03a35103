/**
 * The audit trail: one log line per admin action (what, outcome, counts, who), never payload text.
 * The request runner (shared/runtime/requests.ts) passes every request through {@linkcode audited}.
 */
import { ServiceError, toServiceError } from "../function/errors.ts";
import type { Logger } from "../log.ts";

/** The request header in which a caller names the person acting (the admin CLI sends the OS user). */
export const ACTOR_HEADER = "Rosey-Actor";

/**
 * The header nats-server sets on a request that crossed into the service's account through a service
 * import with `share: true`: JSON naming the sender's account and user. The server replaces a copy the
 * sender wrote itself only on that path; within one account a client can write any value, so it is
 * logged as the server's word only where the account setup makes it so (README "Administration").
 */
export const REQUEST_INFO_HEADER = "Nats-Request-Info";

/** Longest actor name taken, in characters. */
export const ACTOR_MAX_LENGTH = 64;

/**
 * Subjects (under the prefix) whose requests are audited: everything an operator does. token.validate
 * is left out: it is a bot checking its own caller's token, not an admin action, and runs per API call.
 */
const AUDITED = [/^admin\./, /^token\.(?!validate$)/, /^conversation\.user\.erase$/, /^migrate\.[^.]+\.rollback$/];

/** The headers of a request, as nats.js gives them (`get` answers "" for an absent one). */
export interface RequestHeaders {
  get(name: string): string;
}

/** What {@linkcode audited} needs to know of a request. */
export interface AuditedRequest {
  /** The full subject, prefix included. */
  subject: string;
  headers?: RequestHeaders;
}

/** Where and under which prefix to log. */
export interface AuditOptions {
  prefix: string;
  log: Logger;
}

/** Whether requests on `subject` (without the prefix) are audited. */
export function isAudited(subject: string): boolean {
  return AUDITED.some((pattern) => pattern.test(subject));
}

/**
 * Runs `work`, and when the request is an admin action logs one audit line once it settles. An admin
 * request whose actor header is malformed is refused (400) before `work` runs, and that is logged too.
 */
export async function audited<T>(request: AuditedRequest, options: AuditOptions, work: () => Promise<T>): Promise<T> {
  const { prefix, log } = options;
  const subject = request.subject.startsWith(`${prefix}.`) ? request.subject.slice(prefix.length + 1) : request.subject;
  if (!isAudited(subject)) return await work();
  const started = performance.now();
  const who = natsUserOf(request.headers);
  try {
    const actor = actorOf(request.headers);
    const value = await work();
    log.info("Audit", {
      audit: subject,
      outcome: "ok",
      actor,
      ...who,
      counts: countsOf(value),
      took_ms: took(started),
    });
    return value;
  } catch (error) {
    const { status } = toServiceError(error);
    const outcome = status === 400 || status === 413 ? "invalid" : "error";
    // The actor again, without refusing: a refused actor is logged as absent, never as its text.
    const actor = safeActorOf(request.headers);
    log.info("Audit", { audit: subject, outcome, status, actor, ...who, took_ms: took(started) });
    throw error;
  }
}

/** The actor a request names, or null; refuses (400) one too long or with control characters. */
export function actorOf(headers: RequestHeaders | undefined): string | null {
  const actor = headers?.get(ACTOR_HEADER) ?? "";
  if (actor === "") return null;
  if ([...actor].length > ACTOR_MAX_LENGTH) {
    throw new ServiceError(400, `${ACTOR_HEADER}: at most ${ACTOR_MAX_LENGTH} characters`);
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(actor)) {
    throw new ServiceError(400, `${ACTOR_HEADER}: control characters are not allowed`);
  }
  return actor;
}

function safeActorOf(headers: RequestHeaders | undefined): string | null {
  try {
    return actorOf(headers);
  } catch {
    return null;
  }
}

/** The sender's NATS account and user, from the server's request info header; empty when absent. */
function natsUserOf(headers: RequestHeaders | undefined): { nats_user?: string; nats_account?: string } {
  const info = headers?.get(REQUEST_INFO_HEADER);
  if (!info) return {};
  try {
    const { user, acc } = JSON.parse(info) as { user?: unknown; acc?: unknown };
    const clean = (value: unknown) =>
      typeof value === "string" ? safeActorOf({ get: () => value }) ?? undefined : undefined;
    return { nats_user: clean(user), nats_account: clean(acc) };
  } catch {
    return {};
  }
}

/**
 * The numbers of a reply, never its text: numeric and boolean fields (one level of nesting, as
 * `deleted.dead_letters`), and the length of each list (a list reply is `items`).
 */
export function countsOf(value: unknown): Record<string, number | boolean> {
  const counts: Record<string, number | boolean> = {};
  const walk = (node: unknown, path: string, depth: number) => {
    if (typeof node === "number" || typeof node === "boolean") counts[path] = node;
    else if (Array.isArray(node)) counts[path] = node.length;
    else if (node && typeof node === "object" && depth < 2) {
      for (const [key, field] of Object.entries(node)) walk(field, path ? `${path}.${key}` : key, depth + 1);
    }
  };
  walk(value, Array.isArray(value) ? "items" : "", 0);
  return counts;
}

function took(started: number): number {
  return Math.round(performance.now() - started);
}
