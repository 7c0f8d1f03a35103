/**
 * Rosey's stored values as rosey-db stores them. Rosey wrote times without an offset: the values
 * its plugins sent (the offset dropped: quote-db sent UTC, trivia `utcnow()`), `applied_at` from
 * `utcnow()`, and `created_at`/`updated_at` from the host's local `datetime.now()`. All are read as
 * UTC, as rosey-db reads every naive time; on a host whose clock was not UTC, created_at and
 * updated_at are off by its offset (no plugin reads them).
 */
import { type Field, storedTime } from "../../../functions/row/_types.ts";

/** A value that does not fit its field: the import stops, naming it. */
export class ValueProblem extends Error {}

/**
 * The value of a registered field as rosey-db stores it (STRICT column types: TEXT, INTEGER, REAL),
 * from the value Rosey stored; datetimes as `YYYY-MM-DD HH:MM:SS.ffffff` UTC. A time that cannot be
 * read is kept as text (it comes back as it is), counted in `unreadTimes`.
 */
export function fieldValue(field: Field, value: unknown, unreadTimes: { count: number }): unknown {
  if (value === null) {
    if (field.required) throw new ValueProblem(`"${field.name}" is required but null`);
    return null;
  }
  const kind = value instanceof ArrayBuffer ? "a blob" : typeof value === "string" ? "text" : `the number ${value}`;
  switch (field.type) {
    case "string":
    case "text":
      if (typeof value === "string") return value;
      if (typeof value === "bigint" || typeof value === "number") return String(value);
      break;
    case "integer":
      if (typeof value === "bigint") return value;
      if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
      break;
    case "float":
      if (typeof value === "number" || typeof value === "bigint") return value;
      break;
    case "boolean":
      if (value === 0n || value === 1n) return value;
      break;
    case "datetime": {
      if (typeof value !== "string") break;
      const stored = storedTime(value);
      if (stored === undefined) unreadTimes.count++;
      return stored ?? value;
    }
  }
  throw new ValueProblem(`"${field.name}" is a ${field.type} field but holds ${kind}`);
}

/** `created_at` or `updated_at` of a row Rosey made (host-local time, read as UTC). */
export function serviceTime(name: string, value: unknown): string {
  const stored = typeof value === "string" ? storedTime(value) : undefined;
  if (stored === undefined) throw new ValueProblem(`"${name}" is not a time: ${String(value).slice(0, 40)}`);
  return stored;
}

/** Rosey's `applied_at` (`2026-12-01 23:31:21.435246`, UTC) as ISO 8601, every digit kept; the text itself if unreadable. */
export function appliedAt(text: string): string {
  const stored = storedTime(text);
  return stored === undefined ? text : `${stored.replace(" ", "T")}Z`;
}

/** Unix seconds (Rosey's key times) as Unix milliseconds (rosey-db's). */
export function milliseconds(seconds: number): number {
  return Math.round(seconds * 1000);
}
