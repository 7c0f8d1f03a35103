/** The narrow SQL surface handlers see: parameterized queries only. */
import type { InArgs, InValue } from "@libsql/client";

export type SqlArgs = InArgs;
export type SqlValue = InValue;
export type Row = Record<string, unknown>;

/** Result of a statement that changes rows. */
export interface RunResult {
  changes: number;
  lastInsertRowid: number | undefined;
}

/** A connection or transaction that runs parameterized SQL. */
export interface Sql {
  /** Rows as plain objects keyed by column name. */
  query<T = Row>(sql: string, args?: SqlArgs): Promise<T[]>;
  /** The first row, or undefined: on a local database a third cheaper than `query` for a lookup by key. */
  first<T = Row>(sql: string, args?: SqlArgs): Promise<T | undefined>;
  run(sql: string, args?: SqlArgs): Promise<RunResult>;
}

interface Executor {
  execute(stmt: { sql: string; args: InArgs }): Promise<{
    rows: unknown[];
    rowsAffected: number;
    lastInsertRowid: bigint | undefined;
  }>;
}

/** Wraps a libSQL client or transaction as {@linkcode Sql}. */
export function sqlOf(executor: Executor): Sql {
  return {
    async query<T>(sql: string, args: SqlArgs = []) {
      return (await executor.execute({ sql, args })).rows as T[];
    },
    async first<T>(sql: string, args: SqlArgs = []) {
      return (await executor.execute({ sql, args })).rows[0] as T | undefined;
    },
    async run(sql: string, args: SqlArgs = []) {
      const result = await executor.execute({ sql, args });
      const id = result.lastInsertRowid;
      return { changes: result.rowsAffected, lastInsertRowid: id === undefined ? undefined : Number(id) };
    },
  };
}
