import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import type { Sql } from "../../../shared/function/sql.ts";
import { FIELD_NAME, quote } from "../_tables.ts";
import { TableName, tableOf } from "../_request.ts";
import { constrained } from "../_constraints.ts";
import { encodeRow, requireRowDeliverable, requireRowsFit, rowBytesSql } from "../_rows.ts";
import { invalid } from "../_types.ts";

export default defineRequest({
  description: "Inserts a row, or updates the one with the same values of a unique key (on: its fields)",
  replyStyle: "rosey",
  input: z.object({
    table: TableName,
    data: z.record(z.string(), z.unknown()),
    on: z.array(z.string().regex(FIELD_NAME)).min(1).max(8),
  }),
  output: z.object({ success: z.literal(true), id: z.number().int(), created: z.boolean(), updated: z.boolean() }),
  async handle({ table: name, data, on }, ctx) {
    const { store, table } = await tableOf(ctx, name);
    for (const field of on) {
      if (!Object.hasOwn(data, field)) throw invalid(`on`, `"${field}" must be in data: it picks the row`);
      // NULL equals nothing, and a unique key holds any number of NULLs: each call would add a row.
      if (data[field] === null) {
        throw invalid(`data.${field}`, "is null: a field in on must have a value to pick the row");
      }
    }
    requireRowDeliverable(data, ctx.replyBytes);
    const { columns, values } = encodeRow(table, data, "data");
    return await store.write(async (tx) => {
      if (!await isUniqueKey(tx, table.sqlName, on)) {
        throw invalid("on", `[${on.join(", ")}] is no unique key of "${name}": declare the field unique: true`);
      }
      const where = on.map((field) => `${quote(field)} = ?`).join(" AND ");
      const key = on.map((field) => values[columns.indexOf(quote(field))]);
      const [existing] = await tx.query<{ id: number }>(
        `SELECT ${table.id} AS id FROM ${table.sql} WHERE ${where}`,
        key,
      );
      if (existing) {
        // created_at stays as it was: the row is the same row.
        const set = columns.map((column, i) => ({ column, value: values[i] }))
          .filter(({ column }) => column !== '"created_at"' && !on.some((field) => quote(field) === column));
        if (set.length > 0) {
          // The merged row, not only what was sent, must fit a reply.
          const rows = await constrained(tx.query<{ bytes: number }>(
            `UPDATE ${table.sql} SET ${set.map(({ column }) => `${column} = ?`).join(", ")} WHERE ${table.id} = ?
               RETURNING (${rowBytesSql(table)}) AS bytes`,
            [...set.map(({ value }) => value), existing.id],
          ));
          requireRowsFit(rows.map((row) => row.bytes), ctx.replyBytes);
        }
        return { success: true as const, id: existing.id, created: false, updated: true };
      }
      const [row] = await constrained(tx.query<{ id: number }>(
        `INSERT INTO ${table.sql} (${columns.join(", ")}) VALUES (${
          values.map(() => "?").join(", ")
        }) RETURNING ${table.id} AS id`,
        values,
      ));
      return { success: true as const, id: row.id, created: true, updated: false };
    });
  },
});

/** Whether a unique index or constraint of the table covers exactly `fields`. */
async function isUniqueKey(tx: Sql, sqlName: string, fields: string[]): Promise<boolean> {
  const indexes = await tx.query<{ name: string }>('SELECT name FROM pragma_index_list(?) WHERE "unique" = 1', [
    sqlName,
  ]);
  for (const { name } of indexes) {
    const columns = (await tx.query<{ name: string }>("SELECT name FROM pragma_index_info(?)", [name])).map((c) =>
      c.name
    );
    if (columns.length === fields.length && fields.every((field) => columns.includes(field))) return true;
  }
  return false;
}
