/** What every row subject takes: its table, and Rosey's plugins' aliases for fields (`filter` for `filters`). */
import { z } from "zod";
import type { RequestContext, Store } from "../../shared/function/define.ts";
import { existingSubjectPlugin } from "../_plugin.ts";
import { findTable, noTable, type Table, TableName } from "./_tables.ts";
import { invalid } from "./_types.ts";

export { TableName };
/** A row id. */
export const RowId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
/** A limit: above the reply's bound it is capped (with truncated:true), never refused. */
export const Limit = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export const Offset = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Filters, sort, data and operations are checked against the table's fields, not by a schema. */
export const Filters = z.unknown().describe("conditions: {field: value | {$op: value}}, $and, $or, $not");
export const Sort = z.unknown().describe('{field, order}, a list of those, {field: 1 | -1} or "-field"');

/** What selects rows, in every spelling Rosey's plugins send: filters or filter; sort, order or order_by. */
export const SELECTION = {
  filters: Filters.optional(),
  filter: Filters.optional(),
  sort: Sort.optional(),
  order: Sort.optional(),
  order_by: Sort.optional(),
  limit: Limit.default(100),
};

/** The filters of an input, under whichever name it gives them. */
export function filtersOf(input: Record<string, unknown>): unknown {
  return aliased(input, ["filters", "filter"]);
}

/** The sort of an input, under whichever name it gives it. */
export function sortOf(input: Record<string, unknown>): unknown {
  return aliased(input, ["sort", "order", "order_by"]);
}

/** The plugin's store and its table named in the input. */
export async function tableOf(ctx: RequestContext, name: string): Promise<{ store: Store; table: Table }> {
  // A plugin that never wrote has no tables: nothing is made for it here.
  const store = await existingSubjectPlugin(ctx);
  if (!store) throw noTable(ctx.params.plugin, name);
  return { store, table: await findTable(store.db, ctx.params.plugin, name) };
}

/** The value given under `names[0]` or one of its aliases; two of them at once are refused. */
export function aliased(input: Record<string, unknown>, names: string[]): unknown {
  const given = names.filter((name) => input[name] !== undefined);
  if (given.length > 1) throw invalid(given[1], `is another name for ${given[0]}: give one of them`);
  return given.length === 1 ? input[given[0]] : undefined;
}
