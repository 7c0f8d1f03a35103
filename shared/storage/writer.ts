/**
 * The single in-process writer. Every write goes through it because libSQL's native calls
 * are synchronous and concurrent write transactions fail with SQLITE_BUSY. Events waiting
 * when it wakes are committed together; a failing event becomes a dead letter while its
 * neighbours commit.
 */
import type { Database } from "./db.ts";
import { decodeInput } from "../function/decode.ts";
import { isBusy, ServiceError, toServiceError } from "../function/errors.ts";
import type { EventContext, EventFunction, WriteOptions } from "../function/define.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Sql } from "../function/sql.ts";

/**
 * An event waiting to be written. Its payload is decoded and validated only when its batch is
 * formed, so that a backlog holds raw bytes rather than parsed objects.
 */
export interface EventEntry {
  kind: "event";
  fn: EventFunction;
  subject: string;
  params: Record<string, string>;
  raw: Uint8Array;
  /** The validated input, when the caller already has it. */
  input?: unknown;
}

/** Input that could not be applied, to be stored in `dead_letters`. */
export interface DeadLetterEntry {
  kind: "dead_letter";
  subject: string;
  raw: Uint8Array;
  code: string;
  error: string;
  receivedAt: number;
}

interface WorkEntry {
  kind: "work";
  work: (tx: Sql) => Promise<unknown>;
  transaction: boolean;
  busyRetry?: WriteOptions["busyRetry"];
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Hooks of {@linkcode Writer.applyBatch}, run inside its transaction. */
export interface BatchHooks {
  /** Which of the events were applied before (a redelivery); they are skipped. */
  alreadyApplied(tx: Sql): Promise<boolean[]>;
  /** Records that the batch was applied, in the same transaction. */
  recordApplied(tx: Sql): Promise<void>;
}

/** How each event of an {@linkcode Writer.applyBatch} call ended. */
export type BatchOutcome = Outcome | "duplicate";

interface BatchEntry {
  kind: "batch";
  events: EventEntry[];
  hooks: BatchHooks;
  resolve(outcomes: BatchOutcome[]): void;
  reject(error: unknown): void;
}

/**
 * Consecutive undecoded events of one subject, their payloads end to end in one buffer: a backlog
 * of 100,000 events is then a few buffers rather than 100,000 objects each holding a view on (and
 * so the whole of) the socket chunk it arrived in. `seq` is the first event's.
 */
interface PackedEvents {
  kind: "packed";
  fn: EventFunction;
  subject: string;
  params: Record<string, string>;
  bytes: Uint8Array;
  /** Start offset of the first event's payload in `bytes`. */
  first: number;
  /** End offset of each event's payload in `bytes`; an array while events may still be appended. */
  ends: number[] | Uint32Array;
  /** Events already committed. */
  taken: number;
}

type Entry = (EventEntry | DeadLetterEntry | WorkEntry | BatchEntry | PackedEvents) & { seq?: number };

/** A packed run grows by doubling up to this many bytes; the next event starts a new run. */
const PACKED_BYTES_MAX = 256 * 1024;

/** How an entry ended, reported after its transaction committed. */
export type Outcome = "ok" | "dead_letter";

/** Options for {@linkcode Writer}. */
export interface WriterOptions {
  config: Config;
  log: Logger;
  /** Most events in one transaction. */
  batchMax?: number;
  /** Called after commit: once per dead letter, and once per subject for its `count` events that went in. */
  onOutcome?(subject: string, outcome: Outcome, code?: string, error?: string, count?: number): void;
  /** Called after each handler call (one event, or one `handleBatch` run). */
  onHandled?(subject: string, seconds: number, events: number): void;
  onBusyRetry?(): void;
  /** Whether requests are waiting for the event loop: the writer then pauses longer between batches. */
  requestsWaiting?(): boolean;
  /** Whether another writer of the same database wants the lock: the writer then waits between batches. */
  othersWriting?(): boolean;
}

const RETRY_MAX_MS = 5000;
/** Longest wait between two batches for another writer, so that neither starves. */
const GIVE_WAY_MAX_MS = 250;

/** Serializes all writes and batches events. */
export class Writer {
  #queue: Entry[] = [];
  /** Index of the first entry not yet committed; the array is compacted as it advances. */
  #head = 0;
  #draining = false;
  #enqueued = 0;
  #committed = 0;
  #waiters: { seq: number; resolve(): void }[] = [];
  /** Events and writes queued and not yet committed. */
  #depth = 0;

