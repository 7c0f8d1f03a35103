/** The NATS connection: authentication and TLS from configuration, reconnecting forever. */
import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
  type NodeConnectionOptions,
} from "@nats-io/transport-node";
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import type { Metrics } from "./metrics.ts";

/** Connection options built from the configuration. */
export function connectionOptions(config: Config, servers: string): NodeConnectionOptions {
  const options: NodeConnectionOptions = {
    servers: servers.split(",").map((s) => s.trim()),
    name: "rosey-db",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    reconnectJitter: 250,
    waitOnFirstConnect: true,
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

/** A NATS connection and whether it is up right now. */
export interface NatsLink {
  /** `main` carries requests and events; `jetstream` is the ingest thread's, for the stream's consumer. */
  role: NatsRole;
  nc: NatsConnection;
  connected(): boolean;
}

/** Connects to NATS and keeps `metrics` and the logs informed of the connection's state. */
export async function connectNats(
  config: Config,
  servers: string,
  role: NatsRole,
  { log, metrics }: { log: Logger; metrics: Metrics },
): Promise<NatsLink> {
  const nc = await connect({ ...connectionOptions(config, servers), name: `rosey-db-${role}` });
  const labels = { connection: role };
  let up = true;
  metrics.natsConnected.set(1, labels);
  log = log.child({ connection: role });
  log.info("Connected to NATS", { server: nc.getServer() });
  (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") {
        up = false;
        metrics.natsConnected.set(0, labels);
        log.warn("Disconnected from NATS", { server: status.server });
      } else if (status.type === "reconnect") {
        up = true;
        metrics.natsConnected.set(1, labels);
        metrics.natsReconnects.inc(labels);
        log.info("Reconnected to NATS", { server: status.server });
      } else if (status.type === "error") {
        log.warn("NATS error", { error: status.error.message });
      }
    }
  })();
  nc.closed().then(() => {
    up = false;
    metrics.natsConnected.set(0, labels);
  });
  return { role, nc, connected: () => up && !nc.isClosed() };
}
