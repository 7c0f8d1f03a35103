import { z } from "zod";
import { defineRequest } from "../../../../shared/function/define.ts";
import { subjectPlugin } from "../../../_plugin.ts";
import { FieldSpec, registerTable, TableName } from "../../_tables.ts";

export default defineRequest({
  description:
    "Registers a table's fields: creates it, adopts one the plugin's migrations made, or adds new optional fields",
  replyStyle: "rosey",
  input: z.object({
    table: TableName,
    schema: z.object({ fields: z.array(FieldSpec).min(1).max(200) }),
  }),
  output: z.object({
    success: z.literal(true),
    table: z.string(),
    registered: z.enum(["created", "adopted", "unchanged", "extended"]),
  }),
  async handle({ table, schema }, ctx) {
    const store = await subjectPlugin(ctx);
    const registered = await registerTable(store, ctx.params.plugin, table, schema.fields);
    return { success: true as const, table, registered };
  },
});
