import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { Filters, filtersOf, RowId, TableName, tableOf } from "../_request.ts";
import { compileFilter } from "../_filter.ts";
import { constrained } from "../_constraints.ts";
import { missing } from "../_types.ts";

export default defineRequest({
  description: "Deletes a row by id, or every row matching filters",
  replyStyle: "rosey",
  input: z.object({ table: TableName, id: RowId.optional(), filters: Filters.optional(), filter: Filters.optional() }),
  output: z.object({
    success: z.literal(true),
    deleted: z.union([z.boolean(), z.number().int()]),
    deleted_count: z.number().int().optional(),
  }),
  async handle(input, ctx) {
    const { store, table } = await tableOf(ctx, input.table);
    const filters = filtersOf(input);
    const where = input.id !== undefined
      ? { sql: `${table.id} = ?`, args: [input.id] }
      : filters !== undefined
      ? compileFilter(table, filters)
      : undefined;
    if (!where) throw missing("id", "is missing: give id or filters");
    const deleted = await store.write(async (tx) =>
      (await constrained(tx.run(`DELETE FROM ${table.sql} WHERE ${where.sql}`, where.args))).changes
    );
    if (input.id !== undefined) return { success: true as const, deleted: deleted > 0 };
    return { success: true as const, deleted, deleted_count: deleted };
  },
});
