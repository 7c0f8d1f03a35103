/**
 * Row order (README "Plugin storage"), in every form Rosey's plugins send: `{field, order}`, a list
 * of those, `order_by: [{field, direction}]`, `{score: -1}` and `"-score"`. Rows of equal keys come
 * in id order, so pages never overlap.
 */
import { invalid } from "./_types.ts";
import type { Table } from "./_tables.ts";
import { columnOf } from "./_filter.ts";

/** Most sort keys. */
const KEYS_MAX = 8;

/** The ORDER BY clause of `sort` on `table` (always ending with the row id). */
export function compileSort(table: Table, sort: unknown, at = "sort"): string {
  const keys = sortKeys(sort, at);
  if (keys.length > KEYS_MAX) throw invalid(at, `must have at most ${KEYS_MAX} keys`);
  const terms = keys.map(({ field, desc, path }) => `${columnOf(table, field, path)} ${desc ? "DESC" : "ASC"}`);
  if (!keys.some((key) => key.field === "id")) terms.push(`${table.id} ASC`);
  return terms.join(", ");
}

interface SortKey {
  field: string;
  desc: boolean;
  path: string;
}

function sortKeys(sort: unknown, at: string): SortKey[] {
  if (sort === undefined || sort === null) return [];
  if (typeof sort === "string") {
    const desc = sort.startsWith("-");
    return [{ field: desc ? sort.slice(1) : sort, desc, path: at }];
  }
  if (Array.isArray(sort)) return sort.flatMap((item, i) => sortKeys(item, `${at}[${i}]`));
  if (typeof sort !== "object") {
    throw invalid(at, 'must be {field, order}, a list of those, {field: 1 | -1} or "-field"');
  }
  const entry = sort as Record<string, unknown>;
  if ("field" in entry) {
    if (typeof entry.field !== "string") throw invalid(`${at}.field`, "must be a field name");
    const order = entry.order ?? entry.direction ?? "asc";
    return [{ field: entry.field, desc: direction(order, `${at}.order`), path: `${at}.field` }];
  }
  return Object.entries(entry).map(([field, order]) => ({ field, desc: direction(order, `${at}.${field}`), path: at }));
}

function direction(order: unknown, path: string): boolean {
  if (order === 1 || order === -1) return order === -1;
  if (typeof order === "string" && /^(asc|desc)$/i.test(order)) return order.toLowerCase() === "desc";
  throw invalid(path, 'must be "asc", "desc", 1 or -1');
}