  constructor(readonly db: Database, readonly options: WriterOptions) {}

  /** Events and writes waiting to be committed. */
  get depth(): number {
    return this.#depth;
  }

  /** Queues an event. */
  event(entry: Omit<EventEntry, "kind">): void {
    if (entry.input === undefined && this.#pack(entry)) return;
    this.#push({ kind: "event", ...entry });
  }

  /** Appends an undecoded event to the packed run at the tail of the queue; false when it cannot. */
  #pack(entry: Omit<EventEntry, "kind" | "input">): boolean {
    const tail = this.#queue.length > this.#head ? this.#queue[this.#queue.length - 1] : undefined;
    let run = tail?.kind === "packed" && Array.isArray(tail.ends) && tail.fn === entry.fn &&
        tail.subject === entry.subject
      ? tail as PackedEvents & { ends: number[] }
      : undefined;
    const used = run ? run.ends[run.ends.length - 1] : 0;
    const needed = used + entry.raw.length;
    if (run && needed > run.bytes.length) {
      if (needed > PACKED_BYTES_MAX) run = undefined;
      else {
        const grown = new Uint8Array(Math.min(PACKED_BYTES_MAX, Math.max(needed, run.bytes.length * 2)));
        grown.set(run.bytes.subarray(0, used));
        run.bytes = grown;
      }
    }
    if (!run) {
      if (entry.raw.length > PACKED_BYTES_MAX / 4) return false;
      const { fn, subject, params } = entry;
      run = {
        kind: "packed",
        fn,
        subject,
        params,
        bytes: new Uint8Array(Math.max(256, entry.raw.length * 4)),
        first: 0,
        ends: [] as number[],
        taken: 0,
      };
      this.#push(run);
      run.bytes.set(entry.raw, 0);
      run.ends.push(entry.raw.length);
      return true;
    }
    run.bytes.set(entry.raw, used);
    run.ends.push(needed);
    this.#enqueued++;
    this.#depth++;
    return true;
  }

