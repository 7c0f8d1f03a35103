/**
 * The single in-process writer. Every write goes through it because libSQL's native calls
 * are synchronous and concurrent write transactions fail with SQLITE_BUSY. Events waiting
 * when it wakes are committed together; a failing event becomes a dead letter while its
 * neighbours commit. Its parts live in ./writer/: the queue, the event transaction, outcome
 * bookkeeping, dead letters, read barriers and pacing.
 */
import type { Database } from "./db.ts";
import { isBusy } from "../function/errors.ts";
import type { WriteOptions } from "../function/define.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Sql } from "../function/sql.ts";
import type {
  BatchHooks,
  BatchItem,
  BatchOutcome,
  DeadLetterEntry,
  Entry,
  EventEntry,
  PackedEvents,
} from "./writer/entries.ts";
import { BATCH_MAX, WriteQueue } from "./writer/queue.ts";
import { SettleBarrier } from "./writer/settle.ts";
import { commitEvents } from "./writer/transaction.ts";
import { batchOutcomes, type OutcomeListener, reportOutcomes } from "./writer/outcomes.ts";
import { giveWay, retryDelay, yieldToIo } from "./writer/pacing.ts";

export type { BatchHooks, BatchOutcome, DeadLetterEntry, EventEntry, Outcome } from "./writer/entries.ts";

/** Options for {@linkcode Writer}. */
export interface WriterOptions {
  config: Config;
  log: Logger;
  /** Most events in one transaction (default {@linkcode BATCH_MAX}); tests use a smaller one. */
  batchMax?: number;
  /** Called after commit: once per dead letter, and once per subject for its `count` events that went in. */
  onOutcome?: OutcomeListener;
  /** Called after each handler call (one event, or one `handleBatch` run). */
  onHandled?(subject: string, seconds: number, events: number): void;
  onBusyRetry?(): void;
  /** Whether requests are waiting for the event loop: the writer then pauses longer between batches. */
  requestsWaiting?(): boolean;
  /** Whether another writer of the same database wants the lock: the writer then waits between batches. */
  othersWriting?(): boolean;
}

/** Serializes all writes and batches events. */
export class Writer {
  #queue = new WriteQueue();
  #barrier = new SettleBarrier();
  #draining = false;

  constructor(readonly db: Database, readonly options: WriterOptions) {}

  /** Events and writes waiting to be committed. */
  get depth(): number {
    return this.#queue.depth;
  }

  /** Queues an event. */
  event(entry: Omit<EventEntry, "kind">): void {
    if (entry.input === undefined && this.#queue.pack(entry)) return this.#wake();
    this.#push({ kind: "event", ...entry });
  }

  /**
   * Queues undecoded events of one subject as they are: event `i`'s payload lies in `bytes` from
   * `ends[i - 1]` (or `first`) to `ends[i]`. The ingest thread's batches arrive that way.
   */
  packedEvents(run: Omit<PackedEvents, "kind" | "taken"> & { ends: Uint32Array }): void {
    this.#queue.pushPacked(run);
    this.#wake();
  }

  /** Queues a dead letter. */
  deadLetter(entry: Omit<DeadLetterEntry, "kind">): void {
    this.#push({ kind: "dead_letter", ...entry });
  }

  /** Runs `work` in its own write transaction, after everything queued before it. */
  run<T>(work: (tx: Sql) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    const transaction = options.transaction ?? true;
    return new Promise<T>((resolve, reject) => {
      const entry = { kind: "work" as const, work, transaction, busyRetry: options.busyRetry };
      this.#push({ ...entry, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /**
   * Applies `events` in one transaction of their own, with `hooks` inside it, after everything
   * queued before; resolves after commit with each event's outcome.
   */
  applyBatch(events: EventEntry[], hooks: BatchHooks): Promise<BatchOutcome[]> {
    return new Promise((resolve, reject) => this.#push({ kind: "batch", events, hooks, resolve, reject }));
  }

  /** Resolves once everything queued before this call is committed. */
  settled(): Promise<void> {
    return this.#barrier.until(this.#queue.enqueued);
  }

  #push(entry: Entry) {
    this.#queue.push(entry);
    this.#wake();
  }

  #wake() {
    if (!this.#draining) {
      this.#draining = true;
      queueMicrotask(() => this.#drain());
    }
  }

  async #drain() {
    const queue = this.#queue, max = this.options.batchMax ?? BATCH_MAX;
    let failures = 0;
    while (queue.depth > 0) {
      const batch = queue.take(max);
      try {
        await this.#commit(batch);
        failures = 0;
        queue.advance(batch.length);
        this.#barrier.commit(batch[batch.length - 1].seq!);
        await giveWay(this.options.othersWriting);
        // Let NATS, HTTP and requests in between batches: the native calls above blocked the loop.
        if (queue.depth > 0) await yieldToIo(this.options.requestsWaiting?.() ?? false);
      } catch (error) {
        // The database itself failed (unreachable, disk full): keep the batch and try again.
        failures++;
        const delay = retryDelay(failures);
        this.options.log.error("Write failed; retrying", {
          error: (error as Error).message,
          entries: batch.length,
          delay_ms: delay,
        });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    this.#draining = false;
  }

  /** Commits one batch; throws only when the database failed and the batch must be tried again. */
  async #commit(batch: Entry[]) {
    const first = batch[0];
    if (first.kind === "work") {
      try {
        const run = first.transaction
          ? this.db.transaction(first.work, first.busyRetry)
          : this.db.withoutTransaction(first.work);
        first.resolve(await run);
      } catch (error) {
        // A bounded retry hands the busy error to its caller (503); otherwise the batch is tried again.
        if (!isBusy(error) || first.busyRetry) return first.reject(error);
        throw error;
      }
      return;
    }
    if (first.kind === "batch") {
      try {
        const committed = await commitEvents(this.db, first.events, this.options, first.hooks);
        reportOutcomes(committed, this.options.onOutcome);
        first.resolve(batchOutcomes(committed));
      } catch (error) {
        if (!isBusy(error)) return first.reject(error);
        throw error;
      }
      return;
    }
    reportOutcomes(await commitEvents(this.db, batch as BatchItem[], this.options), this.options.onOutcome);
  }
}
