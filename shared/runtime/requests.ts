/**
 * Running a request function: decode its input, wait for the events received before it (read-your-
 * writes), call the handler with its context. The router runs requests from NATS this way, the
 * maintenance timer and the client's direct path run theirs the same way.
 */
import { type Config, functionSettings } from "../config.ts";
import type { Database } from "../storage/db.ts";
import type { Writer } from "../storage/writer.ts";
import { decodeInput, validateInput } from "../function/decode.ts";
import { ServiceError } from "../function/errors.ts";
import type { FunctionSettings, RequestContext, RequestFunction, Store } from "../function/define.ts";
import type { Logger } from "../log.ts";
import type { IngestProgress } from "../ingest/progress.ts";
import type { PluginDatabase, PluginDatabases } from "../storage/plugins.ts";
import { audited, type RequestHeaders } from "./audit.ts";

/**
 * Longest wait of a request for the events received before it. Never reached in normal work: a flood
 * of a million queued events commits within it (about 150 events per ms). It bounds the wait when
 * the writer cannot commit (a database held busy by another process, a disk that fails), and the
 * request then gets a 503 rather than a reply that might miss its own connection's events. A thread
 * that died releases its waiters at once (shared/ingest/progress.ts), without waiting for this bound.
 */
export const READ_YOUR_WRITES_BOUND_MS = 10_000;

/** Options for {@linkcode RequestRunner}. */
export interface RequestRunnerOptions {
  config: Config;
  db: Database;
  /** The writer of request writes (`ctx.write`). */
  writer: Writer;
  /** Events received and committed: a request waits for those received before it. */
  progress: IngestProgress;
  log: Logger;
  /** The plugins' own databases (`ctx.plugin`). */
  plugins: PluginDatabases;
  /** Publishes for a handler (`ctx.publish`); throws a 503 when there is no connection. */
  publish(subject: string, payload: Uint8Array): void;
}

/** One request to run: its function, full subject and `[name]` values. */
export interface RequestCall {
  fn: RequestFunction;
  subject: string;
  params: Record<string, string>;
  /** Bytes its reply's body may take (the connected server's max_payload less the headers); none without NATS. */
  replyBytes?: number;
  /** The request's headers (over NATS): the actor an admin action is audited under. */
  headers?: RequestHeaders;
}

/** Runs request functions. */
export class RequestRunner {
  readonly #settings: FunctionSettings;

  constructor(readonly options: RequestRunnerOptions) {
    this.#settings = functionSettings(options.config);
  }

  /**
   * The handler's reply to a raw payload. Bad input is refused before any wait, so that a backlog of
   * events never turns a 400 into a 503.
   */
  answer(call: RequestCall, raw: Uint8Array): Promise<unknown> {
    const { config: { SUBJECT_PREFIX: prefix }, log } = this.options;
    // Admin actions leave one audit line each, refused ones included (shared/runtime/audit.ts).
    return audited(call, { prefix, log }, async () => {
      const input = decodeInput(call.fn.input, raw, this.options.config.MAX_PAYLOAD_BYTES);
      await this.#eventsCommitted();
      return await call.fn.handle(input, this.context(call));
    });
  }

  /** The handler's reply to an input given as a value, with the same validation. */
  async call(call: RequestCall, input: unknown): Promise<unknown> {
    const valid = validateInput(call.fn.input, input);
    await this.#eventsCommitted();
    return await call.fn.handle(valid, this.context(call));
  }

  /** What a handler receives besides its input: no connection, no credential. */
  context({ subject, params, replyBytes }: RequestCall, receivedAt = Math.floor(Date.now() / 1000)): RequestContext {
    const { db, writer, log, plugins } = this.options;
    return {
      db: db.read,
      write: (work, options) => writer.run(work, options),
      publish: (target, payload) => this.options.publish(target, payload),
      async plugin(name) {
        return storeOf(await plugins.get(name));
      },
      async existingPlugin(name) {
        const plugin = await plugins.existing(name);
        return plugin && storeOf(plugin);
      },
      plugins: { list: () => plugins.plugins(), drop: (name) => plugins.drop(name), remote: plugins.remote },
      subject,
      params,
      replyBytes: replyBytes ?? Number.MAX_SAFE_INTEGER,
      receivedAt,
      config: this.#settings,
      log,
    };
  }

  /**
   * Resolves once the events received before this call are committed (never waiting for those
   * received after it), at once when nothing received is uncommitted. Rejects with a 503 after
   * {@linkcode READ_YOUR_WRITES_BOUND_MS}.
   */
  async #eventsCommitted(): Promise<void> {
    const progress = this.options.progress;
    if (progress.depth === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<never>((_, reject) =>
      timer = setTimeout(
        () =>
          reject(
            new ServiceError(
              503,
              `Events received before this request are not committed after ${READ_YOUR_WRITES_BOUND_MS / 1000} s`,
            ),
          ),
        READ_YOUR_WRITES_BOUND_MS,
      )
    );
    try {
      await Promise.race([progress.settled(), bound]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A plugin's database as handlers see it: reads, and writes through its writer. */
function storeOf(plugin: PluginDatabase): Store {
  return { db: plugin.db.read, write: (work, options) => plugin.writer.run(work, options) };
}
