import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { ServiceError } from "../../../shared/function/errors.ts";
import { aliased, Filters, filtersOf, RowId, TableName, tableOf } from "../_request.ts";
import { compileFilter, type Condition } from "../_filter.ts";
import { compileUpdate } from "../_update.ts";
import { constrained } from "../_constraints.ts";
import { requireRowsFit, rowBytesSql } from "../_rows.ts";
import { missing, storedNow } from "../_types.ts";

export default defineRequest({
  description:
    "Updates a row by id, or every row matching filters: data sets fields, operations apply $set $inc $dec $mul $max $min",
  replyStyle: "rosey",
  input: z.object({
    table: TableName,
    id: RowId.optional(),
    filters: Filters.optional(),
    filter: Filters.optional(),
    data: z.unknown().optional(),
    operations: z.unknown().optional(),
    /** Alias of operations sent by some of Rosey's plugins. */
    update: z.unknown().optional(),
  }),
  output: z.object({
    success: z.literal(true),
    id: z.number().int().optional(),
    updated: z.union([z.boolean(), z.number().int()]).optional(),
    exists: z.literal(false).optional(),
  }),
  async handle(input, ctx) {
    const { store, table } = await tableOf(ctx, input.table);
    const filters = filtersOf(input);
    const operations = aliased(input, ["operations", "update"]);
    if (input.data === undefined && operations === undefined) {
      throw missing("data", "is missing: give data or operations");
    }
    const set = compileUpdate(table, input.data, operations);
    if (table.managed) {
      set.sql += `, "updated_at" = ?`;
      set.args.push(storedNow());
    }
    let where: Condition;
    if (input.id !== undefined) where = { sql: `${table.id} = ?`, args: [input.id] };
    else if (filters !== undefined) where = compileFilter(table, filters);
    else throw missing("id", "is missing: give id or filters");
    const update = `UPDATE ${table.sql} SET ${set.sql} WHERE ${where.sql}`;
    const args = [...set.args, ...where.args];
    // Rows are read back only when integer arithmetic could pass ±2^53, or text could grow past a reply.
    const grows = setsText(input.data) || setsText(operations);
    const updated = await store.write(async (tx) => {
      if (set.overflow === "0" && !grows) return (await constrained(tx.run(update, args))).changes;
      const rows = await constrained(
        tx.query<{ over: number; bytes: number }>(
          `${update} RETURNING (${set.overflow}) AS over, (${grows ? rowBytesSql(table) : "0"}) AS bytes`,
          args,
        ),
      );
      if (rows.some((row) => row.over)) {
        throw new ServiceError(409, "An integer would pass ±2^53 (9007199254740991): nothing was updated");
      }
      requireRowsFit(rows.map((row) => row.bytes), ctx.replyBytes);
      return rows.length;
    });
    if (input.id === undefined) return { success: true as const, updated };
    return updated > 0
      ? { success: true as const, id: input.id, updated: true }
      : { success: true as const, exists: false as const };
  },
});

/** Whether an update's data or operations hold a string anywhere: only text can make a row outgrow a reply. */
function setsText(value: unknown): boolean {
  if (typeof value === "string") return true;
  if (value === null || typeof value !== "object") return false;
  return Object.values(value).some(setsText);
}
