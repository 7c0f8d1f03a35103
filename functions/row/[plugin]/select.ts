import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { filtersOf, Offset, RowId, SELECTION, sortOf, TableName, tableOf } from "../_request.ts";
import { compileFilter } from "../_filter.ts";
import { compileSort } from "../_sort.ts";
import { countRows, decodeRow, findRows, selectList } from "../_rows.ts";
import { missing } from "../_types.ts";

export default defineRequest({
  description: "A row by id, or the rows matching filters (count_only: just how many)",
  replyStyle: "rosey",
  readOnly: true,
  input: z.object({
    table: TableName,
    id: RowId.optional(),
    ...SELECTION,
    offset: Offset.default(0),
    count_only: z.boolean().default(false),
  }),
  output: z.object({
    success: z.literal(true),
    exists: z.boolean().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    rows: z.array(z.record(z.string(), z.unknown())).optional(),
    count: z.number().int().optional(),
    truncated: z.boolean().optional(),
    /** Rows left out, each larger than any reply on the connected server: the next page is at offset + count + skipped. */
    skipped: z.number().int().optional(),
  }),
  async handle(input, ctx) {
    const { store, table } = await tableOf(ctx, input.table);
    const filters = filtersOf(input);
    if (input.id !== undefined) {
      const [row] = await store.db.query(`SELECT ${selectList(table)} FROM ${table.sql} WHERE ${table.id} = ?`, [
        input.id,
      ]);
      return row
        ? { success: true as const, exists: true, data: decodeRow(table, row) }
        : { success: true as const, exists: false };
    }
    if (filters === undefined) throw missing("id", "is missing: give id or filters");
    const where = compileFilter(table, filters);
    if (input.count_only) return { success: true as const, count: await countRows(store.db, table, where) };
    const orderBy = compileSort(table, sortOf(input));
    const page = await findRows(store.db, table, { ...input, where, orderBy, replyBytes: ctx.replyBytes });
    const skipped = page.skipped > 0 ? { skipped: page.skipped } : {};
    return { success: true as const, rows: page.rows, count: page.rows.length, truncated: page.truncated, ...skipped };
  },
});
