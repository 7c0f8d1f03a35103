/**
 * A plugin's key/value store (README "Plugin storage"), in the `_rosey_kv` table of the plugin's own
 * database: values as JSON text, an expiry in Unix milliseconds, the row id as the key's revision.
 * An expired key reads as missing at once; a periodic sweep deletes it (shared/storage/plugins.ts).
 */
import { z } from "zod";
import type { Store } from "../../shared/function/define.ts";
import { ServiceError } from "../../shared/function/errors.ts";
import { name } from "../../shared/function/text.ts";

/** Largest value, as encoded JSON. */
export const VALUE_MAX_BYTES = 64 * 1024;
/** Most keys in one reply (list, get_many). */
export const KEYS_PER_REPLY = 1000;
/** Longest time to live: ten years, far beyond any bot's need, far within a safe integer of milliseconds. */
const TTL_MAX_SECONDS = 10 * 365 * 24 * 3600;

/** A key: 1–256 characters, no control character. */
export const Key = name().min(1).max(256);
/** A value: any JSON value, `null` included (a missing one is a MISSING_FIELD). */
export const Value = z.json();
export type JsonValue = z.output<typeof Value>;
/** Seconds until the key expires; 0, as in Rosey, means never. */
export const TtlSeconds = z.number().int().min(0).max(TTL_MAX_SECONDS);
/** The `revision` a `get` returned: a set with it succeeds only if nobody set or deleted the key since. */
export const Revision = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** What a `get` finds. */
export type Found = { exists: false } | { exists: true; value: JsonValue; revision: number; expires_at: string | null };

const utf8 = new TextEncoder();

/** Bytes of `json` as UTF-8; counted only when it could be near a limit (at most 3 bytes per UTF-16 unit). */
function jsonBytes(json: string, near = 0): number {
  return json.length * 3 > near ? utf8.encode(json).length : json.length;
}

/**
 * A value's JSON text, refused with VALUE_TOO_LARGE above {@linkcode VALUE_MAX_BYTES}, or above what
 * a reply on the connected server can carry back (`replyBytes`, less room for its key).
 */
function encodeValue(key: string, value: unknown, replyBytes: number): string {
  const json = JSON.stringify(value);
  const limit = Math.min(VALUE_MAX_BYTES, replyBytes - jsonBytes(JSON.stringify(key)) - REPLY_FIELDS_BYTES);
  const bytes = jsonBytes(json, limit);
  if (bytes > limit) {
    const why = limit < VALUE_MAX_BYTES
      ? `the most a reply on the connected server can carry back (its max_payload)`
      : "the limit";
    throw new ServiceError(
      413,
      `value of "${key}" is ${bytes} bytes of JSON, over ${why}: ${limit}`,
      [],
      "VALUE_TOO_LARGE",
    );
  }
  return json;
}

/** Room a get's reply takes beside the key and value: exists, revision, expires_at. */
const REPLY_FIELDS_BYTES = 128;

/** Whether a row has not expired at `now` (milliseconds): the condition every read adds. */
const LIVE = "(expires_at IS NULL OR expires_at > ?)";

/** A key's new row: its id, the revision, is new, so a get of an older revision sees the change. */
const REPLACE = "INSERT OR REPLACE INTO _rosey_kv (key, value, expires_at, updated_at) VALUES (?, ?, ?, ?)";

/** Options of {@linkcode setKey}. */
export interface SetOptions {
  ttlSeconds?: number;
  ifRevision?: number;
  /** Bytes of JSON a reply's data may take on the connected server: a value must fit a get's reply. */
  replyBytes?: number;
}

/** Sets `key` to `value`, replacing value and expiry; returns the new revision. */
export function setKey(store: Store, key: string, value: unknown, options: SetOptions = {}): Promise<number> {
  const json = encodeValue(key, value, options.replyBytes ?? Number.MAX_SAFE_INTEGER);
  if (options.ifRevision === undefined) {
    // One statement is atomic on its own: without BEGIN and COMMIT around it, a set costs one call, not three.
    return store.write(async (sql) => {
      const now = Date.now();
      const expires = options.ttlSeconds ? now + options.ttlSeconds * 1000 : null;
      const { lastInsertRowid } = await sql.run(REPLACE, [key, json, expires, now]);
      return lastInsertRowid!;
    }, { transaction: false });
  }
  return store.write(async (tx) => {
    const now = Date.now();
    const row = await tx.first<{ revision: number }>(`SELECT revision FROM _rosey_kv WHERE key = ? AND ${LIVE}`, [
      key,
      now,
    ]);
    if (row?.revision !== options.ifRevision) {
      throw new ServiceError(
        409,
        `"${key}" changed since revision ${options.ifRevision}: ${
          row ? `it is at revision ${row.revision}` : "it does not exist"
        }`,
      );
    }
    const expires = options.ttlSeconds ? now + options.ttlSeconds * 1000 : null;
    // The revision is the new row's id.
    const { lastInsertRowid } = await tx.run(REPLACE, [key, json, expires, now]);
    return lastInsertRowid!;
  });
}

/** The value of `key`, unless missing or expired. */
export async function getKey(store: Store, key: string): Promise<Found> {
  const row = await store.db.first<{ value: string; revision: number; expires_at: number | null }>(
    `SELECT value, revision, expires_at FROM _rosey_kv WHERE key = ? AND ${LIVE}`,
    [key, Date.now()],
  );
  if (!row) return { exists: false };
  return {
    exists: true,
    value: JSON.parse(row.value) as JsonValue,
    revision: row.revision,
    expires_at: isoOf(row.expires_at),
  };
}

