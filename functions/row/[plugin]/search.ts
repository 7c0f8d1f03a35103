import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { filtersOf, Offset, SELECTION, sortOf, TableName, tableOf } from "../_request.ts";
import { compileFilter } from "../_filter.ts";
import { compileSort } from "../_sort.ts";
import { findRows } from "../_rows.ts";

export default defineRequest({
  description: "Rows matching filters, sorted, a page at a time (1000 at most; a larger limit is capped)",
  replyStyle: "rosey",
  readOnly: true,
  input: z.object({ table: TableName, ...SELECTION, offset: Offset.default(0) }),
  output: z.object({
    success: z.literal(true),
    rows: z.array(z.record(z.string(), z.unknown())),
    count: z.number().int(),
    truncated: z.boolean(),
    /** Rows left out, each larger than any reply on the connected server: the next page is at offset + count + skipped. */
    skipped: z.number().int().optional(),
  }),
  async handle(input, ctx) {
    const { store, table } = await tableOf(ctx, input.table);
    const where = compileFilter(table, filtersOf(input));
    const orderBy = compileSort(table, sortOf(input));
    const page = await findRows(store.db, table, { ...input, where, orderBy, replyBytes: ctx.replyBytes });
    const skipped = page.skipped > 0 ? { skipped: page.skipped } : {};
    return { success: true as const, rows: page.rows, count: page.rows.length, truncated: page.truncated, ...skipped };
  },
});
