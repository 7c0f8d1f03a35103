/**
 * The client's direct path: the function handlers on a local database, for a bot without NATS.
 * Loaded by `import()` on first use only, so a bot that only talks NATS never loads libSQL.
 */
import { loadConfig, withoutCredentials } from "../config.ts";
import { type Database, openDatabase } from "../storage/db.ts";
import { decodeInput } from "../function/decode.ts";
import { ServiceError } from "../function/errors.ts";
import type { EventFunction, RequestFunction } from "../function/define.ts";
import type { Logger } from "../log.ts";
import { loadMigrations, migrate } from "../storage/migrate.ts";
import { PluginDatabases } from "../storage/plugins.ts";
import { prepareEmbeddings } from "../storage/embeddings.ts";
import { eventWriter, type Ingest, startIngest } from "../ingest/pipeline.ts";
import { IngestProgress } from "../ingest/progress.ts";
import type { IngestSignals } from "../ingest/signals.ts";
import { RequestRunner } from "../runtime/requests.ts";
import { RouteTable } from "../runtime/routes.ts";
import { RoseyError } from "./error.ts";

const encoder = new TextEncoder();

/** One call on the direct path: the full subject, its `[name]` values and the JSON payload. */
export interface DirectCall<F> {
  fn: F;
  subject: string;
  params: Record<string, string>;
  payload: string;
}

/** What the direct path runs on, once open. */
interface Opened {
  db: Database;
  ingest: Ingest;
  plugins: PluginDatabases;
  runner: RequestRunner;
  maxPayload: number;
}

/**
 * The database named by `env` (`DATABASE_URL`/`DATABASE_PATH`), opened and migrated on first use;
 * events go through the service's ingest pipeline and requests through its request runner.
 */
export class DirectPath {
  #opening?: Promise<Opened>;

  constructor(readonly env: Record<string, string | undefined>, readonly log: Logger) {}

  /** Writes one event as the service would, and waits until it is committed. */
  async event({ fn, subject, params, payload }: DirectCall<EventFunction>): Promise<void> {
    const { ingest, maxPayload } = await this.#open();
    const raw = encoder.encode(payload);
    // Decoded here, so that bad input is the caller's error rather than a dead letter.
    ingest.event({ fn, subject, params, input: decodeInput(fn.input, raw, maxPayload), raw });
    await ingest.progress.settled();
  }

  /** Runs one request's handler after every earlier event is committed. */
  async request({ fn, subject, params, payload }: DirectCall<RequestFunction>): Promise<unknown> {
    const { runner } = await this.#open();
    try {
      return await runner.answer({ fn, subject, params }, encoder.encode(payload));
    } catch (error) {
      const failure = error instanceof ServiceError ? error : new ServiceError(500, "Internal error");
      throw new RoseyError(failure.status, failure.message, subject);
    }
  }

  /** Commits what is queued and closes the database, if it was opened. */
  async close(): Promise<void> {
    const opened = await this.#opening?.catch(() => undefined);
    if (!opened) return;
    await opened.ingest.stop();
    await opened.plugins.close();
    opened.db.close();
  }

  #open(): Promise<Opened> {
    this.#opening ??= (async () => {
      // Events are written here, not taken from a stream: the direct path has no NATS connection.
      const config = { ...loadConfig(this.env), INGEST_MODE: "core" as const };
      const db = await openDatabase(config, this.log);
      await migrate(db, await loadMigrations(), this.log);
      await prepareEmbeddings(db, config.EMBEDDING_DIMENSIONS, this.log);
      const signals = this.#signals();
      // Handlers run inside the writer: no credential reaches them.
      const writer = eventWriter(db, { config: withoutCredentials(config), log: this.log, signals });
      const progress = new IngestProgress();
      const ingest = startIngest({
        writer,
        routes: new RouteTable([], config.SUBJECT_PREFIX),
        config,
        log: this.log,
        signals,
        progress,
      });
      const plugins = new PluginDatabases({ config, log: this.log });
      const runner = new RequestRunner({
        config,
        db,
        writer,
        progress,
        plugins,
        log: this.log,
        publish: () => {
          throw new ServiceError(503, "Replaying needs the service: the direct path has no NATS connection");
        },
      });
      return { db, ingest, plugins, runner, maxPayload: config.MAX_PAYLOAD_BYTES };
    })();
    return this.#opening;
  }

  /** The pipeline's signals on the direct path: dead letters are worth a warning, the rest is for metrics. */
  #signals(): IngestSignals {
    const ignore = () => {};
    return {
      outcome: (subject, outcome, _code, error) => {
        if (outcome === "dead_letter") this.log.warn("rosey event stored as a dead letter", { subject, error });
      },
      handled: ignore,
      busyRetry: ignore,
      connection: ignore,
      stage: ignore,
      jetstreamStarted: ignore,
      jetstreamAcked: ignore,
    };
  }
}
