/**
 * The admin command line's link to the service: a NATS connection made from the service's own settings,
 * and the typed client over it, every request carrying the actor (`Rosey-Actor`). A request that gets no
 * answer fails with what went wrong (not reachable, no responders, refused by permissions), never with the
 * client's fallback value.
 */
import {
  connect,
  headers,
  type NatsConnection,
  PermissionViolationError,
  RequestError,
  type RequestOptions,
  TimeoutError,
} from "@nats-io/transport-node";
import { type Config, LOCAL_NATS_PORT } from "../config.ts";
import { redactUrl } from "../config/checks.ts";
import { connectionOptions } from "../nats/connection.ts";
import { ACTOR_HEADER } from "../runtime/audit.ts";
import { createRoseyClient, type RoseyClient } from "../client/mod.ts";
import { RoseyError } from "../client/error.ts";
import { silentLogger } from "../log.ts";

/** Exit statuses of `deno task admin`. */
export const EXIT = {
  ok: 0,
  /** The service answered with an error, or a check it ran found a problem. */
  failed: 1,
  /** Bad arguments or settings. */
  usage: 2,
  /** No answer: NATS not reachable, no service listening, no reply in time. */
  unreachable: 3,
  /** NATS refused: authorization or permissions. */
  refused: 4,
} as const;

/** A failure the command line reports in one line and exits with. */
export class AdminError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = "AdminError";
  }
}

/** Options for {@linkcode openLink}. */
export interface LinkOptions {
  /** Who acts, sent with every request (default: the OS user). */
  actor: string;
  /** How long a request may take, in milliseconds. */
  timeoutMs: number;
}

/** An open link: the typed client, the raw connection (for `$SRV`), and `close()`. */
export interface AdminLink {
  client: RoseyClient;
  nc: NatsConnection;
  prefix: string;
  close(): Promise<void>;
}

/** The NATS servers the service would use: NATS_URL, else the local nats-server it starts itself. */
export function serversOf(config: Config): string {
  return config.NATS_URL ?? `nats://127.0.0.1:${LOCAL_NATS_PORT}`;
}

/** Connects with the service's NATS settings (one attempt, no reconnects) and builds the client. */
export async function openLink(config: Config, options: LinkOptions): Promise<AdminLink> {
  const servers = serversOf(config);
  const nc = await connect({
    ...connectionOptions(config, servers),
    name: "rosey-db-admin",
    maxReconnectAttempts: 0,
    reconnect: false,
    timeout: Math.min(options.timeoutMs, 5000),
  }).catch((error) => {
    const { message } = error as Error;
    const refused = /authori[sz]ation|authentication/i.test(message);
    throw new AdminError(
      `Cannot connect to NATS at ${redactUrl(servers)}: ${message}${
        refused ? " (check NATS_USER/NATS_PASSWORD/NATS_TOKEN/NATS_CREDS_FILE)" : " (is nats-server running? NATS_URL)"
      }`,
      refused ? EXIT.refused : EXIT.unreachable,
    );
  });
  const prefix = config.SUBJECT_PREFIX;
  const client = createRoseyClient({
    nc: withActor(nc, options.actor),
    prefix,
    timeoutMs: options.timeoutMs,
    log: silentLogger,
  });
  return { client, nc, prefix, close: () => nc.close() };
}

/** A request that got no reply from the service; the client passes a RoseyError on unchanged. */
export class UnansweredError extends RoseyError {
  constructor(message: string, subject: string, readonly exitCode: number) {
    super(503, message, subject);
    this.name = "UnansweredError";
  }
}

/**
 * The connection as the client sees it: requests carry the actor, and a request that gets no reply
 * rejects with an {@linkcode UnansweredError} (instead of resolving to the client's fallback). It never
 * reports itself closed, so the client never falls back to opening a local database.
 */
function withActor(nc: NatsConnection, actor: string): NatsConnection {
  const request = async (subject: string, payload?: string | Uint8Array, options?: RequestOptions) => {
    const h = headers();
    h.set(ACTOR_HEADER, actor);
    try {
      return await nc.request(subject, payload, { timeout: 2000, ...options, headers: h });
    } catch (error) {
      const exitCode = isPermissionError(error) ? EXIT.refused : EXIT.unreachable;
      throw new UnansweredError(explain(error, subject, options?.timeout), subject, exitCode);
    }
  };
  return new Proxy(nc, {
    get(target, property) {
      if (property === "request") return request;
      if (property === "isClosed") return () => false;
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A permission refusal, given as such or as the cause of a failed request. */
function isPermissionError(error: unknown): boolean {
  const cause = (error as { cause?: unknown })?.cause;
  return error instanceof PermissionViolationError || cause instanceof PermissionViolationError;
}

function explain(error: unknown, subject: string, timeout?: number): string {
  if (isPermissionError(error)) {
    return `NATS refused this user publishing to "${subject}" (permissions): use an operator's credentials`;
  }
  if (error instanceof TimeoutError) return `No reply on "${subject}" within ${timeout ?? 2000} ms (try --timeout)`;
  if (error instanceof RequestError && error.isNoResponders()) {
    return `No rosey-db instance answers "${subject}": is the service running, with this SUBJECT_PREFIX?`;
  }
  return `Request on "${subject}" failed: ${(error as Error).message}`;
}

/** The exit status for an error a command raised. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof AdminError || error instanceof UnansweredError) return error.exitCode;
  if (error instanceof RoseyError) return error.status === 400 ? EXIT.usage : EXIT.failed;
  return EXIT.failed;
}
