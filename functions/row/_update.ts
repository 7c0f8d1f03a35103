/**
 * Row updates (README "Plugin storage"): `data` sets fields; `operations` apply `$set $inc $dec $mul
 * $max $min` per field (`{score: {$inc: 1}}`, or operator first, `{$inc: {score: 1}}`), all in one
 * UPDATE statement, so two concurrent `$inc` of 1 add 2.
 */
import { encodeValue, type Field, invalid, isObject, type SqlValue } from "./_types.ts";
import { quote, type Table } from "./_tables.ts";
import type { Condition } from "./_filter.ts";

const ARITHMETIC = { $inc: "+", $dec: "-", $mul: "*" } as const;
const OPERATORS = ["$set", ...Object.keys(ARITHMETIC), "$max", "$min"];

/** An UPDATE's SET clause, and an expression true for a row whose integer arithmetic passed ±2^53. */
export interface Assignments extends Condition {
  overflow: string;
}

/** The SET clause of an update: from `data` (every field set) or `operations`. */
export function compileUpdate(table: Table, data: unknown, operations: unknown): Assignments {
  if (data !== undefined && operations !== undefined) {
    throw invalid("data", "give data or operations, not both");
  }
  const perField = data !== undefined ? setAll(data) : fieldFirst(operations);
  const entries = Object.entries(perField);
  if (entries.length === 0) throw invalid(data !== undefined ? "data" : "operations", "names no field to update");
  const parts = entries.map(([name, { op, value, path }]) => assignment(table, name, op, value, path));
  // Integers beyond 2^53 could not be read back exactly (or at all): such an update is refused whole.
  const counted = entries.filter(([name, { op }]) => op !== "$set" && table.fields.get(name)?.type === "integer");
  const overflow = counted.map(([name]) =>
    `abs(${quote(name)}) > ${Number.MAX_SAFE_INTEGER} OR typeof(${quote(name)}) = 'real'`
  );
  return {
    sql: parts.map((part) => part.sql).join(", "),
    args: parts.flatMap((part) => part.args),
    overflow: overflow.length > 0 ? overflow.join(" OR ") : "0",
  };
}

interface Change {
  op: string;
  value: unknown;
  path: string;
}

function setAll(data: unknown): Record<string, Change> {
  if (!isObject(data)) throw invalid("data", "must be an object of fields");
  return Object.fromEntries(
    Object.entries(data).map(([name, value]) => [name, { op: "$set", value, path: `data.${name}` }]),
  );
}

function fieldFirst(operations: unknown): Record<string, Change> {
  if (!isObject(operations)) throw invalid("operations", "must be an object: {field: {$op: value}}");
  const changes: Record<string, Change> = {};
  const add = (name: string, op: string, value: unknown, path: string) => {
    if (name in changes) throw invalid(path, `"${name}" is changed twice`);
    changes[name] = { op, value, path };
  };
  for (const [key, value] of Object.entries(operations)) {
    if (key.startsWith("$")) {
      // Operator first: {$inc: {score: 1}, $set: {name: "x"}}.
      if (!isObject(value)) throw invalid(`operations.${key}`, "must be an object of fields");
      for (const [name, operand] of Object.entries(value)) add(name, key, operand, `operations.${key}.${name}`);
    } else {
      if (!isObject(value) || Object.keys(value).length !== 1) {
        throw invalid(`operations.${key}`, `must be one operator and its value: {"$inc": 1}`);
      }
      const [op] = Object.keys(value);
      add(key, op, value[op], `operations.${key}.${op}`);
    }
  }
  return changes;
}

function assignment(table: Table, name: string, op: string, value: unknown, path: string): Condition {
  if (name === "id" || (table.managed && (name === "created_at" || name === "updated_at"))) {
    throw invalid(path, `"${name}" is set by the service`);
  }
  const field = table.fields.get(name);
  if (!field) throw invalid(path, `table "${table.name}" has no field "${name}"`);
  const column = quote(name);
  if (op === "$set") return { sql: `${column} = ?`, args: [encodeValue(field, value)] };
  if (!OPERATORS.includes(op)) throw invalid(path, `is no update operator: ${OPERATORS.join(" ")}`);
  const operand = numeric(field, value, path);
  if (Object.hasOwn(ARITHMETIC, op)) {
    // A NULL field counts as 0, as a counter that was never set.
    return {
      sql: `${column} = coalesce(${column}, 0) ${ARITHMETIC[op as keyof typeof ARITHMETIC]} ?`,
      args: [operand],
    };
  }
  const pick = op === "$max" ? "max" : "min";
  return {
    sql: `${column} = CASE WHEN ${column} IS NULL THEN ? ELSE ${pick}(${column}, ?) END`,
    args: [operand, operand],
  };
}

function numeric(field: Field, value: unknown, path: string): SqlValue {
  if (field.type !== "integer" && field.type !== "float") {
    throw invalid(path, `"${field.name}" is ${field.type}: arithmetic needs an integer or float field`);
  }
  return encodeValue({ ...field, required: true }, value);
}
