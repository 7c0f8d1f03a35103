/**
 * The ingest thread, seen from the service: a Worker (shared/ingest_worker.ts) that subscribes the
 * event subjects and writes events on its own database connection, so that requests on the main
 * thread never wait while a batch's synchronous native calls run. Logs, metrics and endpoint stats
 * come back as messages; shared counters say how deep its queue is, when the main thread wants the
 * write lock, and which read-after-write asks it has answered.
 */
import type { Config } from "./config.ts";
import type { LoadedFunction } from "./discover.ts";
import type { LogFields, Logger } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import { withTimeout } from "./retry.ts";
import type { Outcome } from "./writer.ts";

const STATUS_TIMEOUT_MS = 2000;

/**
 * Slots of the shared Int32Array. Read-after-write asks go through `barrierAsked` and
 * `barrierDone` with Atomics.waitAsync: a wake-up that way costs about a tenth of a message's.
 */
export const SHARED = { depth: 0, mainWriting: 1, barrierAsked: 2, barrierDone: 3 } as const;
/** Longest single wait on a shared slot, so that a thread that died is noticed. */
export const WAIT_SLICE_MS = 1000;

/** A call recorded in the thread and replayed on the main thread. */
export type RelayedCall =
  | ["metric", field: string, method: string, args: unknown[]]
  | ["outcome", subject: string, outcome: Outcome, code?: string, error?: string, count?: number]
  | ["handled", subject: string, seconds: number, events: number];

/** An event function the thread imports again: the main thread found it and checked it. */
export type EventFile = Omit<LoadedFunction, "fn">;

/** Messages from the main thread. */
export type ToThread =
  | { type: "start"; config: Config; servers: string; events: EventFile[]; shared: SharedArrayBuffer }
  | { type: "status" | "stop"; id: number };

/** Messages from the thread. */
export type FromThread =
  | { type: "log"; level: "debug" | "info" | "warn" | "error"; msg: string; fields?: LogFields }
  | { type: "calls"; calls: RelayedCall[] }
  | { type: "pending"; stage: string; reason?: string }
  | { type: "started" }
  | { type: "reply"; id: number; value?: string[] };

/** Where the thread's outcomes and stage changes go. */
export interface IngestThreadOptions {
  config: Config;
  servers: string;
  /** The functions this instance serves; the thread imports only the event functions among them. */
  functions: LoadedFunction[];
  log: Logger;
  metrics: Metrics;
  onOutcome(subject: string, outcome: Outcome, code?: string, error?: string, count?: number): void;
  onHandled(subject: string, seconds: number, events: number): void;
  /** A start-up stage of the thread failed (reason) or passed (undefined). */
  onPending(stage: string, reason: string | undefined): void;
}

/** The running ingest thread. */
export class IngestThread {
  readonly #worker: Worker;
  readonly #shared = new Int32Array(new SharedArrayBuffer(4 * 4));
  readonly #replies = new Map<number, (value?: string[]) => void>();
  #nextId = 0;
  #failure?: Error;
  #stopped = false;
  #running = false;
  /** Resolves with the error that ended the thread, if it ever fails. */
  readonly failed: Promise<Error>;
  /** Resolves once the thread subscribed its events. */
  readonly started: Promise<void>;