  /**
   * Queues undecoded events of one subject as they are: event `i`'s payload lies in `bytes` from
   * `ends[i - 1]` (or `first`) to `ends[i]`. The ingest thread's batches arrive that way.
   */
  packedEvents(run: Omit<PackedEvents, "kind" | "taken"> & { ends: Uint32Array }): void {
    if (run.ends.length === 0) return;
    this.#push({ kind: "packed", ...run, taken: 0 });
    this.#enqueued += run.ends.length - 1;
    this.#depth += run.ends.length - 1;
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

  /** Resolves once everything queued before this call is committed. */
  settled(): Promise<void> {
    const seq = this.#enqueued;
    if (this.#committed >= seq) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ seq, resolve }));
  }

  #push(entry: Entry) {
    entry.seq = ++this.#enqueued;
    this.#depth++;
    this.#queue.push(entry);
    if (!this.#draining) {
      this.#draining = true;
      queueMicrotask(() => this.#drain());
    }
  }

  async #drain() {
    let failures = 0;
    while (this.depth > 0) {
      const batch = this.#takeBatch();
      try {
        await this.#commit(batch);
        failures = 0;
        this.#advance(batch.length);
        this.#markCommitted(batch[batch.length - 1].seq!);
        await this.#giveWay();
        // Let NATS, HTTP and requests in between batches: the native calls above blocked the loop.
        if (this.depth > 0) await yieldToIo(this.options.requestsWaiting?.() ?? false);
      } catch (error) {
        // The database itself failed (unreachable, disk full): keep the batch and try again.
        failures++;
        const delay = Math.min(RETRY_MAX_MS, 50 * 2 ** Math.min(failures, 10));
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

  async #giveWay() {
    const othersWriting = this.options.othersWriting;
    const since = performance.now();
    while (othersWriting?.() && performance.now() - since < GIVE_WAY_MAX_MS) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** The next batch: one work or batch entry, or up to BATCH_MAX events and dead letters in order. */
  #takeBatch(): Entry[] {
    const queue = this.#queue, head = queue[this.#head];
    if (head.kind === "work" || head.kind === "batch") return [head];
    const max = this.options.batchMax ?? this.options.config.BATCH_MAX;
    const batch: Entry[] = [];
    for (let i = this.#head; i < queue.length && batch.length < max; i++) {
      const entry = queue[i];
      if (entry.kind === "work" || entry.kind === "batch") break;
      if (entry.kind !== "packed") {
        batch.push(entry);
        continue;
      }
      const { fn, subject, params, bytes, first, ends } = entry;
      for (let e = entry.taken; e < ends.length && batch.length < max; e++) {
        const raw = bytes.subarray(e === 0 ? first : ends[e - 1], ends[e]);
        batch.push({ kind: "event", fn, subject, params, raw, seq: entry.seq! + e });
      }
    }
    return batch;
  }

  /** Drops `count` committed events or entries from the head of the queue. */
  #advance(count: number) {
    this.#depth -= count;
    while (count > 0) {
      const entry = this.#queue[this.#head];
      if (entry.kind === "packed") {
        const taken = Math.min(count, entry.ends.length - entry.taken);
        entry.taken += taken;
        count -= taken;
        if (entry.taken < entry.ends.length) break;
      } else count--;
      this.#head++;
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

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
        first.resolve(await this.#commitEvents(first.events, first.hooks));
      } catch (error) {
        if (!isBusy(error)) return first.reject(error);
        throw error;
      }
      return;
    }
    await this.#commitEvents(batch as (EventEntry | DeadLetterEntry)[]);
  }

  /** One transaction for the events; on any failure again with a savepoint per event. */
  async #commitEvents(entries: (EventEntry | DeadLetterEntry)[], hooks?: BatchHooks): Promise<BatchOutcome[]> {
    const receivedAt = Math.floor(Date.now() / 1000);
    const decoded = entries.map((entry) => this.#decode(entry, receivedAt));
    let skip: boolean[] = [];
    let failed: Map<number, unknown> | undefined;
    const attempt = (isolated: boolean) =>
      this.db.transaction(async (tx) => {
        skip = (await hooks?.alreadyApplied(tx)) ?? [];
        failed = await this.#apply(tx, decoded.filter((_, i) => !skip[i]), receivedAt, isolated);
        await hooks?.recordApplied(tx);
      });
    try {
      await attempt(false);
      failed = undefined;
    } catch (error) {
      if (isBusy(error)) throw error;
      // Some event failed: apply each one inside its own savepoint so the rest commit.
      await attempt(true);
    }
    const applied = decoded.filter((_, i) => !skip[i]);
    this.#report(applied, failed);
    const outcomes: BatchOutcome[] = [];
    let j = 0;
    for (let i = 0; i < decoded.length; i++) {
      if (skip[i]) outcomes.push("duplicate");
      else {
        const entry = applied[j];
        outcomes.push(entry.kind === "dead_letter" || failed?.has(j) ? "dead_letter" : "ok");
        j++;
      }
    }
    return outcomes;
  }

  /**
   * Applies `events` in one transaction of their own, with `hooks` inside it, after everything
   * queued before; resolves after commit with each event's outcome.
   */
  applyBatch(events: EventEntry[], hooks: BatchHooks): Promise<BatchOutcome[]> {
    return new Promise((resolve, reject) => this.#push({ kind: "batch", events, hooks, resolve, reject }));
  }

  /** Validates an event's payload; one that does not fit becomes a dead letter. */
  #decode(entry: EventEntry | DeadLetterEntry, receivedAt: number): EventEntry | DeadLetterEntry {
    if (entry.kind === "dead_letter" || entry.input !== undefined) return entry;
    const max = this.options.config.MAX_PAYLOAD_BYTES;
    try {
      return { ...entry, input: decodeInput(entry.fn.input, entry.raw, max) };
    } catch (error) {
      const failure = toServiceError(error);
      const raw = entry.raw.length > max ? entry.raw.subarray(0, max) : entry.raw;
      return {
        kind: "dead_letter",
        subject: entry.subject,
        raw,
        code: failure.code,
        error: failure.message,
        receivedAt,
      };
    }
  }

  /** Applies the events in arrival order; in isolated mode each in a savepoint, failures recorded as dead letters. */
  async #apply(tx: Sql, events: (EventEntry | DeadLetterEntry)[], receivedAt: number, isolated: boolean) {
    const failed = new Map<number, unknown>();
    for (let start = 0; start < events.length;) {
      const head = events[start];
      let end = start + 1;
      if (head.kind === "dead_letter") {
        await insertDeadLetter(tx, head);
        start = end;
        continue;
      }
      while (end < events.length && sameRun(head, events[end])) end++;
      const ctx: EventContext = {
        db: tx,
        subject: head.subject,
        params: head.params,
        receivedAt,
        config: this.options.config,
        log: this.options.log,
      };
      const run = events.slice(start, end) as EventEntry[];
      if (!isolated && head.fn.handleBatch && run.length > 1) {
        await this.#timed(head.subject, run.length, () => head.fn.handleBatch!(run.map((e) => e.input), ctx));
      } else {
        for (let i = start; i < end; i++) {
          const entry = events[i] as EventEntry;
          if (!isolated) {
            await this.#timed(entry.subject, 1, () => entry.fn.handle(entry.input, ctx));
            continue;
          }
          await tx.run("SAVEPOINT event");
          try {
            await this.#timed(entry.subject, 1, () => entry.fn.handle(entry.input, ctx));
            await tx.run("RELEASE event");
          } catch (error) {
            await tx.run("ROLLBACK TO event");
            await tx.run("RELEASE event");
            if (isBusy(error)) throw error;
            failed.set(i, error);
            await insertDeadLetter(tx, {
              subject: entry.subject,
              raw: entry.raw,
              code: failureCode(error),
              error: (error as Error).message ?? String(error),
              receivedAt,
            });
          }
        }
      }
      start = end;
    }
    return failed;
  }

  async #timed(subject: string, events: number, call: () => Promise<void>) {
    const started = performance.now();
    try {
      await call();
    } finally {
      this.options.onHandled?.(subject, (performance.now() - started) / 1000, events);
    }
  }

