/**
 * Row filters (README "Plugin storage") compiled to a parameterized WHERE clause: a plain value means
 * `$eq`; operators `$eq $ne $gt $gte $lt $lte $in $nin $like $ilike $exists $null`, several on one
 * field all hold; `$and $or $not` nest; every key of a filter object holds (none is dropped).
 * Field names are looked up in the table's columns, values encoded as the column stores them.
 */
import { type Field, invalid, isObject, type SqlValue, storedTime } from "./_types.ts";
import { quote, type Table } from "./_tables.ts";

/** A compiled condition: SQL with `?` placeholders and their values. */
export interface Condition {
  sql: string;
  args: SqlValue[];
}

/** Most values in one `$in` or `$nin`. */
const IN_MAX = 1000;
/** Most conditions and values in one filter: SQLite parses expressions up to 1000 deep and 32766 values. */
const CONDITIONS_MAX = 500;
const VALUES_MAX = 10_000;
const COMPARISONS = { $eq: "=", $ne: "!=", $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" } as const;
const OPERATORS = [...Object.keys(COMPARISONS), "$in", "$nin", "$like", "$ilike", "$exists", "$null"];

/** The WHERE condition of `filters` on `table`; `filters` absent or `{}` matches every row. */
export function compileFilter(table: Table, filters: unknown, at = "filters"): Condition {
  const budget = { conditions: 0 };
  const condition = compileObject(table, filters, at, budget);
  if (budget.conditions > CONDITIONS_MAX || condition.args.length > VALUES_MAX) {
    throw invalid(at, `holds too much: at most ${CONDITIONS_MAX} conditions and ${VALUES_MAX} values`);
  }
  return condition;
}

/** Conditions compiled so far in one filter. */
interface Budget {
  conditions: number;
}

function compileObject(table: Table, filters: unknown, at: string, budget: Budget): Condition {
  if (filters === undefined || filters === null) return { sql: "1", args: [] };
  if (!isObject(filters)) throw invalid(at, "must be an object of conditions");
  const parts: Condition[] = [];
  for (const [key, value] of Object.entries(filters)) {
    const path = `${at}.${key}`;
    if (key === "$and" || key === "$or") parts.push(logical(table, key, value, path, budget));
    else if (key === "$not") parts.push(wrap("NOT", compileObject(table, value, path, budget)));
    else if (key.startsWith("$")) throw invalid(path, `is no logical operator: $and, $or or $not`);
    else parts.push(fieldCondition(table, key, value, path, budget));
  }
  return join(parts, "AND");
}

function logical(table: Table, key: "$and" | "$or", value: unknown, path: string, budget: Budget): Condition {
  if (!Array.isArray(value) || value.length === 0) throw invalid(path, "must be a non-empty list of conditions");
  if (value.length > CONDITIONS_MAX) throw invalid(path, `must hold at most ${CONDITIONS_MAX} conditions`);
  return join(
    value.map((item, i) => compileObject(table, item, `${path}[${i}]`, budget)),
    key === "$and" ? "AND" : "OR",
  );
}

function fieldCondition(table: Table, name: string, value: unknown, path: string, budget: Budget): Condition {
  // Each condition counts, so that a filter stays within what SQLite parses (expressions 1000 deep).
  if (++budget.conditions > CONDITIONS_MAX) throw invalid(path, `is past ${CONDITIONS_MAX} conditions in one filter`);
  const column = columnOf(table, name, path);
  const field = table.columns.get(name) ?? (name === "id" ? idField : undefined);
  if (!isObject(value)) return compare(column, field, "$eq", value, path);
  const keys = Object.keys(value);
  if (keys.length === 0) throw invalid(path, "has no operator");
  return join(keys.map((op) => operator(column, field, op, value[op], `${path}.${op}`)), "AND");
}

const idField: Field = { name: "id", type: "integer", required: true };

/** The quoted column `name` of `table`, or a VALIDATION_ERROR listing those there are. */
export function columnOf(table: Table, name: string, path: string): string {
  if (name === "id") return table.id;
  if (table.columns.has(name)) return quote(name);
  const known = ["id", ...table.columns.keys()].filter((c, i, all) => all.indexOf(c) === i);
  throw invalid(path, `table "${table.name}" has no field "${name}" (fields: ${known.join(", ")})`);
}

function operator(column: string, field: Field | undefined, op: string, value: unknown, path: string): Condition {
  // Own keys only: `constructor` or `toString` are no operators.
  if (Object.hasOwn(COMPARISONS, op)) return compare(column, field, op as keyof typeof COMPARISONS, value, path);
  switch (op) {
    case "$in":
    case "$nin": {
      if (!Array.isArray(value)) throw invalid(path, "must be a list of values");
      if (value.length > IN_MAX) throw invalid(path, `must hold at most ${IN_MAX} values`);
      if (value.length === 0) return { sql: op === "$in" ? "0" : "1", args: [] };
      const args = value.map((item, i) => encodeFilterValue(field, item, `${path}[${i}]`));
      return { sql: `${column} ${op === "$in" ? "IN" : "NOT IN"} (${args.map(() => "?").join(", ")})`, args };
    }
    case "$like":
    case "$ilike":
      if (typeof value !== "string") throw invalid(path, "must be a pattern: text with % and _ as wildcards");
      // SQLite's LIKE ignores ASCII case, as Rosey's did: $like and $ilike match alike; \ escapes % and _.
      return { sql: `${column} LIKE ? ESCAPE '\\'`, args: [value] };
    case "$exists":
    case "$null": {
      if (typeof value !== "boolean") throw invalid(path, "must be true or false");
      const isNull = op === "$null" ? value : !value;
      return { sql: `${column} IS ${isNull ? "" : "NOT "}NULL`, args: [] };
    }
    default:
      throw invalid(path, `is no operator: ${OPERATORS.join(" ")}`);
  }
}

function compare(
  column: string,
  field: Field | undefined,
  op: keyof typeof COMPARISONS,
  value: unknown,
  path: string,
): Condition {
  if (value === null) {
    if (op === "$eq" || op === "$ne") return { sql: `${column} IS ${op === "$eq" ? "" : "NOT "}NULL`, args: [] };
    throw invalid(path, "cannot compare with null: use $null or $exists");
  }
  return { sql: `${column} ${COMPARISONS[op]} ?`, args: [encodeFilterValue(field, value, path)] };
}

/** A value compared with a column: as the column stores it (times in UTC, booleans as 0 and 1). */
export function encodeFilterValue(field: Field | undefined, value: unknown, path: string): SqlValue {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalid(path, "must be a finite number");
    return value;
  }
  if (typeof value !== "string") throw invalid(path, "must be text, a number or a boolean");
  if (field?.type === "datetime") {
    const stored = storedTime(value);
    if (stored === undefined) throw invalid(path, `must be an ISO 8601 time, got "${value.slice(0, 40)}"`);
    return stored;
  }
  return value;
}

function wrap(prefix: string, condition: Condition): Condition {
  return { sql: `${prefix} (${condition.sql})`, args: condition.args };
}

function join(parts: Condition[], glue: "AND" | "OR"): Condition {
  if (parts.length === 0) return { sql: "1", args: [] };
  if (parts.length === 1) return parts[0];
  return { sql: parts.map((part) => `(${part.sql})`).join(` ${glue} `), args: parts.flatMap((part) => part.args) };
}
