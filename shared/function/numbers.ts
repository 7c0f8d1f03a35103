/**
 * Schemas for numbers a function stores or computes with, each within its field's domain. The JSON
 * policy (json_policy.ts) keeps every integer within ±2^53 so that it can be read back; these keep a
 * value within what its field means, so that milliseconds sent as seconds, a negative count or id 0 are
 * refused with a message naming the field instead of stored as a row that misleads every later read.
 */
import { z } from "zod";

/** Latest time accepted: 3000-01-01 in Unix seconds. A later one is a mistake (milliseconds sent as seconds, say). */
export const LATEST_UNIX_SECONDS = 32_503_680_000;

/**
 * A point in time in Unix seconds, from 1970 to the year 3000. Fractions are accepted (older bots send
 * `time.time()`); handlers round down where a column holds whole seconds.
 */
export function unixSeconds(): z.ZodNumber {
  return z.number().nonnegative()
    .max(LATEST_UNIX_SECONDS, "must be Unix seconds before the year 3000 (milliseconds sent as seconds?)");
}

/** How many of something: a whole number, 0 or more. */
export function count(): z.ZodNumber {
  return z.number().int().nonnegative();
}

/** A row id the database gave out: a whole number from 1. */
export function rowId(): z.ZodNumber {
  return z.number().int().positive();
}
