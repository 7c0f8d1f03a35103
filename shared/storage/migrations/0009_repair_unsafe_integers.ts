/**
 * Rows that earlier versions stored with integers beyond ±2^53 (an event's `timestamp: 1e18`, say)
 * cannot be read back: libSQL answers such a value with an error, so every read of the row failed.
 * What a value becomes depends on what its column promises (columns come from the database's own schema):
 * - nullable: NULL (NULL never collides in a UNIQUE index either);
 * - NOT NULL: the nearest safe integer, ±(2^53 - 1);
 * - NOT NULL and in a UNIQUE index: the next values past the largest (or smallest) safe value in use,
 *   in the old values' order. Clamping two rows to the same bound would break the constraint and fail
 *   the migration, hence start-up. Counting outwards from the values in use rather than inwards from the
 *   bound keeps every row and its order, and leaves room for counters such as `conversations.activity`
 *   (the next is max + 1, and a conversation list reads below 2^53 - 1): at the bound the next conversation
 *   would be poisoned again. Equal old values (a UNIQUE index of several columns) get equal new ones.
 * - a key (a primary key, a foreign key or a column one refers to): left as it is, since a changed
 *   identity would detach what refers to it;
 * - any repair the schema still refuses (a CHECK, no room left below 2^53): rolled back.
 * Values left as they are are logged with their table, column and rowids, so the migration never fails
 * on what it finds and loses nothing.
 */
import type { Sql } from "../../function/sql.ts";
import type { Logger } from "../../log.ts";

const SAFE = "9007199254740991";
/** Rowids named in one log line; the count says how many more there are. */
const NAMED_ROWS = 20;

interface Table {
  name: string;
  sql: string;
}

