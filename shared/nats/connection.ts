/** The NATS connection: authentication and TLS from configuration, reconnecting forever. */
import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
  type NodeConnectionOptions,
} from "@nats-io/transport-node";
import type { Config } from "../config.ts";
import { redactUrl } from "../config/checks.ts";
import type { Logger } from "../log.ts";

/** How long one connection attempt may take (TCP, TLS and the server's greeting). */
const CONNECT_TIMEOUT_MS = 5000;

/** Connection options built from the configuration. */
export function connectionOptions(config: Config, servers: string): NodeConnectionOptions {
  const options: NodeConnectionOptions = {
    servers: servers.split(",").map((s) => s.trim()),
    name: "rosey-db",
    // Once connected, reconnect for ever, also through refused credentials (the server's may change back);
    // the first connection is one attempt per server, retried by start-up so that each failure is reported.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    reconnectJitter: 250,
    ignoreAuthErrorAbort: true,
    timeout: CONNECT_TIMEOUT_MS,
    user: config.NATS_USER,
    pass: config.NATS_PASSWORD,
    token: config.NATS_TOKEN,
  };
  if (config.NATS_NKEY_SEED) options.authenticator = nkeyAuthenticator(new TextEncoder().encode(config.NATS_NKEY_SEED));
  if (config.NATS_CREDS_FILE) options.authenticator = credsAuthenticator(Deno.readFileSync(config.NATS_CREDS_FILE));
  if (config.NATS_TLS_CA || config.NATS_TLS_CERT) {
    options.tls = { caFile: config.NATS_TLS_CA, certFile: config.NATS_TLS_CERT, keyFile: config.NATS_TLS_KEY };
  }
  return options;
}

/** Which connection: it names the connection in metrics, logs and /ready. */
export type NatsRole = "main" | "jetstream";

/** A connection's change of state, for metrics: up at first, then down and reconnected. */
export type ConnectionState = "up" | "down" | "reconnected";

/** Options for {@linkcode connectNats}. */
export interface ConnectNatsOptions {
  log: Logger;
  /** Told of every change of the connection's state. */
  onState(state: ConnectionState): void;
}

/** A NATS connection and whether it is up right now. */
export interface NatsLink {
  /** `main` carries requests and events; `jetstream` is the ingest thread's, for the stream's consumer. */
  role: NatsRole;
  nc: NatsConnection;
  connected(): boolean;
  /**
   * While the connection is down, the last error the server answered a reconnect with (its refusal of
   * the credentials, say); undefined while connected or when the server could not be reached at all.
   */
  refusal(): string | undefined;
}

/**
 * Connects to NATS and keeps `onState` and the logs informed of the connection's state. One attempt per
 * server: a failure names the servers and the cause (refused, unknown host, authorization).
 */
export async function connectNats(
  config: Config,
  servers: string,
  role: NatsRole,
  { log, onState }: ConnectNatsOptions,
): Promise<NatsLink> {
  ignoreResetsOfDiscardedSockets(log);
  const nc = await connect({ ...connectionOptions(config, servers), name: `rosey-db-${role}` }).catch((error) => {
    throw new Error(`cannot connect to ${redactUrl(servers)}: ${connectFailure(error)}`);
  });
  let up = true;
  let refusal: string | undefined;
  onState("up");
  log = log.child({ connection: role });
  log.info("Connected to NATS", { server: nc.getServer() });
  (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") {
        up = false;
        onState("down");
        log.warn("Disconnected from NATS", { server: status.server });
      } else if (status.type === "reconnect") {
        up = true;
        refusal = undefined;
        onState("reconnected");
        log.info("Reconnected to NATS", { server: status.server });
      } else if (status.type === "error") {
        // While down, an error is the server's answer to a reconnect: /ready says it, not only "down".
        if (!up) refusal = status.error.message;
        log.warn("NATS error", { error: status.error.message });
      } else if (status.type === "reconnecting") {
        log.debug("Reconnecting to NATS", { servers: redactUrl(servers) });
      }
    }
  })();
  nc.closed().then(() => {
    up = false;
    onState("down");
  });
  const connected = () => up && !nc.isClosed();
  return { role, nc, connected, refusal: () => connected() ? undefined : refusal };
}

/** The cause of a failed connection, as a person would say it. */
function connectFailure(error: unknown): string {
  const { message, cause } = error as Error & { cause?: Error & { code?: string } };
  const detail = cause?.message && !message.includes(cause.message) ? ` (${cause.message})` : "";
  return `${message}${detail}`;
}

let ignoringResets = false;

/**
 * The NATS transport drops a socket's listeners before destroying it (after a refused authorization,
 * say), and Deno's node:net can still report the peer's reset on it afterwards: an "error" event with
 * no listener, which would end the process. Such a reset concerns a socket already given up, so it is
 * logged and ignored; every other uncaught error still ends the process.
 */
function ignoreResetsOfDiscardedSockets(log: Logger): void {
  if (ignoringResets) return;
  ignoringResets = true;
  globalThis.addEventListener("error", (event) => {
    const error = event.error as { code?: string; syscall?: string } | undefined;
    if (error?.code !== "ECONNRESET" || error.syscall !== "read") return;
    event.preventDefault();
    log.debug("Ignored a reset of a discarded NATS socket");
  });
}
