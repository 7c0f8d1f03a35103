/**
 * The typed bot client: one method per rosey subject, typed from the function files' schemas.
 * NATS first; without a connection, or once it is closed, the same handlers run directly on a
 * local database. Requests that time out resolve to a documented fallback, never a rejection.
 */
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { type NatsConnection, RequestError, TimeoutError } from "@nats-io/transport-node";
import type { z } from "zod";
import type { Config } from "./config.ts";
import { loadConfig } from "./config.ts";
import { type Database, openDatabase } from "./db.ts";
import { decodeInput } from "./decode.ts";
import { type ErrorStatus, ServiceError } from "./errors.ts";
import type { EventFunction, RequestFunction } from "./function.ts";
import { createLogger, type Logger } from "./log.ts";
import { loadMigrations, migrate } from "./migrate.ts";
import { Writer } from "./writer.ts";
import { EVENTS, REQUESTS } from "./client_subjects.ts";

type Events = typeof EVENTS;
type Requests = typeof REQUESTS;
type InputOf<F> = F extends { input: infer S extends z.ZodType } ? z.input<S> : never;
type OutputOf<F> = F extends { output: infer S extends z.ZodType } ? z.output<S> : never;

/** The client's methods, inferred from the function files. */
export type RoseyMethods =
  & { [K in keyof Events]: (input: InputOf<Events[K]["fn"]>) => Promise<void> }
  & {
    [K in keyof Requests]: (
      input?: InputOf<Requests[K]["fn"]>,
    ) => Promise<OutputOf<Requests[K]["fn"]> | Requests[K]["fallback"]>;
  };

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
   * came. Each event carries a message id, so the stream stores it once even when the publish is retried.
   */
  acknowledgedEvents?: boolean;
  /** Settings of the direct path, as environment variables (default: this process's environment). */
  env?: Record<string, string | undefined>;
  log?: Logger;
}

/** A client; `close()` closes the local database if the direct path opened it. */
export type RoseyClient = RoseyMethods & { close(): void };

/** Raised when the service answers a request with an ADR-32 error. */
export class RoseyError extends Error {
  constructor(readonly status: number, message: string, readonly subject: string) {
    super(message);
    this.name = "RoseyError";
  }
}

/** Creates a client. */
export function createRoseyClient(options: RoseyClientOptions = {}): RoseyClient {
  const prefix = options.prefix ?? "rosey.db";
  const timeout = options.timeoutMs ?? 2000;
  const log = options.log ?? createLogger({ level: "WARNING" });
  const direct = new DirectPath(options.env ?? Deno.env.toObject(), log);
  const viaNats = () => options.nc && !options.nc.isClosed() ? options.nc : undefined;
  const methods: Record<string, unknown> = { close: () => direct.close() };
  let js: JetStreamClient | undefined;

  for (
    const [method, { subject, fn }] of Object.entries(EVENTS) as [string, { subject: string; fn: EventFunction }][]
  ) {
    methods[method] = async (input: unknown) => {
      const parsed = fn.input.safeParse(input);
      if (!parsed.success) {
        throw new RoseyError(
          400,
          `Invalid input for ${method}: ${
            parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")
          }`,
          subject,
        );
      }
      const nc = viaNats();
      log.debug("rosey call", { method, subject, path: nc ? "nats" : "direct" });
      if (!nc) return await direct.event(fn, `${prefix}.${subject}`, JSON.stringify(input));
      if (!options.acknowledgedEvents) return nc.publish(`${prefix}.${subject}`, JSON.stringify(input));
      try {
        await (js ??= jetstream(nc)).publish(`${prefix}.${subject}`, JSON.stringify(input), {
          msgID: crypto.randomUUID(),
          timeout,
        });
      } catch (error) {
        throw new RoseyError(
          503,
          `${method}: the stream did not acknowledge the event (${(error as Error).message})`,
          subject,
        );
      }
    };
  }

  for (
    const [method, { subject, fn, fallback }] of Object.entries(REQUESTS) as [
      string,
      { subject: string; fn: RequestFunction; fallback: unknown },
    ][]
  ) {
    methods[method] = async (input: unknown = {}) => {
      const nc = viaNats();
      log.debug("rosey call", { method, subject, path: nc ? "nats" : "direct" });
      if (!nc) return await direct.request(fn, `${prefix}.${subject}`, JSON.stringify(input));
      try {
        const reply = await nc.request(`${prefix}.${subject}`, JSON.stringify(input), { timeout });
        const code = reply.headers?.get("Nats-Service-Error-Code");
        if (code) throw new RoseyError(Number(code), reply.headers!.get("Nats-Service-Error"), subject);
        return reply.json();
      } catch (error) {
        if (error instanceof RoseyError) throw error;
        const why = error instanceof TimeoutError
          ? `no reply within ${timeout} ms`
          : error instanceof RequestError
          ? "no service answered"
          : (error as Error).message;
        log.warn("rosey request failed; using its fallback", { method, subject, reason: why });
        return structuredClone(fallback);
      }
    };
  }
  return methods as RoseyClient;
}

/** The direct path: the function handlers on a local database, opened on first use. */
class DirectPath {
  #opening?: Promise<{ db: Database; writer: Writer; config: Config }>;

  constructor(readonly env: Record<string, string | undefined>, readonly log: Logger) {}

  #open() {
    this.#opening ??= (async () => {
      const config = loadConfig(this.env);
      const db = await openDatabase(config, this.log);
      await migrate(db, await loadMigrations(), this.log);
      const writer = new Writer(db, {
        config,
        log: this.log,
        onOutcome: (subject, outcome, _code, error) => {
          if (outcome === "dead_letter") this.log.warn("rosey event stored as a dead letter", { subject, error });
        },
      });
      return { db, writer, config };
    })();
    return this.#opening;
  }

  async event(fn: EventFunction, subject: string, payload: string) {
    const { writer, config } = await this.#open();
    const raw = new TextEncoder().encode(payload);
    writer.event({ fn, subject, params: {}, input: decodeInput(fn.input, raw, config.MAX_PAYLOAD_BYTES), raw });
    await writer.settled();
  }

  async request(fn: RequestFunction, subject: string, payload: string) {
    const { db, writer, config } = await this.#open();
    try {
      const input = decodeInput(fn.input, new TextEncoder().encode(payload), config.MAX_PAYLOAD_BYTES);
      await writer.settled();
      return await fn.handle(input, {
        db: db.read,
        write: (work, options) => writer.run(work, options),
        publish: () => {
          throw new ServiceError(503, "Replaying needs the service: the direct path has no NATS connection");
        },
        subject,
        params: {},
        receivedAt: Math.floor(Date.now() / 1000),
        config,
        log: this.log,
      });
    } catch (error) {
      const failure = error instanceof ServiceError ? error : new ServiceError(500 as ErrorStatus, "Internal error");
      throw new RoseyError(failure.status, failure.message, subject);
    }
  }

  close() {
    this.#opening?.then(async ({ db, writer }) => {
      await writer.settled();
      db.close();
    });
  }
}
