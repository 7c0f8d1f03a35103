import { z } from "zod";
import { fitItems, LIST_ENVELOPE_BYTES } from "../../../shared/function/fit_items.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { filtersOf, SELECTION, sortOf, TableName, tableOf } from "../_request.ts";
import { columnOf, compileFilter } from "../_filter.ts";
import { compileSort } from "../_sort.ts";
import { FIELD_NAME, quote, type Table } from "../_tables.ts";
import { decodeValue, invalid } from "../_types.ts";
import { ROWS_MAX } from "../_rows.ts";

/** total() rather than sum(): it never overflows, where a sum past 2^63 would fail and one past 2^53 could not be read. */
const FUNCTIONS = { $count: "count", $sum: "total", $avg: "avg", $min: "min", $max: "max" } as const;

export default defineRequest({
  description: "Counts, sums, averages, minima and maxima of rows matching filters, optionally per group: leaderboards",
  replyStyle: "rosey",
  readOnly: true,
  input: z.object({
    table: TableName,
    ...SELECTION,
    group_by: z.union([z.string(), z.array(z.string()).min(1).max(8)]).optional(),
    /** {name: {$count | $sum | $avg | $min | $max: field}}; `$count: "*"` counts rows. */
    aggregates: z.record(z.string().regex(FIELD_NAME), z.record(z.string(), z.string())).refine(
      (aggregates) => Object.keys(aggregates).length > 0 && Object.keys(aggregates).length <= 32,
      "must name 1 to 32 aggregates",
    ),
  }),
  output: z.object({
    success: z.literal(true),
    groups: z.array(z.record(z.string(), z.unknown())),
    count: z.number().int(),
    truncated: z.boolean(),
  }),
  async handle(input, ctx) {
    const { store, table } = await tableOf(ctx, input.table);
    const where = compileFilter(table, filtersOf(input));
    const groups = input.group_by === undefined ? [] : [input.group_by].flat();
    const groupColumns = groups.map((field, i) => columnOf(table, field, `group_by[${i}]`));
    const selected = Object.entries(input.aggregates).map(([name, spec]) => {
      if (groups.includes(name)) throw invalid(`aggregates.${name}`, "has the name of a group_by field");
      return `${aggregate(table, name, spec)} AS ${quote(name)}`;
    });
    // Sorting by group fields and aggregate names: a table of the result's own columns.
    const result: Table = {
      ...table,
      id: groupColumns[0] ?? "1",
      columns: new Map([...groups, ...Object.keys(input.aggregates)].map((name) => [name, undefined])),
    };
    const orderBy = compileSort(result, sortOf(input));
    const take = Math.min(input.limit, ROWS_MAX);
    const rows = await store.db.query<Record<string, unknown>>(
      `SELECT ${[...groupColumns.map((c, i) => `${c} AS ${quote(groups[i])}`), ...selected].join(", ")}
         FROM ${table.sql} WHERE ${where.sql}${groups.length ? ` GROUP BY ${groupColumns.join(", ")}` : ""}
         ORDER BY ${orderBy} LIMIT ?`,
      [...where.args, take + 1],
    );
    // A group field, $min and $max come back as their field's values do (times, booleans).
    const sources = new Map(groups.map((field) => [field, field]));
    for (const [name, spec] of Object.entries(input.aggregates)) {
      const [[op, field]] = Object.entries(spec);
      if (op === "$min" || op === "$max") sources.set(name, field);
    }
    const decoded = rows.slice(0, take).map((row) =>
      Object.fromEntries(
        Object.entries(row).map((
          [name, value],
        ) => [name, decodeValue(table.columns.get(sources.get(name) ?? ""), value)]),
      )
    );
    // Bounded by what the server carries too: group values can be long texts.
    const fitted = fitItems(decoded, ctx.replyBytes - LIST_ENVELOPE_BYTES);
    const truncated = fitted.cut || fitted.skipped > 0 || rows.length > take;
    return { success: true as const, groups: fitted.kept, count: fitted.kept.length, truncated };
  },
});

function aggregate(table: Table, name: string, spec: Record<string, string>): string {
  const entries = Object.entries(spec);
  const path = `aggregates.${name}`;
  if (entries.length !== 1) throw invalid(path, "must be one of {$count|$sum|$avg|$min|$max: field}");
  const [[op, field]] = entries;
  if (!Object.hasOwn(FUNCTIONS, op)) throw invalid(`${path}.${op}`, "is no aggregate: $count $sum $avg $min $max");
  if (op === "$count" && field === "*") return "count(*)";
  const column = columnOf(table, field, `${path}.${op}`);
  const type = field === "id" ? "integer" : table.columns.get(field)?.type;
  if ((op === "$sum" || op === "$avg") && type !== "integer" && type !== "float") {
    throw invalid(`${path}.${op}`, `"${field}" is ${type ?? "untyped"}: ${op} needs an integer or float field`);
  }
  return `${FUNCTIONS[op as keyof typeof FUNCTIONS]}(${column})`;
}
