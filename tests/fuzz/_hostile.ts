/**
 * What a hostile or careless client sends instead of a valid input: the valid value with one field
 * replaced, added or removed, or bytes that are not the JSON they should be. Each arbitrary yields the
 * payload's bytes and a short label of the mutation, for reports.
 */
import fc from "fast-check";

/** A payload to send and what was done to it. */
export interface Payload {
  bytes: Uint8Array;
  /** The mutation, e.g. `valid`, `replace limit`, `raw invalid UTF-8`. */
  kind: string;
}

/** The largest payload the service accepts by default (MAX_PAYLOAD_BYTES), which long strings go past. */
const PAYLOAD_LIMIT = 256 * 1024;
/** Deeper than any JSON policy or SQLite's JSON functions allow. */
const DEEP = 2_000;

const encoder = new TextEncoder();

/** Numbers at the edges of every domain: safe integers, timestamps, 32-bit, doubles. */
const EDGE_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1e18,
  -1e18,
  2 ** 53 + 1,
  -(2 ** 53 + 1),
  2 ** 53,
  2 ** 53 - 1,
  -(2 ** 53 - 1),
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 32,
  2 ** 63,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  1e-7,
  32_503_680_000, // 3000-01-01 in seconds, the latest event time
  32_503_680_001,
  1_750_000_000_000, // milliseconds sent as seconds
  253_402_300_799, // 9999-12-31
  1e15,
];

/** Strings that break naive storage, SQL, FTS5, logs or UTF-16. */
const EDGE_STRINGS = [
  "",
  " ",
  "\0",
  "a\0b",
  "\uD800",
  "x\uDC00y",
  "\uDBFF\uDFFF",
  "\u001b[31m",
  "\u007f\u0085",
  "\u2028\u2029",
  "\uFEFF",
  "\u200B",
  "' OR 1=1 --",
  '"',
  '"unbalanced',
  "NEAR(a b",
  "a* OR b",
  "%_",
  "../../etc/passwd",
  "rosey.db.>",
  "😀",
  "e\u0301",
  "1".repeat(400),
  "-1",
  "1e18",
  "00000000-0000-0000-0000-000000000000",
];

/** Values of the wrong JSON type for nearly any field. */
const WRONG_TYPES: unknown[] = [null, true, false, [], {}, [1, "a"], { a: 1 }, "1", 1];

/** `levels` arrays (or objects) inside each other. */
function nested(levels: number, shape: "array" | "object"): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = shape === "array" ? [value] : { a: value };
  return value;
}

/** One hostile value for a field. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
  { weight: 4, arbitrary: fc.constantFrom(...EDGE_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...WRONG_TYPES) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.maxSafeInteger() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      nested(DEEP, "array"),
      nested(DEEP, "object"),
      nested(64, "object"),
      nested(65, "array"),
    ),
  },
  {
    weight: 1,
    // Long text: below the payload limit (stored, then read back) and above it (413 or a dead letter).
    arbitrary: fc.constantFrom(10_000, PAYLOAD_LIMIT - 1_024, PAYLOAD_LIMIT + 1).map((n) => "x".repeat(n)),
  },
  { weight: 1, arbitrary: fc.constant(JSON.parse('{"__proto__": {"polluted": 1}}')) },
);

/** Keys a careless client adds: unknown names, prototype names, names with NUL or a lone surrogate. */
const extraKey = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "unknown_field", "", "a\0", "\uD800", "1"),
  fc.string({ maxLength: 10 }),
);

type Path = (string | number)[];

/** Every path inside `value` (objects and arrays), the root excluded. */
function pathsOf(value: unknown, base: Path = [], into: Path[] = []): Path[] {
  if (value === null || typeof value !== "object") return into;
  for (const [key, child] of Object.entries(value)) {
    const path = [...base, Array.isArray(value) ? Number(key) : key];
    into.push(path);
    pathsOf(child, path, into);
  }
  return into;
}

