import { z } from "zod";
import { defineRequest } from "../../../../shared/function/define.ts";
import { existingSubjectPlugin, pluginTableNames } from "../../../_plugin.ts";
import { findTable, TableName } from "../../_tables.ts";
import { FIELD_TYPES } from "../../_types.ts";

const TableSchema = z.object({
  name: z.string(),
  /** Made by schema.register (the service sets id, created_at and updated_at), else by the plugin's migrations. */
  managed: z.boolean(),
  fields: z.array(z.object({
    name: z.string(),
    type: z.enum(FIELD_TYPES),
    required: z.boolean(),
    maxLength: z.number().int().optional(),
    unique: z.boolean().optional(),
    index: z.boolean().optional(),
  })),
});

export default defineRequest({
  description: "The plugin's tables and their fields, or one table's",
  replyStyle: "rosey",
  readOnly: true,
  input: z.object({ table: TableName.optional() }),
  output: z.object({ success: z.literal(true), tables: z.array(TableSchema) }),
  async handle({ table }, ctx) {
    const store = await existingSubjectPlugin(ctx);
    if (!store) return { success: true as const, tables: [] };
    const names = table !== undefined ? [table] : await pluginTableNames(store.db);
    const tables = [];
    for (const name of names) {
      const found = await findTable(store.db, ctx.params.plugin, name).catch(() => undefined);
      if (found) tables.push({ name, managed: found.managed, fields: [...found.fields.values()] });
    }
    return { success: true as const, tables };
  },
});
