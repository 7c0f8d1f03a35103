/** Dead-letter rows: input that could not be applied, kept in `dead_letters` rather than dropped. */
import { ServiceError, toServiceError } from "../../function/errors.ts";
import { decodeInput } from "../../function/decode.ts";
import type { Sql } from "../../function/sql.ts";
import type { BatchItem, DeadLetterEntry } from "./entries.ts";

/** The dead-letter code of a handler failure: a ServiceError's own code, else "handler_error". */
export function failureCode(error: unknown): string {
  return error instanceof ServiceError ? error.code : "handler_error";
}

/** Stores one dead letter in the open transaction. */
export function insertDeadLetter(tx: Sql, entry: Omit<DeadLetterEntry, "kind">): Promise<unknown> {
  return tx.run(
    "INSERT INTO dead_letters (subject, payload, error_code, error, received_at) VALUES (?, ?, ?, ?, ?)",
    [entry.subject, entry.raw, entry.code, entry.error, entry.receivedAt],
  );
}

/**
 * Validates an event's payload when its batch is formed; one that does not fit becomes a dead
 * letter, its payload cut to `maxBytes` so that an oversized one is not stored whole.
 */
export function decodeEntry(entry: BatchItem, receivedAt: number, maxBytes: number): BatchItem {
  if (entry.kind === "dead_letter" || entry.input !== undefined) return entry;
  try {
    return { ...entry, input: decodeInput(entry.fn.input, entry.raw, maxBytes) };
  } catch (error) {
    const failure = toServiceError(error);
    const raw = entry.raw.length > maxBytes ? entry.raw.subarray(0, maxBytes) : entry.raw;
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