interface Column {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

/** Identifiers come from sqlite_master and pragmas, quoted: never from input. */
interface Target {
  table: string;
  column: string;
  t: string;
  c: string;
  hasRowid: boolean;
}

export default async function (tx: Sql, log: Logger) {
  const tables = await tx.query<Table>(
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
  );
  // Full-text indexes and their shadow tables hold the engine's own integers (segment ids beyond 2^53).
  const virtual = tables.filter((t) => /^CREATE VIRTUAL/i.test(t.sql)).map((t) => t.name);
  const own = tables.filter((t) => !virtual.some((v) => t.name === v || t.name.startsWith(`${v}_`)));
  const keys = await foreignKeyColumns(tx, own);
  for (const table of own) {
    const columns = await tx.query<Column>(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, [table.name]);
    const unique = await uniqueColumns(tx, table.name);
    let repaired = 0;
    for (const column of columns) {
      if (!/INT/i.test(column.type)) continue;
      const target = {
        table: table.name,
        column: column.name,
        t: quote(table.name),
        c: quote(column.name),
        hasRowid: !/\bWITHOUT\s+ROWID\b/i.test(table.sql),
      };
      const [{ n }] = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${target.t} WHERE ${unsafe(target)}`);
      if (n === 0) continue;
      if (column.pk > 0 || keys.has(`${table.name}\0${column.name}`)) {
        await reportLeft(tx, log, target, "the column is a key");
        continue;
      }
      const repair = !column.notnull
        ? () => setAll(tx, target, "NULL")
        : unique.has(column.name)
        ? () => spreadPastInUse(tx, target)
        : () => setAll(tx, target, `CASE WHEN ${target.c} > 0 THEN ${SAFE} ELSE -${SAFE} END`);
      const changes = await inSavepoint(tx, repair);
      if (changes === undefined) await reportLeft(tx, log, target, "no repair fits the column's constraints");
      else repaired += changes;
    }
    if (repaired > 0) log.warn("Repaired integers beyond ±2^53", { table: table.name, values: repaired });
  }
}

function unsafe({ c }: Target): string {
  return `typeof(${c}) = 'integer' AND (${c} > ${SAFE} OR ${c} < -${SAFE})`;
}

function setAll(tx: Sql, target: Target, value: string): Promise<number> {
  return tx.run(`UPDATE ${target.t} SET ${target.c} = ${value} WHERE ${unsafe(target)}`).then((r) => r.changes);
}

/**
 * Beyond 2^53 - 1: max + 1, max + 2, … in ascending order of the old values; below -(2^53 - 1): min - 1,
 * min - 2, … in descending order. Undefined, changing nothing, when that would pass the bound.
 */
async function spreadPastInUse(tx: Sql, target: Target): Promise<number | undefined> {
  const { t, c } = target;
  const safe = `typeof(${c}) = 'integer' AND ${c} BETWEEN -${SAFE} AND ${SAFE}`;
  const [{ high, low }] = await tx.query<{ high: number; low: number }>(
    `SELECT coalesce(max(${c}), 0) AS high, coalesce(min(${c}), 0) AS low FROM ${t} WHERE ${safe}`,
  );
  // Old values as text: reading them as numbers is what fails.
  const oldValues = (side: string, order: string) =>
    tx.query<{ old: string }>(
      `SELECT DISTINCT CAST(${c} AS TEXT) AS old FROM ${t} WHERE typeof(${c}) = 'integer' AND ${c} ${side}
        ORDER BY ${c} ${order}`,
    );
  const sides = [
    { start: high, step: 1, olds: await oldValues(`> ${SAFE}`, "ASC") },
    { start: low, step: -1, olds: await oldValues(`< -${SAFE}`, "DESC") },
  ];
  if (sides.some((s) => Math.abs(s.start + s.step * s.olds.length) > Number.MAX_SAFE_INTEGER)) return undefined;
  let changes = 0;
  for (const { start, step, olds } of sides) {
    for (const [i, { old }] of olds.entries()) {
      const value = start + step * (i + 1);
      changes += (await tx.run(`UPDATE ${t} SET ${c} = ? WHERE ${c} = CAST(? AS INTEGER)`, [value, old])).changes;
    }
  }
  return changes;
}

/**
 * Runs `repair` in a savepoint, rolled back when it breaks a constraint or answers undefined (it found
 * no repair); answers the values changed, or undefined when nothing was.
 */
async function inSavepoint(tx: Sql, repair: () => Promise<number | undefined>): Promise<number | undefined> {
  await tx.run("SAVEPOINT repair_column");
  let changes: number | undefined;
  try {
    changes = await repair();
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (!/constraint/i.test(`${code} ${message}`)) throw error;
  }
  if (changes === undefined) await tx.run("ROLLBACK TO repair_column");
  await tx.run("RELEASE repair_column");
  return changes;
}

/** Logs the rows whose values stay beyond ±2^53: rowids (or, without one, the values) as text. */
async function reportLeft(tx: Sql, log: Logger, target: Target, reason: string) {
  const name = target.hasRowid ? "CAST(rowid AS TEXT)" : `CAST(${target.c} AS TEXT)`;
  const rows = await tx.query<{ row: string }>(
    `SELECT ${name} AS row FROM ${target.t} WHERE ${unsafe(target)} ORDER BY 1 LIMIT ${NAMED_ROWS + 1}`,
  );
  const [{ n }] = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${target.t} WHERE ${unsafe(target)}`);
  log.warn(`Integers beyond ±2^53 left as they are: ${reason}`, {
    table: target.table,
    column: target.column,
    rows: n,
    [target.hasRowid ? "rowids" : "values"]: rows.slice(0, NAMED_ROWS).map((r) => r.row),
  });
}

/** Columns of any UNIQUE index or constraint on `table`, partial ones included (an expression names no column). */
async function uniqueColumns(tx: Sql, table: string): Promise<Set<string>> {
  const rows = await tx.query<{ name: string | null }>(
    `SELECT i.name FROM pragma_index_list(?) AS l, pragma_index_info(l.name) AS i WHERE l."unique" = 1`,
    [table],
  );
  return new Set(rows.flatMap((r) => r.name === null ? [] : [r.name]));
}

/** "table\0column" for every column of a foreign key and every column one refers to. */
async function foreignKeyColumns(tx: Sql, tables: Table[]): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const { name } of tables) {
    const fks = await tx.query<{ table: string; from: string; to: string | null }>(
      `SELECT "table", "from", "to" FROM pragma_foreign_key_list(?)`,
      [name],
    );
    for (const fk of fks) {
      keys.add(`${name}\0${fk.from}`);
      // A foreign key without a column list refers to the parent's primary key: a key already.
      if (fk.to !== null) keys.add(`${fk.table}\0${fk.to}`);
    }
  }
  return keys;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
