/**
 * A plugin's tables (README "Plugin storage"): those it registered with `schema.register`, and those
 * its migrations made, used as they are. Table and field names reach SQL only after this module has
 * found them in the plugin's own database, and then quoted.
 */
import { z } from "zod";
import type { Store } from "../../shared/function/define.ts";
import type { Sql } from "../../shared/function/sql.ts";
import { ServiceError } from "../../shared/function/errors.ts";
import { type Field, FIELD_TYPES, type FieldType, invalid } from "./_types.ts";

export const TABLE_NAME = /^[a-z][a-z0-9_]{0,99}$/;
export const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;
/** Columns of a table the service made, which it sets itself. */
export const SERVICE_COLUMNS = ["id", "created_at", "updated_at"] as const;

export const TableName = z.string().regex(TABLE_NAME, `must be a table name: ${TABLE_NAME.source}`).refine(
  (name) => !name.startsWith("sqlite_"),
  "must not start with sqlite_ (SQLite's own tables)",
);

/** A table found: the fields a plugin writes, and the columns it can filter and sort on. */
export interface Table {
  name: string;
  /** The table in SQL, quoted. */
  sql: string;
  /** The table's own name in the database (for the pragma functions), unquoted. */
  sqlName: string;
  /** The column holding the row id, quoted: `"id"`, a migration-made table's integer primary key, or rowid. */
  id: string;
  /** Whether the service sets id, created_at and updated_at (a table schema.register made). */
  managed: boolean;
  /** Fields a row's data may hold. */
  fields: Map<string, Field>;
  /** Every column that comes back in a row, with its field when it has one (for how it is decoded). */
  columns: Map<string, Field | undefined>;
}

/** An identifier quoted for SQL. Only names read from the database or checked against a pattern get here. */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The table `name` of the plugin, or NOT_FOUND. Rosey's migrations sometimes named it `<plugin>_<name>`. */
export async function findTable(db: Sql, plugin: string, name: string): Promise<Table> {
  const table = await lookUp(db, plugin, name);
  if (!table) throw noTable(plugin, name);
  return table;
}

/** NOT_FOUND for a table the plugin does not have, saying how to make it. */
export function noTable(plugin: string, name: string): ServiceError {
  return new ServiceError(
    404,
    `No table "${name}": register it with row.${plugin}.schema.register, or create it in a migration`,
  );
}

async function lookUp(db: Sql, plugin: string, name: string): Promise<Table | undefined> {
  if (!TABLE_NAME.test(name) || name.startsWith("sqlite_")) {
    throw invalid("table", `must be a table name: ${TABLE_NAME.source}, not starting with sqlite_`);
  }
  const registered = await db.first<{ sql_name: string; fields: string; adopted: number }>(
    "SELECT sql_name, fields, adopted FROM _rosey_tables WHERE name = ?",
    [name],
  );
  const sqlName = registered?.sql_name ?? await existingTable(db, plugin, name);
  if (sqlName === undefined) return undefined;
  const columns = await db.query<{ name: string; type: string; notnull: number; dflt_value: unknown; pk: number }>(
    'SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)',
    [sqlName],
  );
  // Registered, then dropped by a rollback of the plugin's migrations: no table any more.
  if (columns.length === 0) return undefined;
  const keys = columns.filter((c) => c.pk > 0);
  // Only a primary key declared exactly INTEGER is the rowid (`INT PRIMARY KEY` is not).
  const rowId = keys.length === 1 && keys[0].type.toUpperCase() === "INTEGER" ? keys[0].name : undefined;
  const [list] = await db.query<{ wr: number }>("SELECT wr FROM pragma_table_list(?)", [sqlName]);
  if (list?.wr === 1 && !rowId) {
    throw invalid("table", `"${name}" is a WITHOUT ROWID table without one INTEGER primary key: rows have no id`);
  }
  const managed = registered !== undefined && registered.adopted === 0;
  // What each column holds, as its declared type says: the fields of a table never registered, and
  // how the columns a registration leaves out of an adopted table are read back.
  const declared = new Map(
    columns.filter((column) => column.name !== rowId).map((column) => [
      column.name,
      {
        name: column.name,
        type: typeOfDeclared(column.type),
        required: column.notnull === 1 && column.dflt_value === null,
        fromMigration: true,
      } satisfies Field,
    ]),
  );
  const fields = registered
    ? new Map((JSON.parse(registered.fields) as Field[]).map((field) => [field.name, field]))
    : declared;
  const all = new Map<string, Field | undefined>();
  for (const column of columns) all.set(column.name, fields.get(column.name) ?? declared.get(column.name));
  if (managed) {
    for (const name of ["created_at", "updated_at"]) all.set(name, { name, type: "datetime", required: true });
  }
  return { name, sql: quote(sqlName), sqlName, id: rowId ? quote(rowId) : "rowid", managed, fields, columns: all };
}

