import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { aliased, TableName, tableOf } from "../_request.ts";
import { insertRows } from "../_rows.ts";
import { missing } from "../_types.ts";

export default defineRequest({
  description: "Inserts a row, or up to 1000 in one transaction; replies with their ids",
  replyStyle: "rosey",
  input: z.object({
    table: TableName,
    data: z.unknown().describe("a row {field: value}, or a list of rows"),
    /** Alias of data sent by some of Rosey's plugins. */
    values: z.unknown().optional(),
  }),
  output: z.object({
    success: z.literal(true),
    id: z.number().int().optional(),
    inserted_id: z.number().int().optional(),
    ids: z.array(z.number().int()).optional(),
    created: z.union([z.literal(true), z.number().int()]),
  }),
  async handle(input, ctx) {
    const data = aliased(input, ["data", "values"]);
    if (data === undefined) throw missing("data");
    const { store, table } = await tableOf(ctx, input.table);
    if (Array.isArray(data)) {
      const ids = await insertRows(store, table, data, "data", ctx.replyBytes);
      return { success: true as const, ids, created: ids.length };
    }
    const [id] = await insertRows(store, table, [data], "data", ctx.replyBytes);
    return { success: true as const, id, inserted_id: id, created: true as const };
  },
});
