/** Builds the client's methods from a method table: NATS first, the direct path without a connection. */
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { type NatsConnection, RequestError, TimeoutError } from "@nats-io/transport-node";
import { checkInput, fieldName } from "../function/decode.ts";
import type { Logger } from "../log.ts";
import type { DirectPath } from "./direct.ts";
import { RoseyError } from "./error.ts";
import { emptyValueOf } from "./fallback.ts";
import type { ClientEvent, ClientRequest, ClientTable } from "./table.ts";

/** What the methods share: the connection (if any), settings, and the lazily loaded direct path. */
export interface MethodContext {
  nc?: NatsConnection;
  prefix: string;
  timeoutMs: number;
  acknowledgedEvents: boolean;
  log: Logger;
  /** The direct path, loaded and opened on first use. */
  direct(): Promise<DirectPath>;
}

type Method = (...args: unknown[]) => Promise<unknown>;

/** One method per table entry, keyed by method name. */
export function buildMethods(table: ClientTable, ctx: MethodContext): Record<string, Method> {
  let js: JetStreamClient | undefined;
  const shared: Shared = {
    ...ctx,
    connection: () => ctx.nc && !ctx.nc.isClosed() ? ctx.nc : undefined,
    jetstream: (nc) => js ??= jetstream(nc),
  };
  const methods: Record<string, Method> = {};
  for (const [method, entry] of Object.entries(table)) {
    methods[method] = entry.fn.kind === "event"
      ? eventMethod(method, entry as ClientEvent, shared)
      : requestMethod(method, entry as ClientRequest, shared);
  }
  return methods;
}

interface Shared extends MethodContext {
  /** The connection while it is open. */
  connection(): NatsConnection | undefined;
  jetstream(nc: NatsConnection): JetStreamClient;
}

/** Publishes of one acknowledged event, under one message id, before the call fails. */
const PUBLISH_ATTEMPTS = 3;
/** Shortest wait for a PubAck per attempt, whatever the call's timeout. */
const MIN_ATTEMPT_MS = 100;

function eventMethod(method: string, entry: ClientEvent, ctx: Shared): Method {
  return async (...args) => {
    const { params, input, subject } = callOf(method, entry, args);
    const checked = checkInput(entry.fn.input, input);
    if ("issues" in checked) {
      const issues = checked.issues.map((i) => `${fieldName(i.path)}: ${i.message}`).join("; ");
      throw new RoseyError(400, `Invalid input for ${method}: ${issues}`, entry.subject);
    }
    const nc = ctx.connection();
    ctx.log.debug("rosey call", { method, subject: entry.subject, path: nc ? "nats" : "direct" });
    const full = `${ctx.prefix}.${subject}`, payload = JSON.stringify(input);
    if (!nc) return (await ctx.direct()).event({ fn: entry.fn, subject: full, params, payload });
    if (!ctx.acknowledgedEvents) return nc.publish(full, payload);
    try {
      // Sent again under the same id when no PubAck comes (a lost ack, a server restarting): the stream
      // and the service's applied ids store it once. The attempts share the call's timeout.
      await ctx.jetstream(nc).publish(full, payload, {
        msgID: crypto.randomUUID(),
        timeout: Math.max(MIN_ATTEMPT_MS, Math.floor(ctx.timeoutMs / PUBLISH_ATTEMPTS)),
        retries: PUBLISH_ATTEMPTS,
      });
    } catch (error) {
      const why = (error as Error).message;
      throw new RoseyError(503, `${method}: the stream did not acknowledge the event: ${why}`, entry.subject);
    }
  };
}

function requestMethod(method: string, entry: ClientRequest, ctx: Shared): Method {
  const fallback = entry.fallback === "empty" ? emptyValueOf(entry.fn.output) : null;
  return async (...args) => {
    const { params, input, subject } = callOf(method, entry, args);
    const nc = ctx.connection();
    ctx.log.debug("rosey call", { method, subject: entry.subject, path: nc ? "nats" : "direct" });
    const full = `${ctx.prefix}.${subject}`, payload = JSON.stringify(input);
    if (!nc) return (await ctx.direct()).request({ fn: entry.fn, subject: full, params, payload });
    try {
      const reply = await nc.request(full, payload, { timeout: ctx.timeoutMs });
      const code = reply.headers?.get("Nats-Service-Error-Code");
      if (code) throw new RoseyError(Number(code), reply.headers!.get("Nats-Service-Error"), entry.subject);
      return reply.json();
    } catch (error) {
      if (error instanceof RoseyError) throw error;
      const reason = error instanceof TimeoutError
        ? `no reply within ${ctx.timeoutMs} ms`
        : error instanceof RequestError
        ? "no service answered"
        : (error as Error).message;
      ctx.log.warn("rosey request failed; using its fallback", { method, subject: entry.subject, reason });
      return structuredClone(fallback);
    }
  };
}

/** A subject token for a `[name]` placeholder: no dots, wildcards or white space. */
const TOKEN = /^[^.*>\s]+$/;

/** Splits a call's arguments (`params` first for a subject with `[name]` tokens) and fills in its subject. */
function callOf(method: string, entry: ClientEvent | ClientRequest, args: unknown[]) {
  const names = entry.params ?? [];
  const params = (names.length > 0 ? args[0] ?? {} : {}) as Record<string, string>;
  const input = args[names.length] ?? {};
  if (names.length === 0) return { params, input, subject: entry.subject };
  let next = 0;
  const subject = entry.subject.split(".").map((token) => {
    if (token !== "*") return token;
    const name = names[next++];
    const value = params[name];
    if (typeof value === "string" && TOKEN.test(value)) return value;
    throw new RoseyError(
      400,
      `Invalid parameter for ${method}: "${name}" must be one subject token (no ".", "*", ">" or white space), got ${
        JSON.stringify(value) ?? "nothing"
      }`,
      entry.subject,
    );
  }).join(".");
  return { params, input, subject };
}
