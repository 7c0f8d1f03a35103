/**
 * The field types of plugin rows (README "Plugin storage"): what each accepts, how it is stored and
 * how it comes back. Values are checked, never coerced: a number is not cut to an integer, a string
 * is not read as a number, so a row holds exactly what the plugin sent.
 */
import { ServiceError } from "../../shared/function/errors.ts";

export const FIELD_TYPES = ["string", "text", "integer", "float", "boolean", "datetime"] as const;
export type FieldType = typeof FIELD_TYPES[number];

/** A field of a table, as registered or as read from a table made by migrations. */
export interface Field {
  name: string;
  type: FieldType;
  required: boolean;
  /** Longest `string` in characters (Rosey's plugins send `max_length`; 255 without it). */
  maxLength?: number;
  unique?: boolean;
  index?: boolean;
  /**
   * A column of a table the plugin's migrations made: an integer one takes true and false as 1 and
   * 0 too, as SQLite has no boolean type and Rosey's plugins declare flags INTEGER.
   */
  fromMigration?: boolean;
}

/** Longest `string` without a `max_length` of its own. */
export const STRING_MAX = 255;

export type SqlValue = string | number | null;

/** A row value refused: a VALIDATION_ERROR naming the field. */
export function invalid(field: string, message: string): ServiceError {
  return new ServiceError(400, `${field}: ${message}`, [{ path: [field], message }]);
}

/** A field the request must have: a MISSING_FIELD naming it. */
export function missing(field: string, what = "is missing"): ServiceError {
  return new ServiceError(400, `${field}: ${what}`, [{ path: [field], message: what }], "MISSING_FIELD");
}

/** The column value of `value` for `field`; throws a VALIDATION_ERROR naming it when it does not fit. */
export function encodeValue(field: Field, value: unknown): SqlValue {
  if (value === null) {
    if (field.required) throw invalid(field.name, "is required: null is not accepted");
    return null;
  }
  switch (field.type) {
    case "string":
    case "text": {
      if (typeof value !== "string") throw invalid(field.name, `must be text, got ${kindOf(value)}`);
      if (value.includes("\0")) throw invalid(field.name, "must not contain NUL (U+0000)");
      const max = field.type === "string" ? field.maxLength ?? STRING_MAX : undefined;
      if (max !== undefined && [...value].length > max) {
        throw invalid(field.name, `must be at most ${max} characters, got ${[...value].length}`);
      }
      return value;
    }
    case "integer":
      if (typeof value === "boolean" && field.fromMigration) return value ? 1 : 0;
      if (typeof value !== "number" || !Number.isInteger(value)) {
        throw invalid(field.name, `must be an integer, got ${kindOf(value)}`);
      }
      if (!Number.isSafeInteger(value)) throw invalid(field.name, "must be within ±2^53 (9007199254740991)");
      return value;
    case "float":
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw invalid(field.name, `must be a number, got ${kindOf(value)}`);
      }
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw invalid(field.name, `must be true or false, got ${kindOf(value)}`);
      return value ? 1 : 0;
    case "datetime":
      if (typeof value !== "string") throw invalid(field.name, `must be an ISO 8601 time, got ${kindOf(value)}`);
      return storedTime(value) ?? (() => {
        throw invalid(field.name, `must be an ISO 8601 time such as 2026-12-02T10:00:00Z, got "${value.slice(0, 40)}"`);
      })();
  }
}

/** The JSON value of a stored column: booleans as true/false, times as ISO 8601 in UTC. */
export function decodeValue(field: Field | undefined, value: unknown): unknown {
  if (value === null || value === undefined || !field) return value ?? null;
  if (field.type === "boolean" && (value === 0 || value === 1)) return value === 1;
  if (field.type === "datetime" && typeof value === "string") return isoTime(value) ?? value;
  return value;
}

/**
 * ISO 8601 with a date, optionally a time, seconds, a fraction of up to 6 digits, and `Z` or an
 * offset (a naive time is UTC). Rosey's plugins send `2026-12-02T10:00:00.123456+00:00`, and naive
 * `datetime.utcnow()` strings; SQLite's CURRENT_TIMESTAMP writes `2026-12-02 10:00:00`.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * The stored form of a time: UTC, `YYYY-MM-DD HH:MM:SS.ffffff`, fixed width, so that text order is
 * time order (and CURRENT_TIMESTAMP's values in tables made by migrations sort among them).
 * Undefined when `text` is no valid time.
 */
export function storedTime(text: string): string | undefined {
  const match = ISO.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = "00", mi = "00", s = "00", fraction = "", zone = "Z"] = match;
  // setUTCFullYear, not Date.UTC, which reads years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(+y, +mo - 1, +d);
  date.setUTCHours(+h, +mi, +s, 0);
  const local = date.getTime();
  // Dates roll over (February 30 becomes March 2): such a time is not valid.
  if (date.getUTCDate() !== +d || date.getUTCMonth() !== +mo - 1 || +h > 23 || +mi > 59 || +s > 59) return undefined;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== "Z") {
    const digits = zone.replace(":", "");
    offsetMinutes = (zone[0] === "-" ? -1 : 1) * (+digits.slice(1, 3) * 60 + +digits.slice(3, 5));
    if (Math.abs(offsetMinutes) > 18 * 60) return undefined;
  }
  const utc = new Date(local - offsetMinutes * 60_000);
  if (utc.getUTCFullYear() < 1 || utc.getUTCFullYear() > 9999) return undefined;
  return `${utc.toISOString().slice(0, 19).replace("T", " ")}.${fraction.padEnd(6, "0")}`;
}

/** A stored time as ISO 8601 with its UTC offset, `2026-12-02T10:00:00.000000+00:00` (Python reads it as is). */
export function isoTime(stored: string): string | undefined {
  const normal = storedTime(stored);
  return normal === undefined ? undefined : `${normal.replace(" ", "T")}+00:00`;
}

/** Now, as stored. */
export function storedNow(): string {
  return storedTime(new Date().toISOString())!;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return "text";
  if (typeof value === "number") return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** A JSON object, not an array or null. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
