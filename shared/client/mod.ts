/**
 * The typed bot client: one method per rosey-db subject, typed from the function files' schemas.
 * NATS first; without a connection, or once it is closed, the same handlers run directly on a
 * local database, loaded on first use. Requests with no reply resolve to a fallback, never a rejection.
 *
 * ```ts
 * import { connect, createRoseyClient } from "@rosey/db/client";
 * const nc = await connect({ servers: "nats://127.0.0.1:4222" });
 * const rosey = createRoseyClient({ nc });
 * await rosey.userJoined({ username: "alice" });
 * await nc.close();
 * ```
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { createLogger, type Logger } from "../log.ts";
import type { DirectPath } from "./direct.ts";
import { FUNCTIONS } from "./functions.ts";
import { buildMethods } from "./methods.ts";
import type { RoseyMethods } from "./table.ts";

export { connect, type NatsConnection } from "@nats-io/transport-node";
export { RoseyError } from "./error.ts";

/** Options for {@linkcode createRoseyClient}. */
export interface RoseyClientOptions {
  /** The bot's NATS connection; without one (or once closed) calls run directly on the local database. */
  nc?: NatsConnection;
  /** Subject prefix of the service (default `rosey.db`). */
  prefix?: string;
  /** Request timeout in milliseconds (default 2000); also how long an acknowledged event waits. */
  timeoutMs?: number;
  /**
   * Publish events with JetStream (for a service with INGEST_MODE=jetstream): an event call
   * resolves once the stream stored the event, and rejects with a RoseyError (503) when no PubAck
   * came. Each event carries a message id, and is sent again under it (up to 3 times within the
   * timeout) while no PubAck comes: the stream, and the service's record of applied ids, store it once.
   */
  acknowledgedEvents?: boolean;
  /** Settings of the direct path, as environment variables (default: this process's environment, read on first use). */
  env?: Record<string, string | undefined>;
  /** Where calls log (default: warnings and errors, as JSON lines on stderr). */
  log?: Logger;
}

/** A client: one method per subject, and `close()`, which closes the local database if the direct path opened it. */
export type RoseyClient = RoseyMethods<typeof FUNCTIONS> & { close(): Promise<void> };

/** Creates a client. Reads nothing and opens nothing until a call needs it. */
export function createRoseyClient(options: RoseyClientOptions = {}): RoseyClient {
  const log = options.log ?? createLogger({ level: "WARNING" });
  let direct: Promise<DirectPath> | undefined;
  const openDirect = () =>
    direct ??= import("./direct.ts").then(({ DirectPath }) => new DirectPath(options.env ?? Deno.env.toObject(), log));
  const methods = buildMethods(FUNCTIONS, {
    nc: options.nc,
    prefix: options.prefix ?? "rosey.db",
    timeoutMs: options.timeoutMs ?? 2000,
    acknowledgedEvents: options.acknowledgedEvents ?? false,
    log,
    direct: openDirect,
  });
  const close = async () => await (await direct)?.close();
  return { ...methods, close } as unknown as RoseyClient;
}
