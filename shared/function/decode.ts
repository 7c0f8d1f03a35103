/** Turns a raw NATS payload into a function's validated input, or a ServiceError saying why not. */
import type { z } from "zod";
import { type InputIssue, ServiceError } from "./errors.ts";
import { jsonPolicyIssues } from "./json_policy.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** At most this many problems are spelled out in an error's one-line message; its `issues` list them all. */
const SUMMARY_ISSUES = 5;

/** Size check → UTF-8 → JSON → the JSON policy every subject shares → zod. An empty payload is read as `{}`. */
export function decodeInput<S extends z.ZodType>(schema: S, data: Uint8Array, maxBytes: number): z.output<S> {
  if (data.length > maxBytes) {
    throw new ServiceError(413, `Payload too large: ${data.length} bytes (limit ${maxBytes})`, [], "VALUE_TOO_LARGE");
  }
  let value: unknown = {};
  if (data.length > 0) {
    let text: string;
    try {
      text = utf8.decode(data);
    } catch {
      throw new ServiceError(400, "Invalid payload: not UTF-8 text", [], "INVALID_JSON");
    }
    if (text.trim() !== "") {
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new ServiceError(400, `Invalid JSON: ${(error as Error).message}`, [], "INVALID_JSON");
      }
    }
  }
  const refused = jsonPolicyIssues(value);
  if (refused.length > 0) throw invalidInput(refused);
  return validateInput(schema, value);
}

/** Validates a decoded value; a 400 error names each field at fault and what it accepts. */
export function validateInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = checkInput(schema, value);
  if ("data" in parsed) return parsed.data;
  throw invalidInput(parsed.issues);
}

/** The 400 error for `issues`: the first few in its one-line message, all of them in its body. */
function invalidInput(issues: InputIssue[]): ServiceError {
  const shown = issues.slice(0, SUMMARY_ISSUES).map((issue) => `${fieldName(issue.path)}: ${issue.message}`);
  if (issues.length > SUMMARY_ISSUES) shown.push(`and ${issues.length - SUMMARY_ISSUES} more`);
  // MISSING_FIELD only when nothing else is wrong: the caller then knows adding fields is the fix.
  const missing = issues.every((issue) => issue.message.startsWith("missing"));
  return new ServiceError(
    400,
    `Invalid input: ${shown.join("; ")}`,
    issues,
    missing ? "MISSING_FIELD" : "VALIDATION_ERROR",
  );
}

/**
 * Validates a decoded value and returns every problem, each with its full path and a message saying what
 * that field accepts (a union reports the form the value came closest to).
 */
export function checkInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
): { data: z.output<S> } | { issues: InputIssue[] } {
  // reportInput keeps each issue's input, so that a union can tell a missing field from a wrong one.
  const parsed = schema.safeParse(value, { error: describeIssue, reportInput: true });
  if (parsed.success) return { data: parsed.data };
  return {
    issues: parsed.error.issues.flatMap((issue) => flatten(issue)).map(({ path, message }) => ({ path, message })),
  };
}

/** A path as a reader writes it: `status_data.bot_name`, `items[2]`, `reactions["✅"]`; `payload` for the root. */
export function fieldName(path: readonly (string | number)[]): string {
  if (path.length === 0) return "payload";
  return path.map((key, index) =>
    typeof key === "number"
      ? `[${key}]`
      : /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
      ? (index === 0 ? key : `.${key}`)
      : `[${JSON.stringify(key)}]`
  ).join("");
}

type ZodIssue = z.core.$ZodIssue;

/** A problem at one path, with what a union needs to pick its closest form. */
interface Leaf {
  path: (string | number)[];
  message: string;
  code: string;
  missing: boolean;
  /** What would have been accepted, for merging a union's forms: type names or quoted values. */
  expects?: { values: boolean; items: string[]; received: string };
}

function flatten(issue: ZodIssue, base: (string | number)[] = []): Leaf[] {
  const path = [...base, ...issue.path.map((key) => typeof key === "symbol" ? String(key) : key)];
  if (issue.code === "invalid_union" && issue.errors.length > 0) return closestForm(issue.errors, path);
  const missing = issue.input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value");
  const leaf: Leaf = { path, message: issue.message, code: issue.code, missing };
  if (issue.code === "invalid_type") {
    leaf.expects = { values: false, items: [typeName(issue.expected)], received: kindOf(issue.input) };
  } else if (issue.code === "invalid_value") {
    leaf.expects = { values: true, items: issue.values.map(quote), received: kindOf(issue.input) };
  }
  return [leaf];
}

