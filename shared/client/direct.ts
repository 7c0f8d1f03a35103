/**
 * The client's direct path: the function handlers on a local database, for a bot without NATS.
 * Loaded by `import()` on first use only, so a bot that only talks NATS never loads libSQL.
 */
import { type Config, functionSettings, loadConfig, withoutCredentials } from "../config.ts";
import { type Database, openDatabase } from "../storage/db.ts";
import { decodeInput } from "../function/decode.ts";
import { ServiceError } from "../function/errors.ts";
import type { EventFunction, RequestFunction } from "../function/define.ts";
import type { Logger } from "../log.ts";
import { loadMigrations, migrate } from "../storage/migrate.ts";
import { Writer } from "../storage/writer.ts";
import { RoseyError } from "./error.ts";

const encoder = new TextEncoder();

/** One call on the direct path: the full subject, its `[name]` values and the JSON payload. */
export interface DirectCall<F> {
  fn: F;
  subject: string;
  params: Record<string, string>;
  payload: string;
}

/** The database named by `env` (`DATABASE_URL`/`DATABASE_PATH`), opened and migrated on first use. */
export class DirectPath {
  #opening?: Promise<{ db: Database; writer: Writer; config: Config }>;

  constructor(readonly env: Record<string, string | undefined>, readonly log: Logger) {}

  /** Writes one event as the service would, and waits until it is committed. */
  async event({ fn, subject, params, payload }: DirectCall<EventFunction>): Promise<void> {
    const { writer, config } = await this.#open();
    const raw = encoder.encode(payload);
    writer.event({ fn, subject, params, input: decodeInput(fn.input, raw, config.MAX_PAYLOAD_BYTES), raw });
    await writer.settled();
  }

  /** Runs one request's handler after every earlier event is committed. */
  async request({ fn, subject, params, payload }: DirectCall<RequestFunction>): Promise<unknown> {
    const { db, writer, config } = await this.#open();
    try {
      const input = decodeInput(fn.input, encoder.encode(payload), config.MAX_PAYLOAD_BYTES);
      await writer.settled();
      return await fn.handle(input, {
        db: db.read,
        write: (work, options) => writer.run(work, options),
        publish: () => {
          throw new ServiceError(503, "Replaying needs the service: the direct path has no NATS connection");
        },
        subject,
        params,
        receivedAt: Math.floor(Date.now() / 1000),
        config: functionSettings(config),
        log: this.log,
      });
    } catch (error) {
      const failure = error instanceof ServiceError ? error : new ServiceError(500, "Internal error");
      throw new RoseyError(failure.status, failure.message, subject);
    }
  }

  /** Commits what is queued and closes the database, if it was opened. */
  async close(): Promise<void> {
    const opened = await this.#opening?.catch(() => undefined);
    if (!opened) return;
    await opened.writer.settled();
    opened.db.close();
  }

  #open(): Promise<{ db: Database; writer: Writer; config: Config }> {
    this.#opening ??= (async () => {
      const config = loadConfig(this.env);
      const db = await openDatabase(config, this.log);
      await migrate(db, await loadMigrations(), this.log);
      const writer = new Writer(db, {
        // Handlers run inside the writer: no credential reaches them.
        config: withoutCredentials(config),
        log: this.log,
        onOutcome: (subject, outcome, _code, error) => {
          if (outcome === "dead_letter") this.log.warn("rosey event stored as a dead letter", { subject, error });
        },
      });
      return { db, writer, config };
    })();
    return this.#opening;
  }
}
