/**
 * Reading and writing a plugin's rows (README "Plugin storage"): values checked against the table's
 * fields, rows decoded as the plugin sent them, replies bounded by rows and by bytes.
 */
import type { Store } from "../../shared/function/define.ts";
import { ServiceError } from "../../shared/function/errors.ts";
import { fitItems, LIST_ENVELOPE_BYTES, requireDeliverable } from "../../shared/function/fit_items.ts";
import type { Sql } from "../../shared/function/sql.ts";
import { constrained } from "./_constraints.ts";
import { type Condition } from "./_filter.ts";
import { quote, type Table } from "./_tables.ts";
import { decodeValue, encodeValue, invalid, type SqlValue, storedNow } from "./_types.ts";

/** Most rows in a reply, and in one insert. */
export const ROWS_MAX = 1000;
/** Largest row, as JSON. */
export const ROW_MAX_BYTES = 256 * 1024;

export type Row = Record<string, unknown>;

/** The columns a row comes back with: every column, and the row id as `id`. */
export function selectList(table: Table): string {
  const columns = [...table.columns.keys()].map(quote);
  return table.columns.has("id") ? columns.join(", ") : [`${table.id} AS "id"`, ...columns].join(", ");
}

/** A stored row as the plugin sees it: booleans as true/false, times as ISO 8601. */
export function decodeRow(table: Table, row: Row): Row {
  const out: Row = {};
  for (const [name, value] of Object.entries(row)) out[name] = decodeValue(table.columns.get(name), value);
  return out;
}

/** The columns and values of a new row; required fields must be there, unknown ones are refused. */
export function encodeRow(table: Table, data: unknown, path: string): { columns: string[]; values: SqlValue[] } {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw invalid(path, "must be an object of fields");
  }
  const bytes = JSON.stringify(data).length;
  if (bytes > ROW_MAX_BYTES) {
    throw new ServiceError(413, `${path}: a row is at most ${ROW_MAX_BYTES} bytes of JSON`, [], "VALUE_TOO_LARGE");
  }
  const columns: string[] = [], values: SqlValue[] = [];
  for (const [name, value] of Object.entries(data)) {
    const field = table.fields.get(name);
    if (!field) {
      const why = table.managed && table.columns.has(name) ? "is set by the service" : `is no field of "${table.name}"`;
      throw invalid(`${path}.${name}`, why);
    }
    columns.push(quote(name));
    values.push(encodeValue(field, value));
  }
  for (const field of table.fields.values()) {
    if (field.required && !(field.name in data)) throw invalid(`${path}.${field.name}`, "is required");
  }
  if (table.managed) {
    const now = storedNow();
    columns.push('"created_at"', '"updated_at"');
    values.push(now, now);
  }
  return { columns, values };
}

/** Inserts `rows` in one transaction; their ids, in order. */
export function insertRows(
  store: Store,
  table: Table,
  rows: unknown[],
  path: string,
  replyBytes: number,
): Promise<number[]> {
  if (rows.length === 0) throw invalid(path, "holds no row");
  if (rows.length > ROWS_MAX) throw invalid(path, `holds ${rows.length} rows: at most ${ROWS_MAX} in one insert`);
  for (const row of rows) requireRowDeliverable(row, replyBytes);
  const encoded = rows.map((row, i) => encodeRow(table, row, rows.length === 1 ? path : `${path}[${i}]`));
  return store.write(async (tx) => {
    const ids: number[] = [];
    for (const { columns, values } of encoded) {
      const sql = columns.length > 0
        ? `INSERT INTO ${table.sql} (${columns.join(", ")}) VALUES (${values.map(() => "?").join(", ")})`
        : `INSERT INTO ${table.sql} DEFAULT VALUES`;
      const [row] = await constrained(tx.query<{ id: number }>(`${sql} RETURNING ${table.id} AS id`, values));
      ids.push(row.id);
    }
    return ids;
  });
}

/** What a row read back carries beside its fields: id, created_at, updated_at. */
const ROW_FIELDS_BYTES = 128;

/**
 * SQL of the bytes a row of `table` takes as JSON in a reply, near enough (each column's value as
 * UTF-8 text, its name and punctuation; escapes not counted), for checking a row a write changed.
 */
export function rowBytesSql(table: Table): string {
  return [...table.columns.keys()].map((column) =>
    `coalesce(length(CAST(${quote(column)} AS BLOB)), 4) + ${column.length + 6}`
  ).join(" + ");
}

/** Refuses (413, nothing written) a row that a write made too large for any read to answer. */
export function requireRowsFit(bytes: number[], replyBytes: number): void {
  const limit = replyBytes - ROW_FIELDS_BYTES - LIST_ENVELOPE_BYTES;
  const largest = Math.max(0, ...bytes);
  if (largest <= limit) return;
  throw new ServiceError(
    413,
    `Row too large: about ${largest} bytes as JSON after the update, over the ${limit} bytes a row may take in a reply on the connected server (its max_payload less room for headers): nothing was updated`,
  );
}

/** Refuses (413) a row no read could answer on the connected server, rather than leave it out of every later page. */
export function requireRowDeliverable(row: unknown, replyBytes: number): void {
  requireDeliverable(row, replyBytes - ROW_FIELDS_BYTES, "Row");
}

/** Options of {@linkcode findRows}. */
export interface Page {
  where: Condition;
  orderBy: string;
  limit: number;
  offset: number;
  /** Bytes of JSON the rows may take in the reply. */
  replyBytes: number;
}

/**
 * A page of rows; `truncated` when more matched than it holds (by count or by bytes). A row larger
 * than any reply (written under a larger max_payload) is left out and counted in `skipped`, so
 * that the next page, at `offset + rows + skipped`, moves on.
 */
export async function findRows(
  db: Sql,
  table: Table,
  page: Page,
): Promise<{ rows: Row[]; truncated: boolean; skipped: number }> {
  const take = Math.min(page.limit, ROWS_MAX);
  const found = await db.query<Row>(
    `SELECT ${selectList(table)} FROM ${table.sql} WHERE ${page.where.sql} ORDER BY ${page.orderBy} LIMIT ? OFFSET ?`,
    [...page.where.args, take + 1, page.offset],
  );
  const fitted = fitItems(
    found.slice(0, take).map((row) => decodeRow(table, row)),
    page.replyBytes - LIST_ENVELOPE_BYTES,
  );
  return { rows: fitted.kept, truncated: fitted.cut || found.length > take, skipped: fitted.skipped };
}

/** How many rows match. */
export async function countRows(db: Sql, table: Table, where: Condition): Promise<number> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table.sql} WHERE ${where.sql}`, where.args);
  return row.n;
}