  #report(events: (EventEntry | DeadLetterEntry)[], failed: Map<number, unknown> | undefined) {
    const onOutcome = this.options.onOutcome;
    if (!onOutcome) return;
    const ok = new Map<string, number>();
    events.forEach((entry, i) => {
      if (entry.kind === "dead_letter") return onOutcome(entry.subject, "dead_letter", entry.code, entry.error);
      const error = failed?.get(i);
      if (error === undefined) ok.set(entry.subject, (ok.get(entry.subject) ?? 0) + 1);
      else onOutcome(entry.subject, "dead_letter", failureCode(error), (error as Error).message);
    });
    for (const [subject, count] of ok) onOutcome(subject, "ok", undefined, undefined, count);
  }

  #markCommitted(seq: number) {
    this.#committed = seq;
    if (this.#waiters.length === 0) return;
    const still = [];
    for (const waiter of this.#waiters) {
      if (waiter.seq <= seq) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }
}

/** The dead-letter code of a handler failure: a ServiceError's own code, else "handler_error". */
function failureCode(error: unknown): string {
  return error instanceof ServiceError ? error.code : "handler_error";
}

function sameRun(a: EventEntry, b: EventEntry | DeadLetterEntry) {
  return b.kind === "event" && b.subject === a.subject && b.fn === a.fn;
}

function insertDeadLetter(tx: Sql, entry: Omit<DeadLetterEntry, "kind">) {
  return tx.run(
    "INSERT INTO dead_letters (subject, payload, error_code, error, received_at) VALUES (?, ?, ?, ?, ?)",
    [entry.subject, entry.raw, entry.code, entry.error, entry.receivedAt],
  );
}

/**
 * Lets the event loop read its sockets before the next batch. Deno polls sockets only on a loop
 * turn that waits for an operation: setImmediate never waits (under a flood the requests' socket
 * went unread for 0.4–0.9 s). An operation that completes at once, such as hashing one byte,
 * costs about 0.15 ms; a timer waits at least a tick (about 2 ms here), which on a busy machine
 * also hands the CPU to nats-server and the requesters, so it is used while requests are waiting.
 */
function yieldToIo(requestsWaiting: boolean): Promise<unknown> {
  if (requestsWaiting) return new Promise((resolve) => setTimeout(resolve, 0));
  return crypto.subtle.digest("SHA-256", ONE_BYTE);
}

const ONE_BYTE = new Uint8Array(1);
