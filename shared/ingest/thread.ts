/**
 * The ingest thread, seen from the service: a Worker (shared/ingest/worker.ts) that writes events
 * on its own database connection, so that requests on the main thread never wait while a batch's
 * synchronous native calls run. The main thread receives events on the same NATS connection as
 * requests and hands them over in packed batches; shared counters say how many the thread has
 * committed and when the main thread wants the write lock. Logs, metrics and endpoint stats come
 * back as messages.
 */
import type { Config, Tuning } from "../config.ts";
import type { LoadedFunction } from "../runtime/discover.ts";
import type { EventFunction } from "../function/define.ts";
import type { LogFields, Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { withTimeout } from "../runtime/retry.ts";
import type { EventEntry, Outcome } from "../storage/writer.ts";

const STATUS_TIMEOUT_MS = 2000;
/** First size of a batch's payload buffer; it doubles as needed. */
const BATCH_BYTES = 64 * 1024;

/**
 * Slots of the shared Int32Array. Event counts wrap around at 2^31 and are compared by difference.
 * `fetched` counts events the thread took from a JetStream stream; the main thread counts those it
 * forwarded; `committed` counts both, in the order they were queued.
 */
export const SHARED = { mainWriting: 0, fetched: 1, committed: 2 } as const;
/** Longest single wait on a shared slot, so that a thread that died is noticed. */
const WAIT_SLICE_MS = 1000;

/** A call recorded in the thread and replayed on the main thread. */
export type RelayedCall =
  | ["metric", field: string, method: string, args: unknown[]]
  | ["outcome", subject: string, outcome: Outcome, code?: string, error?: string, count?: number]
  | ["handled", subject: string, seconds: number, events: number];

/** An event function the thread imports again: the main thread found it and checked it. */
export type EventFile = Omit<LoadedFunction, "fn">;

/**
 * Events received by the main thread, in arrival order: event `i` is of `events[functions[i]]`, its
 * payload is `bytes` from `ends[i - 1]` (or 0) to `ends[i]`, and its subject is `subjects[i]` for
 * functions with `[name]` tokens (else the function's own).
 */
export interface EventBatch {
  functions: Uint16Array;
  ends: Uint32Array;
  bytes: Uint8Array;
  subjects?: string[];
}

/** Messages from the main thread. */
export type ToThread =
  | { type: "start"; config: Config; tuning: Tuning; servers: string; events: EventFile[]; shared: SharedArrayBuffer }
  | { type: "events"; batch: EventBatch }
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
  /** The service's tuning: the thread's router, JetStream consumer and CPU priority follow it. */
  tuning: Tuning;
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

/** The running ingest thread: a queue of events, like the writer, whose commits happen elsewhere. */
export class IngestThread {
  readonly #worker: Worker;
  readonly #shared = new Int32Array(new SharedArrayBuffer(3 * 4));
  readonly #replies = new Map<number, (value?: string[]) => void>();
  /** Each event function's index in the list the thread imported, and whether its subject has parameters. */
  readonly #functions = new Map<EventFunction, { index: number; hasParams: boolean }>();
  #batch = emptyBatch();
  /** Events handed to the thread (or waiting in `#batch` to be). */
  #forwarded = 0;
  #waiters: { target: number; resolve(): void }[] = [];
  #watching = false;
  #nextId = 0;
  #failure?: Error;
  #stopped = false;
  #running = false;
  /** Resolves with the error that ended the thread, if it ever fails. */
  readonly failed: Promise<Error>;
  /** Resolves once the thread can take events. */
  readonly started: Promise<void>;

  constructor(readonly options: IngestThreadOptions) {
    this.#worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
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
      this.#releaseWaiters();
      fail(this.#failure);
    };
    const { config, tuning, servers } = options;
    const events = options.functions.filter((f) => f.fn.kind === "event");
    events.forEach((f, index) => this.#functions.set(f.fn as EventFunction, { index, hasParams: f.params.size > 0 }));
    this.#post({
      type: "start",
      config,
      tuning,
      servers,
      events: events.map(({ file, subject, params }) => ({ file, subject, params })),
      shared: this.#shared.buffer as SharedArrayBuffer,
    });
  }

  /** Whether events handed over now will be written: the thread runs and is not stopping. */
  get taking(): boolean {
    return this.#running && !this.#stopped && !this.#failure;
  }

  /** Hands an event to the thread, with the others received in the same turn of the event loop. */
  event(entry: Omit<EventEntry, "kind">): void {
    const batch = this.#batch;
    const { index, hasParams } = this.#functions.get(entry.fn)!;
    const used = batch.ends.at(-1) ?? 0;
    if (used + entry.raw.length > batch.bytes.length) {
      const grown = new Uint8Array(Math.max(batch.bytes.length * 2, used + entry.raw.length));
      grown.set(batch.bytes.subarray(0, used));
      batch.bytes = grown;
    }
    batch.bytes.set(entry.raw, used);
    batch.ends.push(used + entry.raw.length);
    if (batch.functions.push(index) === 1) queueMicrotask(() => this.#hand());
    if (hasParams) (batch.subjects ??= [])[batch.functions.length - 1] = entry.subject;
    this.#forwarded = (this.#forwarded + 1) | 0;
  }

  #hand() {
    const { functions, ends, bytes, subjects } = this.#batch;
    if (functions.length === 0) return;
    // The used part travels as a copy: the buffer stays for the next batch, so that a flood does not
    // leave a trail of large buffers in the thread waiting for its garbage collector.
    this.#batch = emptyBatch(bytes);
    const batch: EventBatch = {
      functions: Uint16Array.from(functions),
      ends: Uint32Array.from(ends),
      bytes: bytes.slice(0, ends.at(-1)),
      subjects,
    };
    const transfer = [batch.functions.buffer, batch.ends.buffer, batch.bytes.buffer] as ArrayBuffer[];
    this.#worker.postMessage({ type: "events", batch } satisfies ToThread, transfer);
  }

  /** Events handed to the thread (or taken from a stream by it) and not yet committed. */
  get depth(): number {
    return (this.#target() - Atomics.load(this.#shared, SHARED.committed)) | 0;
  }

  #target(): number {
    return (this.#forwarded + Atomics.load(this.#shared, SHARED.fetched)) | 0;
  }

  /** Resolves once every event handed over (or fetched by the thread) before this call is committed. */
  settled(): Promise<void> {
    const target = this.#target();
    if (reached(Atomics.load(this.#shared, SHARED.committed), target) || !this.taking) return Promise.resolve();
    this.#hand();
    return new Promise((resolve) => {
      this.#waiters.push({ target, resolve });
      if (!this.#watching) this.#watch();
    });
  }

  /** Resolves the waiters as the thread's commits pass their targets, which only grow. */
  async #watch() {
    this.#watching = true;
    const shared = this.#shared, waiters = this.#waiters;
    while (waiters.length > 0 && this.taking) {
      const committed = Atomics.load(shared, SHARED.committed);
      while (waiters.length > 0 && reached(committed, waiters[0].target)) waiters.shift()!.resolve();
      if (waiters.length === 0) break;
      const wait = Atomics.waitAsync(shared, SHARED.committed, committed, WAIT_SLICE_MS);
      if (wait.async) await wait.value;
    }
    this.#releaseWaiters();
    this.#watching = false;
  }

  /** Resolves every waiter: no commit will come (the thread stopped or died), or none is awaited. */
  #releaseWaiters() {
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
    Atomics.notify(this.#shared, SHARED.committed);
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

  /** Why the thread is not ingesting; empty when it is. */
  async notReady(): Promise<string[]> {
    if (this.#failure) return [this.#failure.message];
    if (this.#stopped) return ["ingest thread: stopped"];
    const status = withTimeout(this.#ask("status"), STATUS_TIMEOUT_MS, "ingest thread: no answer within 2 s");
    return await status.catch((error) => [(error as Error).message]) ?? [];
  }

  /** Commits every event handed over, stops the thread's stream consumer and closes its connections. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#hand();
    this.#stopped = true;
    this.#releaseWaiters();
    // Before it has started, the thread holds nothing worth waiting for (and may be waiting for NATS).
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

function emptyBatch(bytes = new Uint8Array(BATCH_BYTES)) {
  return {
    functions: [] as number[],
    ends: [] as number[],
    bytes,
    subjects: undefined as string[] | undefined,
  };
}

/** Whether a wrapping event count has reached `target`. */
function reached(count: number, target: number): boolean {
  return ((count - target) | 0) >= 0;
}

function dropTag<T extends unknown[]>(call: [string, ...T]): T {
  return call.slice(1) as T;
}
