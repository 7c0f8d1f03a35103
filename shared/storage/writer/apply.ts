/** Runs the handlers of one event batch inside its transaction, optionally each in a savepoint. */
import { isBusy } from "../../function/errors.ts";
import type { EventContext } from "../../function/define.ts";
import { type Config, functionSettings } from "../../config.ts";
import type { Logger } from "../../log.ts";
import type { Sql } from "../../function/sql.ts";
import type { BatchItem, EventEntry } from "./entries.ts";
import { failureCode, insertDeadLetter } from "./dead_letters.ts";

/** Options for {@linkcode applyEvents}. */
export interface ApplyOptions {
  config: Config;
  log: Logger;
  /** Unix seconds stored with the batch's rows and dead letters. */
  receivedAt: number;
  /**
   * true: each event in a savepoint of its own, a failing one rolled back and stored as a dead
   * letter while the rest go on. false: the first failure throws, and the caller's transaction
   * rolls back whole (then it tries again isolated).
   */
  isolated: boolean;
  /** Called after each handler call (one event, or one `handleBatch` run). */
  onHandled?(subject: string, seconds: number, events: number): void;
}

/**
 * Applies `events` in arrival order. Consecutive events of one function go to its `handleBatch`
 * when not isolated. Returns the failed events by index in `events` (only ever filled when isolated).
 */
export async function applyEvents(tx: Sql, events: BatchItem[], options: ApplyOptions): Promise<Map<number, unknown>> {
  const { receivedAt, isolated, onHandled } = options;
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
      config: functionSettings(options.config),
      log: options.log,
    };
    const run = events.slice(start, end) as EventEntry[];
    if (!isolated && head.fn.handleBatch && run.length > 1) {
      await timed(onHandled, head.subject, run.length, () => head.fn.handleBatch!(run.map((e) => e.input), ctx));
    } else {
      for (let i = start; i < end; i++) {
        const entry = events[i] as EventEntry;
        if (!isolated) {
          await timed(onHandled, entry.subject, 1, () => entry.fn.handle(entry.input, ctx));
          continue;
        }
        await tx.run("SAVEPOINT event");
        try {
          await timed(onHandled, entry.subject, 1, () => entry.fn.handle(entry.input, ctx));
          await tx.run("RELEASE event");
        } catch (error) {
          await tx.run("ROLLBACK TO event");
          await tx.run("RELEASE event");
          // A busy database is no fault of the event: the whole batch is tried again later.
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

/** Whether `b` continues the run of events that `a` starts (same subject and function, so one `handleBatch` call). */
function sameRun(a: EventEntry, b: BatchItem) {
  return b.kind === "event" && b.subject === a.subject && b.fn === a.fn;
}

/** Runs a handler call and reports how long it took, whether it succeeded or not. */
async function timed(
  onHandled: ApplyOptions["onHandled"],
  subject: string,
  events: number,
  call: () => Promise<void>,
) {
  const started = performance.now();
  try {
    await call();
  } finally {
    onHandled?.(subject, (performance.now() - started) / 1000, events);
  }
}
