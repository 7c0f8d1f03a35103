/** Numbered migrations (`NNNN_name.sql` or `NNNN_name.ts`), each applied once in its own transaction. */
import type { Database } from "./db.ts";
import type { Logger } from "../log.ts";
import type { Sql } from "../function/sql.ts";

/** One migration file. A `.ts` migration default-exports `async (tx: Sql, log: Logger) => void`. */
export interface Migration {
  version: number;
  name: string;
  apply(tx: Sql, log: Logger): Promise<void>;
}

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.(sql|ts)$/;

/** Reads the migration files in version order; refuses gaps in naming and duplicate versions. */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || entry.name.endsWith("_test.ts")) continue;
    const match = FILE_NAME.exec(entry.name);
    if (!match) throw new Error(`Cannot load migration "${entry.name}": name must look like "0001_create_tables.sql"`);
    const [, version, name, ext] = match;
    const url = new URL(entry.name, dir);
    const apply = ext === "sql" ? sqlMigration(await Deno.readTextFile(url)) : await tsMigration(url, entry.name);
    migrations.push({ version: Number(version), name, apply });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) {
      throw new Error(`Cannot load migrations: version ${migrations[i].version} is used twice`);
    }
  }
  return migrations;
}

function sqlMigration(text: string) {
  const statements = splitStatements(text);
  return async (tx: Sql) => {
    for (const statement of statements) await tx.run(statement);
  };
}

/**
 * Splits a SQL script into statements. The client's own multi-statement call rolls back an
 * open transaction, so migrations run statement by statement inside theirs.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = "";
  let depth = 0; // BEGIN … END nesting inside CREATE TRIGGER
  for (let i = 0; i < script.length; i++) {
    const ch = script[i];
    if (ch === "-" && script[i + 1] === "-") {
      while (i < script.length && script[i] !== "\n") i++;
      current += " ";
      continue;
    }
    if (ch === "/" && script[i + 1] === "*") {
      i = script.indexOf("*/", i + 2);
      if (i < 0) break;
      i++;
      current += " ";
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`") {
      const end = script.indexOf(ch, i + 1);
      const stop = end < 0 ? script.length : end;
      current += script.slice(i, stop + 1);
      i = stop;
      continue;
    }
    if (/[A-Za-z]/.test(ch) && !/[A-Za-z0-9_]/.test(script[i - 1] ?? " ")) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(script.slice(i))![0];
      const upper = word.toUpperCase();
      if (upper === "BEGIN" && /\bTRIGGER\b/i.test(current)) depth++;
      else if (upper === "END" && depth > 0) depth--;
      current += word;
      i += word.length - 1;
      continue;
    }
    if (ch === ";" && depth === 0) {
      if (current.trim()) statements.push(current.trim());
      current = "";
      continue;
    }
    current += ch;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}

async function tsMigration(url: URL, fileName: string) {
  const module = await import(url.href);
  if (typeof module.default !== "function") {
    throw new Error(
      `Cannot load migration "${fileName}": default export must be "async function (tx: Sql, log: Logger)"`,
    );
  }
  return module.default as (tx: Sql, log: Logger) => Promise<void>;
}

/** The tables that record applied migrations: the service's, and the base of each plugin database. */
export type MigrationsTable = "schema_migrations" | "_rosey_base_migrations";

/** Versions already applied to `db`, as recorded in `table`. */
export async function appliedVersions(
  db: Database,
  table: MigrationsTable = "schema_migrations",
): Promise<Set<number>> {
  const exists = await db.read.query(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, [table]);
  if (exists.length === 0) return new Set();
  const rows = await db.read.query<{ version: number }>(`SELECT version FROM ${table}`);
  return new Set(rows.map((row) => Number(row.version)));
}

/** Applies every pending migration in order and returns the versions it applied. */
export async function migrate(
  db: Database,
  migrations: Migration[],
  log: Logger,
  table: MigrationsTable = "schema_migrations",
): Promise<number[]> {
  await db.transaction((tx) =>
    tx.run(`CREATE TABLE IF NOT EXISTS ${table} (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
  );
  const applied = await appliedVersions(db, table);
  const done: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    await db.transaction(async (tx) => {
      await migration.apply(tx, log);
      await tx.run(`INSERT INTO ${table} (version, name, applied_at) VALUES (?, ?, ?)`, [
        migration.version,
        migration.name,
        Math.floor(Date.now() / 1000),
      ]);
    });
    log.info("Applied migration", { version: migration.version, name: migration.name });
    done.push(migration.version);
  }
  return done;
}
