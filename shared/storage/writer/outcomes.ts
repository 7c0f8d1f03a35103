/** Outcome bookkeeping: which event of a committed batch was stored and which became a dead letter, with which code. */
import type { BatchOutcome, Outcome } from "./entries.ts";
import { failureCode } from "./dead_letters.ts";
import type { CommittedEvents } from "./transaction.ts";

/** Receives outcomes after commit: once per dead letter, and once per subject for its `count` events that went in. */
export type OutcomeListener = (
  subject: string,
  outcome: Outcome,
  code?: string,
  error?: string,
  count?: number,
) => void;

/** Reports a committed batch to `onOutcome`: each dead letter with its code, then one "ok" count per subject. */
export function reportOutcomes({ applied, failed }: CommittedEvents, onOutcome: OutcomeListener | undefined): void {
  if (!onOutcome) return;
  const ok = new Map<string, number>();
  applied.forEach((entry, i) => {
    if (entry.kind === "dead_letter") return onOutcome(entry.subject, "dead_letter", entry.code, entry.error);
    const error = failed?.get(i);
    if (error === undefined) ok.set(entry.subject, (ok.get(entry.subject) ?? 0) + 1);
    else onOutcome(entry.subject, "dead_letter", failureCode(error), (error as Error).message);
  });
  for (const [subject, count] of ok) onOutcome(subject, "ok", undefined, undefined, count);
}

/** Each event's outcome, in the order the batch was given: "duplicate" for those skipped as applied before. */
export function batchOutcomes({ decoded, skipped, applied, failed }: CommittedEvents): BatchOutcome[] {
  const outcomes: BatchOutcome[] = [];
  let j = 0;
  for (let i = 0; i < decoded.length; i++) {
    if (skipped[i]) outcomes.push("duplicate");
    else {
      const entry = applied[j];
      outcomes.push(entry.kind === "dead_letter" || failed?.has(j) ? "dead_letter" : "ok");
      j++;
    }
  }
  return outcomes;
}