/** A deep copy of `value` with `edit` applied to the container at `path`'s parent. */
function editAt(
  value: unknown,
  path: Path,
  edit: (parent: Record<string | number, unknown>, key: string | number) => void,
) {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  edit(parent, path.at(-1)!);
  return copy;
}

/** Sets an own, enumerable property even when its name is `__proto__`, so that JSON.stringify writes it. */
function setOwn(target: Record<string | number, unknown>, key: string | number, value: unknown) {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
}

const json = (value: unknown, kind: string): Payload => ({ bytes: encoder.encode(JSON.stringify(value)), kind });

/** Marks where a raw JSON literal goes, in place of a string JSON.stringify wrote. */
const RAW = "\u0001raw\u0001";

/** Number literals JSON.parse reads as something else than written: Infinity, rounded, -0. */
const RAW_NUMBERS = ["1e400", "-1e400", "9".repeat(400), "-0", "1.0", "1E2", "9007199254740993", "0.1e-400"];

/** Bytes that are not a JSON object, or not JSON, or not UTF-8. */
const RAW_PAYLOADS: [string, Uint8Array][] = [
  ["empty", new Uint8Array()],
  ["whitespace", encoder.encode(" \n\t ")],
  ["truncated", encoder.encode('{"a":')],
  ["trailing comma", encoder.encode('{"a":1,}')],
  ["single quotes", encoder.encode("{'a':1}")],
  ["NaN", encoder.encode('{"a":NaN}')],
  ["null", encoder.encode("null")],
  ["array", encoder.encode("[]")],
  ["number", encoder.encode("1")],
  ["string", encoder.encode('"x"')],
  ["invalid UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
  ["overlong NUL", new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0x80, 0x22, 0x7d])],
  ["UTF-8 surrogate", new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])],
  ["truncated UTF-8", new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe2, 0x82])],
  ["BOM", encoder.encode("\uFEFF{}")],
  ["deep text", encoder.encode("[".repeat(100_000) + "]".repeat(100_000))],
  ["over the limit", encoder.encode(`{"a":"${"x".repeat(PAYLOAD_LIMIT)}"}`)],
];

/**
 * Payloads for one function: its valid values as they are, or with one mutation, or raw bytes.
 * `valid` is the arbitrary of values its input schema accepts.
 */
export function payloadsOf(valid: fc.Arbitrary<unknown>): fc.Arbitrary<Payload> {
  const withPath = fc.tuple(valid, fc.nat()).map(([value, n]) => {
    const paths = pathsOf(value);
    return { value, path: paths.length > 0 ? paths[n % paths.length] : undefined };
  });
  return fc.oneof(
    { weight: 3, arbitrary: valid.map((value) => json(value, "valid")) },
    {
      weight: 5,
      arbitrary: fc.tuple(withPath, hostileValue).map(([{ value, path }, hostile]) =>
        path
          ? json(editAt(value, path, (parent, key) => setOwn(parent, key, hostile)), `replace ${path.join(".")}`)
          : json(hostile, "replace payload")
      ),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(valid, extraKey, hostileValue).map(([value, key, extra]) => {
        if (value === null || typeof value !== "object") return json(value, "valid");
        const copy = structuredClone(value) as Record<string, unknown>;
        setOwn(copy, key, extra);
        return json(copy, `extra key ${JSON.stringify(key)}`);
      }),
    },
    {
      weight: 1,
      arbitrary: withPath.map(({ value, path }) =>
        path ? json(editAt(value, path, (parent, key) => delete parent[key]), `remove ${path.join(".")}`) : json(
          value,
          "valid",
        )
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(withPath, fc.constantFrom(...RAW_NUMBERS)).map(([{ value, path }, literal]) => {
        if (!path) return json(value, "valid");
        const text = JSON.stringify(editAt(value, path, (parent, key) => setOwn(parent, key, RAW)));
        return {
          bytes: encoder.encode(text.replace(JSON.stringify(RAW), literal)),
          kind: `literal ${literal.slice(0, 12)}`,
        };
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...RAW_PAYLOADS).map(([kind, bytes]) => ({ bytes, kind: `raw ${kind}` })),
    },
  );
}