/** What `get_many` finds: the values that fit the reply, and where to ask again when not all did. */
export interface FoundMany {
  values: Record<string, JsonValue>;
  truncated: boolean;
  /** When truncated: the index in the request's `keys` to ask again from (`keys.slice(next)`). */
  next?: number;
}

/**
 * The values of those of `keys` that exist, by key, in the order asked, as many as `replyBytes` of
 * JSON hold. A value always fits an empty reply (a set refuses one that would not), so each reply
 * moves on.
 */
export async function getKeys(store: Store, keys: string[], replyBytes: number): Promise<FoundMany> {
  const rows = await store.db.query<{ key: string; value: string }>(
    `SELECT key, value FROM _rosey_kv WHERE key IN (SELECT value FROM json_each(?)) AND ${LIVE}`,
    [JSON.stringify([...new Set(keys)]), Date.now()],
  );
  const found = new Map(rows.map((row) => [row.key, row.value]));
  const values: Record<string, JsonValue> = {};
  let room = replyBytes;
  for (const [index, key] of keys.entries()) {
    const value = found.get(key);
    // A missing key takes no room; a repeated one is answered once.
    if (value === undefined || Object.hasOwn(values, key)) continue;
    // Each entry takes `"key":value,`; the stored text is the value's JSON as the reply writes it.
    room -= jsonBytes(JSON.stringify(key)) + jsonBytes(value) + 2;
    if (room < 0 && Object.keys(values).length > 0) return { values, truncated: true, next: index };
    // defineProperty: a key such as "__proto__" stays a plain entry.
    Object.defineProperty(values, key, {
      value: JSON.parse(value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { values, truncated: false };
}

/** Deletes `key`; whether a live key was there. */
export function deleteKey(store: Store, key: string): Promise<boolean> {
  return store.write(async (tx) => {
    const rows = await tx.query<{ expires_at: number | null }>(
      "DELETE FROM _rosey_kv WHERE key = ? RETURNING expires_at",
      [key],
    );
    return rows.some((row) => row.expires_at === null || row.expires_at > Date.now());
  });
}

/** Adds `by` to the integer at `key` (0 when missing or expired), keeping its expiry; returns the sum. */
export function incrementKey(store: Store, key: string, by: number): Promise<{ value: number; revision: number }> {
  return store.write(async (tx) => {
    const now = Date.now();
    const row = await tx.first<{ value: string; expires_at: number | null }>(
      `SELECT value, expires_at FROM _rosey_kv WHERE key = ? AND ${LIVE}`,
      [key, now],
    );
    const current = row ? JSON.parse(row.value) : 0;
    if (!Number.isSafeInteger(current)) {
      throw new ServiceError(409, `"${key}" holds ${describe(current)}, not an integer: incr cannot add to it`);
    }
    const value = current + by;
    if (!Number.isSafeInteger(value)) {
      throw new ServiceError(409, `"${key}" would pass ±2^53 (9007199254740991): incr refused`);
    }
    const [set] = await tx.query<{ revision: number }>(
      `INSERT OR REPLACE INTO _rosey_kv (key, value, expires_at, updated_at) VALUES (?, ?, ?, ?) RETURNING revision`,
      [key, JSON.stringify(value), row?.expires_at ?? null, now],
    );
    return { value, revision: set.revision };
  });
}

/** Options of {@linkcode listKeys}. */
export interface ListOptions {
  prefix?: string;
  /** Keys after this one only: the last key of the previous page. */
  after?: string;
  limit: number;
  /** Bytes of JSON the keys may take in the reply. */
  replyBytes: number;
}

/**
 * Live keys in lexicographic (code point) order; `truncated` when more matched than were returned
 * (by count, or by what fits the reply): the next page starts `after` the last key.
 */
export async function listKeys(
  store: Store,
  { prefix = "", after, limit, replyBytes }: ListOptions,
): Promise<{ keys: string[]; count: number; truncated: boolean }> {
  const take = Math.min(limit, KEYS_PER_REPLY);
  const from = after !== undefined && after >= prefix ? after : prefix;
  const upTo = prefix === "" ? undefined : successor(prefix);
  const rows = await store.db.query<{ key: string }>(
    `SELECT key FROM _rosey_kv WHERE ${after !== undefined && from === after ? "key > ?" : "key >= ?"}
       ${upTo === undefined ? "" : "AND key < ?"} AND ${LIVE} ORDER BY key LIMIT ?`,
    [from, ...(upTo === undefined ? [] : [upTo]), Date.now(), take + 1],
  );
  const keys: string[] = [];
  let room = replyBytes;
  for (const { key } of rows.slice(0, take)) {
    room -= jsonBytes(JSON.stringify(key)) + 1;
    if (room < 0) return { keys, count: keys.length, truncated: true };
    keys.push(key);
  }
  return { keys, count: keys.length, truncated: rows.length > take };
}

/**
 * The least string above every string that starts with `prefix`, in SQLite's binary (UTF-8, so code
 * point) order: the prefix with its last code point raised by one; undefined when none is above.
 */
function successor(prefix: string): string | undefined {
  const points = [...prefix].map((c) => c.codePointAt(0)!);
  while (points.length > 0) {
    let last = points.pop()! + 1;
    if (last === 0xd800) last = 0xe000; // surrogates are no characters
    if (last <= 0x10ffff) return String.fromCodePoint(...points, last);
  }
  return undefined;
}

function isoOf(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "number" ? `the number ${value}` : `a ${typeof value}`;
}
