/** One event batch in one write transaction; when any event fails, the batch again with a savepoint per event. */
import { isBusy } from "../../function/errors.ts";
import type { Database } from "../db.ts";
import type { Sql } from "../../function/sql.ts";
import type { BatchHooks, BatchItem } from "./entries.ts";
import { decodeEntry } from "./dead_letters.ts";
import { applyEvents, type ApplyOptions } from "./apply.ts";

/** Options for {@linkcode commitEvents}. */
export type CommitOptions = Omit<ApplyOptions, "receivedAt" | "isolated">;

/** What a committed event batch did, for outcome bookkeeping (./outcomes.ts). */
export interface CommittedEvents {
  /** The batch after decoding: events whose payload did not fit became dead letters. */
  decoded: BatchItem[];
  /** Which of `decoded` the hooks found applied before; they were not applied again. */
  skipped: boolean[];
  /** The entries of `decoded` that were applied, in order. */
  applied: BatchItem[];
  /** Events that failed and were rolled back, by index in `applied`; undefined when none failed. */
  failed: Map<number, unknown> | undefined;
}

/**
 * Decodes and applies `entries` in one transaction, with `hooks` inside it. The fast attempt
 * runs without savepoints (and with `handleBatch`); if anything in it throws, the whole
 * transaction rolls back and the batch is applied again with a savepoint per event, so one bad
 * event becomes a dead letter and its neighbours still commit. A busy database throws: the
 * caller keeps the batch and tries it again.
 */
export async function commitEvents(
  db: Database,
  entries: BatchItem[],
  options: CommitOptions,
  hooks?: BatchHooks,
): Promise<CommittedEvents> {
  const receivedAt = Math.floor(Date.now() / 1000);
  const maxBytes = options.config.MAX_PAYLOAD_BYTES;
  const decoded = entries.map((entry) => decodeEntry(entry, receivedAt, maxBytes));
  let skipped: boolean[] = [];
  let failed: Map<number, unknown> | undefined;
  const attempt = (isolated: boolean) =>
    db.transaction(async (tx: Sql) => {
      skipped = (await hooks?.alreadyApplied(tx)) ?? [];
      const events = decoded.filter((_, i) => !skipped[i]);
      failed = await applyEvents(tx, events, { ...options, receivedAt, isolated });
      await hooks?.recordApplied(tx);
    });
  try {
    await attempt(false);
    failed = undefined;
  } catch (error) {
    if (isBusy(error)) throw error;
    await attempt(true);
  }
  return { decoded, skipped, applied: decoded.filter((_, i) => !skipped[i]), failed };
}
