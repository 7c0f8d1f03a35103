/**
 * Running a plugin's migrations: each in one transaction of the plugin's own database (through its
 * single writer), recorded in the same transaction, so a failed one leaves nothing behind. A dry run
 * runs the same statements in one transaction that is always rolled back: it reports what would run
 * and whether it would fail, and changes nothing.
 */
import type { RequestContext, Store } from "../../shared/function/define.ts";
import { type RoseyErrorCode, ServiceError } from "../../shared/function/errors.ts";
import type { Sql } from "../../shared/function/sql.ts";
import { existingSubjectPlugin, subjectPlugin, subjectPluginName } from "../_plugin.ts";
import { type MigrationFile, type MigrationFiles, migrationFiles, pluginsDir } from "./_files.ts";
import { type MigrationLock, renewLock } from "./_lock.ts";
import { recordApplied, recordRolledBack, type RunMigration } from "./_records.ts";

/** The plugin a migrate subject names, its database and its migration files. */
export interface PluginMigrations<S = Store> extends MigrationFiles {
  plugin: string;
  store: S;
}

/**
 * Reads the plugin's migration files and opens its database: INVALID_SUBJECT, then NOT_CONFIGURED,
 * come first. `existing` (for status) makes no database for a plugin that has none: `store` is
 * undefined then.
 */
export async function openMigrations(ctx: RequestContext): Promise<PluginMigrations>;
export async function openMigrations(ctx: RequestContext, existing: true): Promise<PluginMigrations<Store | undefined>>;
export async function openMigrations(ctx: RequestContext, existing = false) {
  const plugin = subjectPluginName(ctx);
  const { files, ignored } = await migrationFiles(await pluginsDir(ctx.config), plugin);
  return { plugin, store: await (existing ? existingSubjectPlugin(ctx) : subjectPlugin(ctx)), files, ignored };
}

/** Which way a run goes: UP sections recorded as applied, or DOWN sections recorded as rolled back. */
export type Direction = "apply" | "rollback";

/** Options of {@linkcode runMigrations}. */
export interface RunOptions {
  direction: Direction;
  plugin: string;
  /** applied_by of the request: recorded, and named to another run that finds the lock held. */
  by: string;
  /** The version before the run, for the failure message. */
  from: number;
  /** Held for a real run; a dry run takes none. */
  lock?: MigrationLock;
}

/** What a failure is answered with, by direction. */
const FAILED: Record<Direction, RoseyErrorCode> = { apply: "MIGRATION_FAILED", rollback: "ROLLBACK_FAILED" };
/** Longest SQLite message passed on: enough for the reason, never a whole statement. */
const MESSAGE_MAX = 200;

/** Refuses the run before anything changes when one of its files cannot run (malformed, refused SQL). */
export function checkRunnable(files: MigrationFile[], direction: Direction): void {
  const section = direction === "apply" ? "up" : "down";
  const broken = files.find((file) => file[section].problem);
  if (!broken) return;
  throw new ServiceError(
    422,
    `Migration ${broken.filename} cannot ${direction === "apply" ? "apply" : "roll back"}: ${
      broken[section].problem
    }; nothing was changed`,
    [],
    FAILED[direction],
  );
}

/** Runs `files` in order (each in its own transaction, or all in one rolled-back transaction on a dry run). */
export async function runMigrations(
  store: Store,
  files: MigrationFile[],
  options: RunOptions,
): Promise<RunMigration[]> {
  checkRunnable(files, options.direction);
  const done: RunMigration[] = [];
  if (!options.lock) {
    const dryRun = new DryRun();
    try {
      await store.write(async (tx) => {
        for (const file of files) done.push(await step(tx, file, options, done));
        throw dryRun;
      });
    } catch (error) {
      if (error !== dryRun) throw error;
    }
    return done;
  }
  for (const file of files) {
    done.push(
      await store.write(async (tx) => {
        await renewLock(tx, options.lock!, options.plugin);
        const ran = await step(tx, file, options, done);
        if (options.direction === "apply") await recordApplied(tx, file, options.by, ran.execution_time_ms);
        else await recordRolledBack(tx, file.version, options.by);
        return ran;
      }),
    );
  }
  return done;
}

/** Thrown to roll a dry run back. */
class DryRun extends Error {}

async function step(tx: Sql, file: MigrationFile, options: RunOptions, done: RunMigration[]): Promise<RunMigration> {
  const statements = (options.direction === "apply" ? file.up : file.down).statements!;
  const started = performance.now();
  for (const [index, statement] of statements.entries()) {
    try {
      await tx.run(statement.sql);
    } catch (error) {
      throw failure(file, index + 1, statement.line, error, options, done);
    }
  }
  const execution_time_ms = Math.round(performance.now() - started);
  return { version: file.version, name: file.name, filename: file.filename, execution_time_ms };
}

/** MIGRATION_FAILED or ROLLBACK_FAILED naming the file, statement, line and SQLite's reason, never the SQL. */
function failure(
  file: MigrationFile,
  statement: number,
  line: number,
  error: unknown,
  options: RunOptions,
  done: RunMigration[],
): ServiceError {
  const reason = String((error as Error)?.message ?? error).split("\n")[0].slice(0, MESSAGE_MAX);
  const apply = options.direction === "apply";
  // A real run keeps what it did before the failure; the failed migration itself left nothing.
  const version = !options.lock ? options.from : apply ? (done.at(-1)?.version ?? options.from) : file.version;
  const verb = apply ? "applied" : "rolled back";
  const before = done.length === 0
    ? ""
    : `; ${done.map((m) => m.filename).join(", ")} ${
      options.lock ? (done.length > 1 ? "were" : "was") : "would have been"
    } ${verb} before it`;
  return new ServiceError(
    422,
    `Migration ${file.filename} failed to ${apply ? "apply" : "roll back"} at statement ${statement} (line ${line}): ` +
      `${reason}; it was rolled back entirely${before}; the version is ${version}`,
    [],
    FAILED[options.direction],
  );
}
