/** Which migration files an apply or a rollback runs, from the files and what the database records. */
import { z } from "zod";
import { ServiceError } from "../../shared/function/errors.ts";
import { name } from "../../shared/function/text.ts";
import type { MigrationFile } from "./_files.ts";
import { type AppliedMigration, changedMigrations, currentVersion } from "./_records.ts";

/** A migration version: a number, or its digits as text (Rosey's service took `int(...)` of either). */
export const Version = z.union([
  z.number().int().min(0).max(999),
  z.string().regex(/^\d{1,3}$/, "must be a version number (0–999)").transform(Number),
]);
/** Who runs it, recorded with each migration (Rosey's default "system"). */
export const AppliedBy = name().min(1).max(200).default("system");

/** The one target among aliases (`target_version`, `version`, `to_version`); two that differ are refused. */
export function oneTarget<T>(input: Record<string, T | null | undefined>, ctx: z.RefinementCtx): void {
  const given = Object.entries(input).filter(([, value]) => value !== undefined && value !== null);
  if (new Set(given.map(([, value]) => value)).size > 1) {
    ctx.addIssue({
      code: "custom",
      path: [given[1][0]],
      message: `differs from ${given[0][0]}: give one of target_version, version, to_version`,
    });
  }
}

/** Refuses to run while an applied migration's file changed since: CONFLICT naming each. */
function refuseChanged(applied: AppliedMigration[], files: MigrationFile[], doing: string): void {
  const changed = changedMigrations(applied, files).filter((c) => c.file_checksum !== null);
  if (changed.length === 0) return;
  const names = changed.map((c) =>
    `${c.filename} changed after being applied (checksum ${c.recorded_checksum.slice(0, 12)}… then, ${
      c.file_checksum!.slice(0, 12)
    }… now)`
  );
  throw new ServiceError(409, `Cannot ${doing}: ${names.join(", ")}; restore the file or add a new migration`);
}

/** The files an apply runs, in order: those above the current version up to `target` (undefined: the last). */
export function planApply(files: MigrationFile[], applied: AppliedMigration[], target?: number): MigrationFile[] {
  refuseChanged(applied, files, "apply migrations");
  const current = currentVersion(applied);
  const last = files.at(-1)?.version ?? current;
  const to = target ?? Math.max(last, current);
  if (to < current) {
    throw new ServiceError(
      400,
      `target_version ${to} is below the current version ${current}: rollback takes a plugin back`,
    );
  }
  if (to > current && !files.some((f) => f.version === to)) {
    throw new ServiceError(404, `No migration file has version ${to}`, [], "NOT_FOUND");
  }
  const done = new Set(applied.map((a) => a.version));
  return files.filter((f) => f.version > current && f.version <= to && !done.has(f.version));
}

/** What to roll back to: a version (exclusive), or a number of steps. */
export type RollbackTarget = { version: number } | { count: number };

/** The files a rollback runs, newest first: every applied migration above the target version. */
export function planRollback(
  files: MigrationFile[],
  applied: AppliedMigration[],
  target: RollbackTarget,
): MigrationFile[] {
  const current = currentVersion(applied);
  let undo: AppliedMigration[];
  if ("count" in target) {
    if (target.count > applied.length) {
      throw new ServiceError(400, `count ${target.count} is more than the ${applied.length} applied migrations`);
    }
    undo = applied.slice(applied.length - target.count);
  } else {
    if (target.version > current) {
      throw new ServiceError(
        400,
        `target_version ${target.version} is above the current version ${current}: apply takes a plugin forward`,
      );
    }
    undo = applied.filter((a) => a.version > target.version);
  }
  refuseChanged(undo, files, "roll back");
  return undo.reverse().map((record) => {
    const file = files.find((f) => f.version === record.version);
    if (!file) {
      throw new ServiceError(
        404,
        `Migration ${record.version} (${record.name}) has no file any more: its DOWN section cannot be read`,
        [],
        "NOT_FOUND",
      );
    }
    return file;
  });
}
