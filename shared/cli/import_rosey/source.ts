/**
 * A Python Rosey database as the import reads it: a private copy in a temporary folder, so the
 * file itself is never opened (the `libsql` package ignores `readonly`, and opening a file can
 * write to it: a hot journal rolled back, a WAL checkpointed on close).
 */
import Database from "libsql";
import { basename, join } from "node:path";

/** The tables in which Rosey's service kept its plugins' bookkeeping. */
export const ROSEY_PLUGIN_TABLES = ["plugin_kv_storage", "plugin_table_schemas", "plugin_schema_migrations"];

/** A row of `plugin_kv_storage`: times in Unix seconds. */
export interface RoseyKey {
  plugin: string;
  key: string;
  valueJson: string;
  expiresAt: number | null;
  updatedAt: number;
}

/** A row of `plugin_table_schemas`: the schema as the plugin sent it, `created_at` in Unix seconds. */
export interface RoseySchema {
  plugin: string;
  table: string;
  schemaJson: string;
  createdAt: number;
}

/** A row of `plugin_schema_migrations`: `applied_at` as Rosey wrote it, naive UTC text. */
export interface RoseyMigration {
  plugin: string;
  version: number;
  name: string;
  checksum: string;
  appliedAt: string;
  appliedBy: string;
  status: string;
  errorMessage: string | null;
  executionTimeMs: number | null;
}

/** A column of a table, as `pragma_table_xinfo` describes it. */
export interface Column {
  name: string;
  type: string;
  pk: number;
  /** 0 for a stored column; generated and hidden ones cannot be inserted. */
  hidden: number;
}

/** A table with what it takes to make it again elsewhere: its SQL, indexes, triggers and AUTOINCREMENT counter. */
export interface SourceTable {
  name: string;
  sql: string;
  columns: Column[];
  /** Whether row ids must be copied beside the columns: a rowid table without an INTEGER PRIMARY KEY. */
  copyRowid: boolean;
  withoutRowid: boolean;
  indexes: string[];
  triggers: string[];
  sequence?: number;
  rows: number;
}

/** The Rosey database, opened on a copy; {@linkcode close} removes the copy. */
export class RoseySource {
  private constructor(readonly file: string, readonly db: Database.Database, readonly copyDir: string) {}

  /** Copies `file` (with its WAL or journal, if any) aside and opens the copy. */
  static async open(file: string): Promise<RoseySource> {
    const copyDir = await Deno.makeTempDir({ prefix: "rosey-import-" });
    try {
      const copy = join(copyDir, basename(file));
      await Deno.copyFile(file, copy);
      for (const suffix of ["-wal", "-journal"]) {
        await Deno.copyFile(file + suffix, copy + suffix).catch((error) => {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        });
      }
      const db = new Database(copy);
      try {
        db.prepare("SELECT count(*) FROM sqlite_schema").get();
      } catch (error) {
        db.close();
        throw new Error(`"${file}" is not a SQLite database: ${(error as Error).message}`);
      }
      return new RoseySource(file, db, copyDir);
    } catch (error) {
      await Deno.remove(copyDir, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  /** Every table of the database except SQLite's own, by name. */
  tableNames(): string[] {
    return this.#all<{ name: string }>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    ).map((row) => row.name);
  }

  /** Views, which the import does not copy (they hold no data), by name. */
  viewNames(): string[] {
    return this.#all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name")
      .map((row) => row.name);
  }

  keys(): RoseyKey[] {
    if (!this.#has("plugin_kv_storage")) return [];
    return this.#all<RoseyKey>(
      `SELECT plugin_name AS plugin, "key" AS key, value_json AS valueJson, expires_at AS expiresAt,
              updated_at AS updatedAt FROM plugin_kv_storage ORDER BY plugin_name, "key"`,
    );
  }

  schemas(): RoseySchema[] {
    if (!this.#has("plugin_table_schemas")) return [];
    return this.#all<RoseySchema>(
      `SELECT plugin_name AS plugin, table_name AS "table", schema_json AS schemaJson, created_at AS createdAt
         FROM plugin_table_schemas ORDER BY id`,
    );
  }

  migrations(): RoseyMigration[] {
    if (!this.#has("plugin_schema_migrations")) return [];
    return this.#all<RoseyMigration>(
      `SELECT plugin_name AS plugin, version, name, checksum, CAST(applied_at AS TEXT) AS appliedAt,
              applied_by AS appliedBy, status, error_message AS errorMessage, execution_time_ms AS executionTimeMs
         FROM plugin_schema_migrations ORDER BY plugin_name, version`,
    );
  }

  /** The table `name`, described. */
  table(name: string): SourceTable {
    const [{ sql }] = this.#all<{ sql: string }>("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", [
      name,
    ]);
    const columns = this.#all<Column>("SELECT name, type, pk, hidden FROM pragma_table_xinfo(?)", [name]);
    const [info] = this.#all<{ wr: number }>("SELECT wr FROM pragma_table_list(?)", [name]);
    const keys = columns.filter((c) => c.pk > 0);
    const aliasedRowid = keys.length === 1 && keys[0].type.toUpperCase() === "INTEGER";
    const sqlOf = (type: string) =>
      this.#all<{ sql: string }>(
        "SELECT sql FROM sqlite_schema WHERE type = ? AND tbl_name = ? AND sql IS NOT NULL ORDER BY rowid",
        [type, name],
      ).map((row) => row.sql);
    const sequence = this.#has("sqlite_sequence")
      ? this.#all<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = ?", [name])[0]?.seq
      : undefined;
    const [{ n }] = this.#all<{ n: number }>(`SELECT count(*) AS n FROM ${quote(name)}`);
    return {
      name,
      sql,
      columns,
      copyRowid: info?.wr !== 1 && !aliasedRowid,
      withoutRowid: info?.wr === 1,
      indexes: sqlOf("index"),
      triggers: sqlOf("trigger"),
      sequence,
      rows: n,
    };
  }

  /**
   * The rows of `table` as arrays of `columns` (the row id first when it is copied), in row id (or
   * primary key) order, values exactly as stored: integers as bigint, reals as number, blobs as ArrayBuffer.
   */
  rows(table: SourceTable, columns: string[]): unknown[][] {
    const list = [...(table.copyRowid ? ["rowid"] : []), ...columns.map(quote)].join(", ");
    const order = table.withoutRowid ? "" : " ORDER BY rowid";
    const statement = this.db.prepare(`SELECT ${list} FROM ${quote(table.name)}${order}`);
    statement.safeIntegers(true);
    return statement.raw(true).all() as unknown[][];
  }

  /** Closes the copy and removes it. */
  async close(): Promise<void> {
    this.db.close();
    await Deno.remove(this.copyDir, { recursive: true }).catch(() => {});
  }

  #has(table: string): boolean {
    return this.#all("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", [table]).length > 0;
  }

  #all<T>(sql: string, args: unknown[] = []): T[] {
    return this.db.prepare(sql).all(args) as T[];
  }
}

/** An identifier quoted for SQL; only names read from the database's own schema get here. */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
