/**
 * `deno task import-json FILE`: imports the reminder bot's legacy JSON storage into the configured
 * database in one transaction, after keeping a copy of the file in BACKUP_DIR. Idempotent.
 */
import { applyLegacy, parseLegacy } from "../../functions/reminder/_import.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { openDatabase } from "../storage/db.ts";
import { createLogger } from "../log.ts";
import { loadMigrations, migrate } from "../storage/migrate.ts";
import { type Progress, progress } from "./progress.ts";

/**
 * Imports `file`; returns the counts. A bad file imports nothing and throws with the line or key at fault:
 * an AggregateError with one error per problem when entries break the format.
 */
export async function importJson(file: string, env: Record<string, string | undefined>, progress?: Progress) {
  const config = loadConfig(env);
  const log = createLogger({ level: config.LOG_LEVEL === "DEBUG" ? "DEBUG" : "WARNING", format: config.LOG_FORMAT });
  const text = await Deno.readTextFile(file);
  const events = parseLegacy(text);
  await Deno.mkdir(config.BACKUP_DIR, { recursive: true });
  const name = file.split("/").pop()!.replace(/\.json$/, "");
  const copy = `${config.BACKUP_DIR}/import-${name}-${new Date().toISOString().replaceAll(":", "-")}.json`;
  await Deno.writeTextFile(copy, text);
  const db = await openDatabase(config, log);
  try {
    await migrate(db, await loadMigrations(), log);
    const counts = await db.transaction((tx) =>
      applyLegacy(tx, events, Math.floor(Date.now() / 1000), (done, total) => progress?.update(done, total))
    );
    progress?.finish();
    return { file, backup: copy, events: Object.keys(events).length, ...counts };
  } finally {
    db.close();
  }
}

if (import.meta.main) {
  const [file, ...flags] = Deno.args;
  if (!file) {
    console.error("Usage: deno task import-json FILE [--db-path PATH]");
    Deno.exit(2);
  }
  try {
    const env = { ...Deno.env.toObject(), ...flagsToEnv(flags) };
    console.log(JSON.stringify(await importJson(file, env, progress(`Importing ${file}`, "events"))));
  } catch (error) {
    const lines = error instanceof ConfigError
      ? error.problems
      : error instanceof AggregateError
      ? error.errors.map((problem) => (problem as Error).message)
      : [(error as Error).message];
    for (const line of lines) console.error(`Import failed: ${line}`);
    Deno.exit(error instanceof ConfigError ? 2 : 1);
  }
}

function flagsToEnv(flags: string[]): Record<string, string> {
  const at = flags.indexOf("--db-path");
  return at >= 0 && flags[at + 1] ? { DATABASE_PATH: flags[at + 1] } : {};
}
