/** Rosey's registered tables (`<plugin>_<table>`, with their schema in `plugin_table_schemas`) as the plugin's tables. */
import { FieldSpec, TABLE_NAME } from "../../../functions/row/_tables.ts";
import { fieldValue, milliseconds, serviceTime, ValueProblem } from "./convert.ts";
import type { TablePlan } from "./plan.ts";
import type { RoseySchema, RoseySource } from "./source.ts";

/**
 * A table Rosey's schema.register made (`<plugin>_<table>`): made the same way here, as the plugin's
 * table `<table>`, ids kept and values converted; copied as it is (and its fields registered) when its
 * columns are not those the registration gave it (a table Rosey's Alembic made first).
 */
export function registeredTable(
  source: RoseySource,
  schema: RoseySchema,
  present: boolean,
  problem: (text: string) => void,
): TablePlan | undefined {
  const sourceName = `${schema.plugin}_${schema.table}`;
  const at = `table "${sourceName}"`;
  if (!TABLE_NAME.test(schema.table)) return void problem(`${at}: "${schema.table}" is not a table name`);
  let fields: FieldSpec[];
  try {
    const parsed = JSON.parse(schema.schemaJson) as { fields?: unknown };
    fields = FieldSpec.array().min(1).parse(parsed.fields);
  } catch (error) {
    return void problem(`${at}: its registered schema cannot be read: ${(error as Error).message.split("\n")[0]}`);
  }
  const registeredAt = new Date(milliseconds(schema.createdAt)).toISOString();
  const base = { source: sourceName, target: schema.table, sqlName: schema.table, fields, registeredAt };
  if (!present) {
    const table = {
      name: sourceName,
      sql: "",
      columns: [],
      copyRowid: false,
      withoutRowid: false,
      indexes: [],
      triggers: [],
      rows: 0,
    };
    return {
      ...base,
      made: "registered",
      table,
      columns: [],
      rows: [],
      why: "registered in Rosey, which never made its table: made empty",
    };
  }
  const table = source.table(sourceName);
  const expected = ["id", ...fields.map((f) => f.name), "created_at", "updated_at"];
  const actual = table.columns.map((c) => c.name);
  const idKey = table.columns.find((c) => c.name === "id")?.pk === 1;
  if (!idKey || expected.length !== actual.length || expected.some((name) => !actual.includes(name))) {
    const columns = table.columns.filter((c) => c.hidden === 0).map((c) => c.name);
    const why =
      `registered in Rosey, its columns not the registered fields': copied as it is and adopted as "${schema.table}"`;
    return { ...base, sqlName: sourceName, made: "copied", table, columns, rows: source.rows(table, columns), why };
  }
  const unreadTimes = { count: 0 };
  const rows: unknown[][] = [];
  for (const row of source.rows(table, expected)) {
    try {
      rows.push([
        row[0],
        ...fields.map((field, i) => fieldValue({ ...field, maxLength: field.max_length }, row[i + 1], unreadTimes)),
        serviceTime("created_at", row[fields.length + 1]),
        serviceTime("updated_at", row[fields.length + 2]),
      ]);
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      problem(`${at}, id ${row[0]}: ${error.message}`);
    }
  }
  const why = "registered in Rosey: made as schema.register makes it, ids kept" +
    (unreadTimes.count ? `, ${unreadTimes.count} times that are no ISO 8601 kept as text` : "");
  return { ...base, made: "registered", table, columns: expected, rows, why };
}
