/**
 * Writing one plugin's plan into its database, inside one transaction: a failure leaves the
 * database as it was. Registered tables are made by schema.register's own code, so they are the
 * tables the plugin would have had, had it registered them here.
 */
import { quote, registerTable } from "../../../functions/row/_tables.ts";
import type { Sql } from "../../function/sql.ts";
import type { PluginPlan, TablePlan } from "./plan.ts";

/** What went into the plugin's database. */
export interface Written {
  tables: { source: string; target: string; rows: number }[];
  keys: number;
  migrations: number;
}

/** Writes `plan` with `tx`, the plugin database's write transaction; refuses a database that holds data. */
export async function writePlugin(tx: Sql, plan: PluginPlan, database: string): Promise<Written> {
  const held = await holdings(tx);
  if (held.length > 0) {
    throw new Error(`${database} already holds data (${held.join("; ")}): nothing of "${plan.plugin}" was imported`);
  }
  // Rows of tables that refer to each other arrive in any order; the keys are checked at commit.
  await tx.run("PRAGMA defer_foreign_keys = ON");
  const written: Written = { tables: [], keys: 0, migrations: 0 };
  const store = { db: tx, write: <T>(work: (tx: Sql) => Promise<T>) => work(tx) };
  // Copied tables first: a copied table a registered one displaces is renamed before the registration.
  const ordered = [...plan.tables].sort((a, b) => (a.made === b.made ? 0 : a.made === "copied" ? -1 : 1));
  for (const table of ordered) {
    if (table.made === "copied") await copyTable(tx, table);
    if (table.fields) {
      const registered = await registerTable(store, plan.plugin, table.target, table.fields);
      if (registered !== (table.made === "copied" ? "adopted" : "created")) {
        throw new Error(
          `table "${table.target}": registering it ${registered} it, where the import expected otherwise`,
        );
      }
      await tx.run("UPDATE _rosey_tables SET registered_at = ? WHERE name = ?", [table.registeredAt!, table.target]);
      if (table.made === "registered") await insertRows(tx, table.sqlName, table.columns, table.rows);
    }
    const [{ n }] = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${quote(table.sqlName)}`);
    written.tables.push({ source: table.source, target: table.sqlName, rows: n });
  }
  for (const key of plan.keys) {
    await tx.run("INSERT INTO _rosey_kv (key, value, expires_at, updated_at) VALUES (?, ?, ?, ?)", [
      key.key,
      key.value,
      key.expiresAt,
      key.updatedAt,
    ]);
    written.keys++;
  }
  for (const m of plan.migrations) {
    await tx.run(
      `INSERT INTO _rosey_migrations (version, name, checksum, status, applied_at, applied_by, execution_time_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [m.version, m.name, m.checksum, m.status, m.appliedAt, m.appliedBy, m.executionTimeMs],
    );
    written.migrations++;
  }
  return written;
}

/**
 * Rosey's table made again by its own CREATE statement, its rows (row ids kept), its AUTOINCREMENT
 * counter, then its indexes and triggers (after the rows, so no trigger fires on the copy); renamed
 * last when it is kept under another name, which SQLite carries into its indexes and triggers.
 */
async function copyTable(tx: Sql, plan: TablePlan): Promise<void> {
  const { table } = plan;
  await tx.run(table.sql);
  const columns = table.copyRowid ? ["rowid", ...plan.columns] : plan.columns;
  await insertRows(tx, table.name, columns, plan.rows);
  if (table.sequence !== undefined) {
    await tx.run("DELETE FROM sqlite_sequence WHERE name = ?", [table.name]);
    await tx.run("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", [table.name, BigInt(table.sequence)]);
  }
  for (const sql of [...table.indexes, ...table.triggers]) await tx.run(sql);
  if (plan.sqlName !== table.name) await tx.run(`ALTER TABLE ${quote(table.name)} RENAME TO ${quote(plan.sqlName)}`);
}

/**
 * Inserts `rows` as they were read: integers as bigint (the driver binds every JavaScript number as a
 * real), blobs as bytes, reals as numbers through CAST(? AS REAL), which says so whatever the driver does.
 */
async function insertRows(tx: Sql, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const names = columns.map((c) => (c === "rowid" ? c : quote(c))).join(", ");
  for (const row of rows) {
    const marks = row.map((value) => (typeof value === "number" ? "CAST(? AS REAL)" : "?")).join(", ");
    const args = row.map((value) => (value instanceof ArrayBuffer ? new Uint8Array(value) : value));
    await tx.run(`INSERT INTO ${quote(table)} (${names}) VALUES (${marks})`, args as (string | bigint | null)[]);
  }
}

/** What a plugin database holds, in words; empty when it holds nothing but the service's empty base tables. */
export async function holdings(sql: Sql): Promise<string[]> {
  const tables = (await sql.query<{ name: string }>(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
  )).map((row) => row.name);
  const held: string[] = [];
  const count = async (table: string, what: string) => {
    if (!tables.includes(table)) return;
    const [{ n }] = await sql.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
    if (n > 0) held.push(`${n} ${what}`);
  };
  await count("_rosey_kv", "key(s)");
  await count("_rosey_migrations", "migration record(s)");
  await count("_rosey_tables", "registered table(s)");
  const own = tables.filter((name) => !name.startsWith("_rosey_")).sort();
  if (own.length > 0) held.push(`tables ${own.map((name) => `"${name}"`).join(", ")}`);
  return held;
}
