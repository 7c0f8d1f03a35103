/** What a plugin's database records of its migrations (`_rosey_migrations`), and how files compare to it. */
import { z } from "zod";
import type { Sql } from "../../shared/function/sql.ts";
import type { MigrationFile } from "./_files.ts";

/** A migration recorded as applied, as status lists it (Rosey's fields). */
export const AppliedMigration = z.object({
  version: z.number().int(),
  name: z.string(),
  checksum: z.string(),
  applied_at: z.string().describe("ISO 8601 UTC"),
  applied_by: z.string(),
  status: z.string(),
  execution_time_ms: z.number().int(),
});
export type AppliedMigration = z.output<typeof AppliedMigration>;

/** A migration run (or, on a dry run, that would run) by apply or rollback. */
export const RunMigration = z.object({
  version: z.number().int(),
  name: z.string(),
  filename: z.string(),
  execution_time_ms: z.number().int(),
});
export type RunMigration = z.output<typeof RunMigration>;

/** An applied migration whose file changed since (or is gone: `file_checksum` null). */
export const ChangedMigration = z.object({
  version: z.number().int(),
  name: z.string(),
  filename: z.string().nullable(),
  recorded_checksum: z.string(),
  file_checksum: z.string().nullable(),
});
export type ChangedMigration = z.output<typeof ChangedMigration>;

/** The migrations recorded as applied, in version order. */
export function appliedMigrations(sql: Sql): Promise<AppliedMigration[]> {
  return sql.query<AppliedMigration>(
    `SELECT version, name, checksum, applied_at, applied_by, status, execution_time_ms
       FROM _rosey_migrations WHERE status = 'applied' ORDER BY version`,
  );
}

/** The highest applied version, 0 before any (Rosey's current_version). */
export function currentVersion(applied: AppliedMigration[]): number {
  return applied.length === 0 ? 0 : applied[applied.length - 1].version;
}

/** Applied migrations whose file differs from what was applied, or is gone. */
export function changedMigrations(applied: AppliedMigration[], files: MigrationFile[]): ChangedMigration[] {
  return applied.flatMap((record) => {
    const file = files.find((f) => f.version === record.version);
    if (file?.checksum === record.checksum) return [];
    return [{
      version: record.version,
      name: record.name,
      filename: file?.filename ?? null,
      recorded_checksum: record.checksum,
      file_checksum: file?.checksum ?? null,
    }];
  });
}

/** Records `file` as applied (again, after a rollback) inside the migration's transaction. */
export async function recordApplied(tx: Sql, file: MigrationFile, appliedBy: string, ms: number): Promise<void> {
  await tx.run(
    `INSERT INTO _rosey_migrations (version, name, checksum, status, applied_at, applied_by, execution_time_ms)
     VALUES (?, ?, ?, 'applied', ?, ?, ?)
     ON CONFLICT (version) DO UPDATE SET name = excluded.name, checksum = excluded.checksum, status = 'applied',
       applied_at = excluded.applied_at, applied_by = excluded.applied_by,
       execution_time_ms = excluded.execution_time_ms, rolled_back_at = NULL, rolled_back_by = NULL`,
    [file.version, file.name, file.checksum, new Date().toISOString(), appliedBy, ms],
  );
}

/** Records a rollback inside its transaction; the row stays, as Rosey kept one per version. */
export async function recordRolledBack(tx: Sql, version: number, rolledBackBy: string): Promise<void> {
  await tx.run(
    "UPDATE _rosey_migrations SET status = 'rolled_back', rolled_back_at = ?, rolled_back_by = ? WHERE version = ?",
    [new Date().toISOString(), rolledBackBy, version],
  );
}
