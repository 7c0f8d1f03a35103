/**
 * Rows that earlier versions stored with integers beyond ±2^53 (an event's `timestamp: 1e18`, say)
 * cannot be read back: libSQL answers such a value with an error, so every read of the row failed.
 * Such values become NULL where the column allows it, else the nearest safe integer; primary keys are
 * left alone (changing one could collide) and reported. Columns come from the database's own schema.
 */
import type { Sql } from "../../function/sql.ts";
import type { Logger } from "../../log.ts";

const SAFE = "9007199254740991";

interface Column {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

export default async function (tx: Sql, log: Logger) {
  const tables = await tx.query<{ name: string; sql: string }>(
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
  );
  // Full-text indexes and their shadow tables hold the engine's own integers (segment ids beyond 2^53).
  const virtual = tables.filter((t) => /^CREATE VIRTUAL/i.test(t.sql)).map((t) => t.name);
  const own = tables.filter((t) => !virtual.some((v) => t.name === v || t.name.startsWith(`${v}_`)));
  for (const { name: table } of own) {
    const columns = await tx.query<Column>(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, [table]);
    let repaired = 0;
    for (const column of columns) {
      if (!/INT/i.test(column.type)) continue;
      // Identifiers from sqlite_master and pragma_table_info, quoted: never from input.
      const [t, c] = [quote(table), quote(column.name)];
      const unsafe = `typeof(${c}) = 'integer' AND (${c} > ${SAFE} OR ${c} < -${SAFE})`;
      if (column.pk > 0) {
        const [{ n }] = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${t} WHERE ${unsafe}`);
        if (n > 0) log.warn("Primary keys beyond ±2^53 left as they are", { table, column: column.name, rows: n });
        continue;
      }
      const value = column.notnull ? `CASE WHEN ${c} > 0 THEN ${SAFE} ELSE -${SAFE} END` : "NULL";
      repaired += (await tx.run(`UPDATE ${t} SET ${c} = ${value} WHERE ${unsafe}`)).changes;
    }
    if (repaired > 0) log.warn("Repaired integers beyond ±2^53", { table, values: repaired });
  }
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
