/**
 * The ingest thread, seen from the service: a Worker (shared/ingest/worker.ts) that runs the ingest
 * pipeline on its own database connection, so that requests on the service's thread never wait while
 * a batch's synchronous native calls run. The service's thread receives events on the same NATS
 * connection as requests and hands them over packed (shared/ingest/batch.ts); the received and
 * committed counts are shared (shared/ingest/progress.ts); logs and signals come back as messages.
 */
import type { Config, Tuning } from "../config.ts";
import type { LoadedFunction } from "../runtime/discover.ts";
import type { LogFields, Logger } from "../log.ts";
import { withTimeout } from "../runtime/retry.ts";
import type { EventEntry } from "../storage/writer.ts";
import type { EventFunction } from "../function/define.ts";
import { BatchPacker, type EventBatch } from "./batch.ts";
import type { Ingest } from "./pipeline.ts";
import { IngestProgress } from "./progress.ts";
import { deliverSignals, type IngestSignals, type SignalMessage } from "./signals.ts";

const STATUS_TIMEOUT_MS = 2000;

/** An event function the thread imports again: the service found it and checked it. */
export type EventFile = Omit<LoadedFunction, "fn">;

/** Messages from the service's thread. */
export type ToThread =
  | {
    type: "start";
    config: Config;
    tuning: Tuning;
    servers: string;
    events: EventFile[];
    progress: SharedArrayBuffer;
    /** One slot: how many writes of the service's thread want the write lock. */
    writing: SharedArrayBuffer;
  }
  | { type: "events"; batch: EventBatch }
  | { type: "status" | "stop"; id: number };

/** Messages from the thread. */
export type FromThread =
  | { type: "log"; level: "debug" | "info" | "warn" | "error"; msg: string; fields?: LogFields }
  | { type: "signals"; messages: SignalMessage[] }
  | { type: "started" | "flowing" }
  | { type: "reply"; id: number; value?: string[] };

/** Options for {@linkcode IngestThread}. */
export interface IngestThreadOptions {
  config: Config;
  /** The service's tuning: the thread's JetStream consumer and CPU priority follow it. */
  tuning: Tuning;
  servers: string;
  /** The functions this instance serves; the thread imports only the event functions among them. */
  functions: LoadedFunction[];
  log: Logger;
  /** Where the thread's signals go. */
  signals: IngestSignals;
}

/** The running ingest thread: the pipeline's {@linkcode Ingest}, committing on another thread. */
export class IngestThread implements Ingest {
  readonly #worker: Worker;
  readonly progress = new IngestProgress();
  readonly #writing = new Int32Array(new SharedArrayBuffer(4));
  readonly #packer: BatchPacker;
  readonly #replies = new Map<number, (value?: string[]) => void>();
  #nextId = 0;
  #failure?: Error;
  #stopped = false;
  #running = false;
  /** Resolves with the error that ended the thread, if it ever fails. */
  readonly failed: Promise<Error>;
  /** Resolves once the thread can take events. */
  readonly started: Promise<void>;
  readonly flowing: Promise<void>;

  constructor(readonly options: IngestThreadOptions) {
    this.#worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
    let fail!: (error: Error) => void, start!: () => void, flow!: () => void;
    this.failed = new Promise((resolve) => fail = resolve);
    this.started = new Promise((resolve) => start = resolve);
    this.flowing = new Promise((resolve) => flow = resolve);
    this.#worker.onmessage = (event: MessageEvent<FromThread>) => this.#receive(event.data, start, flow);
    this.#worker.onerror = (event) => {
      // Handled here, or the error would end the whole process without the service's last words.
      event.preventDefault();
      this.#failure = new Error(`ingest thread stopped: ${event.message}`);
      options.log.error("Ingest thread failed", { error: event.message });
      for (const resolve of this.#replies.values()) resolve();
      this.#replies.clear();
      this.progress.release();
      fail(this.#failure);
    };
    const events = options.functions.filter((f) => f.fn.kind === "event");
    this.#packer = new BatchPacker(
      events.map((f) => ({ fn: f.fn as EventFunction, params: f.params })),
      (batch) => this.#worker.postMessage({ type: "events", batch } satisfies ToThread, transferOf(batch)),
    );
    this.#post({
      type: "start",
      config: options.config,
      tuning: options.tuning,
      servers: options.servers,
      events: events.map(({ file, subject, params }) => ({ file, subject, params })),
      progress: this.progress.buffer,
      writing: this.#writing.buffer as SharedArrayBuffer,
    });
  }

  /** Whether events handed over now will be written: the thread runs and is not stopping. */
  get taking(): boolean {
    return this.#running && !this.#stopped && !this.#failure;
  }

  /** Hands an event to the thread, with the others received in the same turn of the event loop. */
  event(entry: Omit<EventEntry, "kind">): void {
    this.progress.received(1);
    this.#packer.add(entry);
  }

  /** Runs `work` while the thread pauses between its batches, so the service's thread gets the write lock soon. */
  async whileWriting<T>(work: () => Promise<T>): Promise<T> {
    Atomics.add(this.#writing, 0, 1);
    try {
      return await work();
    } finally {
      Atomics.sub(this.#writing, 0, 1);
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
    this.#packer.flush();
    this.#stopped = true;
    // Before it has started, the thread holds nothing worth waiting for (and may be waiting for NATS).
    if (this.#running && !this.#failure) await this.#ask("stop");
    this.progress.release();
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

  #receive(message: FromThread, start: () => void, flow: () => void) {
    switch (message.type) {
      case "log":
        return this.options.log[message.level](message.msg, message.fields);
      case "signals":
        return deliverSignals(message.messages, this.options.signals);
      case "started":
        this.#running = true;
        return start();
      case "flowing":
        return flow();
      case "reply": {
        const resolve = this.#replies.get(message.id);
        this.#replies.delete(message.id);
        return resolve?.(message.value);
      }
    }
  }
}

function transferOf(batch: EventBatch): ArrayBuffer[] {
  return [batch.functions.buffer, batch.ends.buffer, batch.bytes.buffer] as ArrayBuffer[];
}