/** The plugin's own table called `name` or `<plugin>_<name>`, never one of the service's. */
async function existingTable(db: Sql, plugin: string, name: string): Promise<string | undefined> {
  const rows = await db.query<{ name: string }>(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN (?, ?) ORDER BY name = ? DESC",
    [name, `${plugin}_${name}`, name],
  );
  return rows.map((row) => row.name).find((found) => !found.startsWith("_rosey_") && !found.startsWith("sqlite_"));
}

/** The field type a migration's declared column type stands for, by SQLite's own affinity rules first. */
function typeOfDeclared(declared: string): FieldType {
  const type = declared.toUpperCase();
  if (type.includes("BOOL")) return "boolean";
  if (type.includes("INT")) return "integer";
  if (/DATE|TIME/.test(type)) return "datetime";
  if (/REAL|FLOA|DOUB/.test(type)) return "float";
  return "text";
}

/** A field of `schema.register`, as Rosey's plugins send it (`max_length`, `default` and the like are kept). */
export const FieldSpec = z.object({
  name: z.string().regex(FIELD_NAME, `must be a field name: ${FIELD_NAME.source}`),
  type: z.enum(FIELD_TYPES),
  required: z.boolean().default(false),
  max_length: z.number().int().min(1).max(1_000_000).optional(),
  unique: z.boolean().default(false),
  index: z.boolean().default(false),
}).loose();

export type FieldSpec = z.output<typeof FieldSpec>;

/** What `schema.register` did. */
export type Registered = "created" | "adopted" | "unchanged" | "extended";

/**
 * Registers `specs` as the fields of `name`: creates the table, adopts one the plugin's migrations
 * made, does nothing for the same schema again, or adds new optional fields. A field removed or
 * changed is a VALIDATION_ERROR naming it.
 */
export function registerTable(store: Store, plugin: string, name: string, specs: FieldSpec[]): Promise<Registered> {
  const fields = specs.map((spec): Field => ({
    name: spec.name,
    type: spec.type,
    required: spec.required,
    ...(spec.max_length === undefined ? {} : { maxLength: spec.max_length }),
    ...(spec.unique ? { unique: true } : {}),
    ...(spec.index ? { index: true } : {}),
  }));
  const names = new Set<string>();
  for (const field of fields) {
    if (names.has(field.name)) throw invalid(`schema.fields`, `"${field.name}" is given twice`);
    names.add(field.name);
  }
  return store.write(async (tx) => {
    const [known] = await tx.query<{ fields: string; sql_name: string }>(
      "SELECT fields, sql_name FROM _rosey_tables WHERE name = ?",
      [name],
    );
    const stillThere = known && (await tx.query("SELECT 1 FROM pragma_table_info(?)", [known.sql_name])).length > 0;
    if (known && stillThere) return await extend(tx, name, known.sql_name, JSON.parse(known.fields) as Field[], fields);
    // A registered table a rollback dropped: registered anew.
    if (known) await tx.run("DELETE FROM _rosey_tables WHERE name = ?", [name]);
    const existing = await existingTable(tx, plugin, name);
    if (existing) return await adopt(tx, name, existing, fields);
    for (const field of fields) {
      if ((SERVICE_COLUMNS as readonly string[]).includes(field.name)) {
        throw invalid(`schema.fields`, `"${field.name}" is set by the service: leave it out`);
      }
    }
    const columns = fields.map((field) =>
      `${quote(field.name)} ${columnType(field)}${field.required ? " NOT NULL" : ""}`
    );
    await tx.run(
      `CREATE TABLE ${quote(name)} (id INTEGER PRIMARY KEY AUTOINCREMENT, ${columns.join(", ")}${
        columns.length ? ", " : ""
      }created_at TEXT NOT NULL, updated_at TEXT NOT NULL) STRICT`,
    );
    await indexFields(tx, name, fields);
    await record(tx, name, name, fields, false);
    return "created";
  });
}