  constructor(readonly options: IngestThreadOptions) {
    this.#worker = new Worker(new URL("./ingest_worker.ts", import.meta.url).href, { type: "module" });
    let fail!: (error: Error) => void, start!: () => void;
    this.failed = new Promise((resolve) => fail = resolve);
    this.started = new Promise((resolve) => start = resolve);
    this.#worker.onmessage = (event: MessageEvent<FromThread>) => this.#receive(event.data, start);
    this.#worker.onerror = (event) => {
      // Handled here, or the error would end the whole process without the service's last words.
      event.preventDefault();
      this.#failure = new Error(`ingest thread stopped: ${event.message}`);
      options.log.error("Ingest thread failed", { error: event.message });
      for (const resolve of this.#replies.values()) resolve();
      this.#replies.clear();
      this.#releaseAsks();
      fail(this.#failure);
    };
    const { config, servers } = options;
    const events = options.functions.filter((f) => f.fn.kind === "event")
      .map(({ file, subject, params }) => ({ file, subject, params }));
    this.#post({ type: "start", config, servers, events, shared: this.#shared.buffer as SharedArrayBuffer });
  }

  /** Events and writes queued in the thread. */
  get depth(): number {
    return Atomics.load(this.#shared, SHARED.depth);
  }

  /** Runs `work` while the thread pauses between its batches, so the main thread gets the write lock soon. */
  async whileWriting<T>(work: () => Promise<T>): Promise<T> {
    Atomics.add(this.#shared, SHARED.mainWriting, 1);
    try {
      return await work();
    } finally {
      Atomics.sub(this.#shared, SHARED.mainWriting, 1);
    }
  }

  /** Resolves once the events the server sent the thread before this call are committed. */
  async committed(): Promise<void> {
    const shared = this.#shared;
    const ask = Atomics.add(shared, SHARED.barrierAsked, 1) + 1;
    Atomics.notify(shared, SHARED.barrierAsked);
    for (let done = Atomics.load(shared, SHARED.barrierDone); done < ask && this.#answering();) {
      const wait = Atomics.waitAsync(shared, SHARED.barrierDone, done, WAIT_SLICE_MS);
      if (wait.async) await wait.value;
      done = Atomics.load(shared, SHARED.barrierDone);
    }
  }

  /** Whether the thread answers read-after-write asks: it has subscribed and is neither stopping nor dead. */
  #answering(): boolean {
    return this.#running && !this.#stopped && !this.#failure;
  }

  /** Wakes every read-after-write ask, which then sees that no answer will come. */
  #releaseAsks() {
    Atomics.notify(this.#shared, SHARED.barrierDone);
  }

  /** Why the thread is not ingesting; empty when it is. */
  async notReady(): Promise<string[]> {
    if (this.#failure) return [this.#failure.message];
    if (this.#stopped) return ["ingest thread: stopped"];
    const status = withTimeout(this.#ask("status"), STATUS_TIMEOUT_MS, "ingest thread: no answer within 2 s");
    return await status.catch((error) => [(error as Error).message]) ?? [];
  }

  /** Drains the event subscriptions, commits what was received and closes the thread's connections. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#releaseAsks();
    // Before it has subscribed, the thread holds nothing worth waiting for (and may be waiting for NATS).
    if (this.#running && !this.#failure) await this.#ask("stop");
    this.#worker.terminate();
  }

  #ask(type: "status" | "stop"): Promise<string[] | undefined> {
    if (this.#failure) return Promise.resolve(undefined);
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#replies.set(id, resolve);
      this.#post({ type, id });
    });
  }

  #post(message: ToThread) {
    this.#worker.postMessage(message);
  }

  #receive(message: FromThread, start: () => void) {
    const { log, metrics } = this.options;
    switch (message.type) {
      case "log":
        return log[message.level](message.msg, message.fields);
      case "calls":
        for (const call of message.calls) {
          if (call[0] === "outcome") this.options.onOutcome(...dropTag(call));
          else if (call[0] === "handled") this.options.onHandled(...dropTag(call));
          else {
            const [, field, method, args] = call;
            // deno-lint-ignore no-explicit-any
            (metrics as any)[field][method](...args);
          }
        }
        return;
      case "pending":
        return this.options.onPending(message.stage, message.reason);
      case "started":
        this.#running = true;
        return start();
      case "reply": {
        const resolve = this.#replies.get(message.id);
        this.#replies.delete(message.id);
        return resolve?.(message.value);
      }
    }
  }
}

function dropTag<T extends unknown[]>(call: [string, ...T]): T {
  return call.slice(1) as T;
}