/** A union's problems: those of the form the input came closest to, or of each form that came as close. */
function closestForm(forms: ZodIssue[][], path: (string | number)[]): Leaf[] {
  const branches = forms.map((issues) => issues.flatMap((issue) => flatten(issue)));
  // Not even the form's type costs most, a missing field more than a wrong one.
  const distance = (leaves: Leaf[]) =>
    leaves.reduce(
      (sum, leaf) => sum + (leaf.path.length === 0 && leaf.code === "invalid_type" ? 100 : leaf.missing ? 2 : 1),
      0,
    );
  const best = Math.min(...branches.map(distance));
  const closest = branches.filter((leaves) => distance(leaves) === best);
  const within = (leaf: Leaf) => ({ ...leaf, path: [...path, ...leaf.path] });
  if (closest.length === 1) return closest[0].map(within);
  const merged = mergeExpectations(closest);
  if (merged) return [within(merged)];
  const each = closest.map((leaves) =>
    `(${
      leaves.map((leaf) => leaf.path.length > 0 ? `${fieldName(leaf.path)}: ${leaf.message}` : leaf.message).join(", ")
    })`
  );
  return [{ path, message: `matches no accepted form: ${each.join(" or ")}`, code: "invalid_union", missing: false }];
}

/** `string | number` at one path becomes one problem: "expected string or number, received boolean". */
function mergeExpectations(branches: Leaf[][]): Leaf | undefined {
  const leaves = branches.map((leaves) => leaves.length === 1 ? leaves[0] : undefined);
  if (leaves.some((leaf) => !leaf?.expects || fieldName(leaf.path) !== fieldName(leaves[0]!.path))) return undefined;
  const [first] = leaves as Leaf[];
  const items = [...new Set(leaves.flatMap((leaf) => leaf!.expects!.items))];
  const values = leaves.every((leaf) => leaf!.expects!.values);
  const message = first.missing
    ? `missing, expected ${either(items)}`
    : values
    ? `must be one of ${items.join(", ")}`
    : `expected ${either(items)}, received ${first.expects!.received}`;
  return { ...first, message, expects: { values, items, received: first.expects!.received } };
}

/** The message of one zod issue, unless its schema gave its own; the path is added by the caller. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined
        ? `missing, expected ${typeName(issue.expected)}`
        : `expected ${typeName(issue.expected)}, received ${
          issue.expected === "int" && typeof issue.input === "number" ? issue.input : kindOf(issue.input)
        }`;
    case "invalid_value": {
      const allowed = issue.values.length === 1
        ? quote(issue.values[0])
        : `one of ${issue.values.map(quote).join(", ")}`;
      return issue.input === undefined ? `missing, must be ${allowed}` : `must be ${allowed}`;
    }
    case "too_small":
      return bound("at least", "more than", issue.minimum, issue);
    case "too_big":
      return bound("at most", "less than", issue.maximum, issue);
    case "invalid_format":
      if (issue.format === "regex") return `must match ${issue.pattern}`;
      if (issue.format === "starts_with") return `must start with ${quote(issue.prefix as string)}`;
      if (issue.format === "ends_with") return `must end with ${quote(issue.suffix as string)}`;
      if (issue.format === "includes") return `must include ${quote(issue.includes as string)}`;
      return `must be a valid ${issue.format}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map(quote).join(", ")}`;
    case "invalid_key":
      return `invalid key: ${issue.issues.map((inner) => inner.message).join(", ")}`;
    case "invalid_element":
      return `invalid element: ${issue.issues.map((inner) => inner.message).join(", ")}`;
    case "invalid_union": {
      // A discriminated union whose discriminator matched no form: name the values it knows.
      const known = (issue.inst as { _zod?: { propValues?: Record<string, Set<unknown>> } } | undefined)?._zod
        ?.propValues?.[issue.discriminator as string];
      if (issue.errors.length === 0 && known) return `must be one of ${[...known].map(quote).join(", ")}`;
      return "matches no accepted form";
    }
    case "custom":
      return "is not valid";
  }
  return undefined;
}

function bound(
  inclusive: string,
  exclusive: string,
  limit: number | bigint,
  issue: { origin: string; inclusive?: boolean; exact?: boolean },
): string {
  const unit =
    ({ string: "character", array: "item", set: "item", file: "byte" } as Record<string, string>)[issue.origin];
  const relation = issue.exact ? "exactly" : issue.inclusive === false ? exclusive : inclusive;
  if (unit === undefined) return `must be ${relation} ${limit}`;
  if (issue.origin === "string" && relation === "at least" && limit === 1) return "must not be empty";
  return `must have ${relation} ${limit} ${unit}${limit === 1 ? "" : "s"}`;
}

/** `a, b or c` */
function either(items: string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

function typeName(expected: string): string {
  return expected === "int" ? "integer" : expected;
}

/** The JSON kind of a received value, never the value itself (it may be a chat message). */
function kindOf(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function quote(value: unknown): string {
  return typeof value === "bigint" ? `${value}` : JSON.stringify(value) ?? String(value);
}