async function extend(tx: Sql, name: string, sqlName: string, known: Field[], fields: Field[]): Promise<Registered> {
  const given = new Map(fields.map((field) => [field.name, field]));
  for (const old of known) {
    const now = given.get(old.name);
    if (!now) throw invalid("schema.fields", `"${old.name}" is missing: a registered field cannot be removed`);
    if (now.type !== old.type || now.required !== old.required) {
      throw invalid(
        "schema.fields",
        `"${old.name}" was ${describe(old)}, now ${describe(now)}: a field cannot change type`,
      );
    }
  }
  const added = fields.filter((field) => !known.some((old) => old.name === field.name));
  for (const field of added) {
    if (field.required) throw invalid("schema.fields", `"${field.name}" is new: a field added later must be optional`);
    await tx.run(`ALTER TABLE ${quote(sqlName)} ADD COLUMN ${quote(field.name)} ${columnType(field)}`);
  }
  await indexFields(tx, sqlName, fields);
  const changed = added.length > 0 || JSON.stringify(known) !== JSON.stringify(fields);
  if (changed) await record(tx, name, sqlName, fields, undefined);
  return added.length > 0 ? "extended" : "unchanged";
}

/** A table the plugin's migrations made: the registered fields are its columns, missing optional ones added. */
async function adopt(tx: Sql, name: string, sqlName: string, fields: Field[]): Promise<Registered> {
  const columns = await tx.query<{ name: string }>("SELECT name FROM pragma_table_info(?)", [sqlName]);
  for (const field of fields) {
    if (columns.some((column) => column.name === field.name)) continue;
    if (field.required) {
      throw invalid("schema.fields", `"${field.name}" is required but table "${name}" has no such column`);
    }
    await tx.run(`ALTER TABLE ${quote(sqlName)} ADD COLUMN ${quote(field.name)} ${columnType(field)}`);
  }
  await indexFields(tx, sqlName, fields);
  await record(tx, name, sqlName, fields, true);
  return "adopted";
}

async function indexFields(tx: Sql, sqlName: string, fields: Field[]) {
  for (const field of fields) {
    if (!field.unique && !field.index) continue;
    const index = quote(`_rosey_${field.unique ? "unique" : "index"}_${sqlName}_${field.name}`);
    await tx.run(
      `CREATE ${field.unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS ${index} ON ${quote(sqlName)} (${quote(field.name)})`,
    ).catch((error) => {
      if (!/UNIQUE constraint failed/.test(String(error?.message))) throw error;
      throw invalid("schema.fields", `"${field.name}" holds the same value in several rows: it cannot be unique`);
    });
  }
}

async function record(tx: Sql, name: string, sqlName: string, fields: Field[], adopted: boolean | undefined) {
  await tx.run(
    `INSERT INTO _rosey_tables (name, sql_name, fields, adopted, registered_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET fields = excluded.fields`,
    [name, sqlName, JSON.stringify(fields), adopted ? 1 : 0, new Date().toISOString()],
  );
}

function columnType(field: Field): string {
  return field.type === "float" ? "REAL" : field.type === "integer" || field.type === "boolean" ? "INTEGER" : "TEXT";
}

function describe(field: Field): string {
  return `${field.required ? "a required" : "an optional"} ${field.type}`;
}
