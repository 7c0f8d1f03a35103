/** What waits in the writer's queue: events, dead letters, packed runs of events, and write work. */
import type { EventFunction, WriteOptions } from "../../function/define.ts";
import type { Sql } from "../../function/sql.ts";

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

/** Work run in a write transaction of its own (a request's `ctx.write`). */
export interface WorkEntry {
  kind: "work";
  work: (tx: Sql) => Promise<unknown>;
  transaction: boolean;
  busyRetry?: WriteOptions["busyRetry"];
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Hooks of `Writer.applyBatch`, run inside its transaction. */
export interface BatchHooks {
  /** Which of the events were applied before (a redelivery); they are skipped. */
  alreadyApplied(tx: Sql): Promise<boolean[]>;
  /** Records that the batch was applied, in the same transaction. */
  recordApplied(tx: Sql): Promise<void>;
}

/** How an entry ended, reported after its transaction committed. */
export type Outcome = "ok" | "dead_letter";

/** How each event of a `Writer.applyBatch` call ended. */
export type BatchOutcome = Outcome | "duplicate";

/** Events applied in a transaction of their own with hooks (a JetStream fetch). */
export interface BatchEntry {
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
export interface PackedEvents {
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

/** An event or a dead letter: what one event batch is made of. */
export type BatchItem = EventEntry | DeadLetterEntry;

/** Any queued entry; `seq` is its place in arrival order (for a packed run, its first event's). */
export type Entry = (EventEntry | DeadLetterEntry | WorkEntry | BatchEntry | PackedEvents) & { seq?: number };
