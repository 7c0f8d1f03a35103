/**
 * `deno task import-rosey FILE`: moves the plugin data of a Python Rosey database (its key/value
 * store, registered tables, migration records and the tables its plugins' migrations made) into
 * each plugin's own database beside the configured one, one transaction per plugin, and prints how
 * it mapped each table. The Rosey file is read from a copy and never changed.
 */
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { PLUGIN_NAME } from "../function/plugin_name.ts";
import { createLogger, type Logger } from "../log.ts";
import { openDatabase } from "../storage/db.ts";
import { loadMigrations, migrate } from "../storage/migrate.ts";
import { PluginDatabases } from "../storage/plugins.ts";
import { type PluginFiles, pluginPlaces } from "../storage/plugin_places.ts";
import { tablesMadeByFiles } from "./import_rosey/owners.ts";
import { planImport } from "./import_rosey/plan.ts";
import { formatReport, type ImportReport, pluginReport } from "./import_rosey/report.ts";
import { RoseySource } from "./import_rosey/source.ts";
import { holdings, writePlugin } from "./import_rosey/write.ts";

/** Options of {@linkcode importRosey}: the command's flags. */
export interface ImportRoseyOptions {
  /** Writes nothing: the plan is written into databases in memory, so every step runs and is reported. */
  dryRun?: boolean;
  /** `--table NAME=PLUGIN`: the plugin a table its migrations made belongs to. */
  tables?: Record<string, string>;
  /** `--skip-table NAME`: a table left in the Rosey file. */
  skipTables?: string[];
  /** `--plugin NAME`: only these plugins. */
  plugins?: string[];
}

/**
 * Imports the Rosey database `file` into the plugin databases beside the one `env` configures; returns
 * the report. Stops before writing anything, with an AggregateError of one error per problem, when a
 * table has no known plugin, a value does not fit its field, or a plugin's database already holds data.
 */
export async function importRosey(
  file: string,
  env: Record<string, string | undefined>,
  options: ImportRoseyOptions = {},
): Promise<ImportReport> {
  const config = loadConfig(env);
  const log = createLogger({ level: config.LOG_LEVEL === "DEBUG" ? "DEBUG" : "WARNING", format: config.LOG_FORMAT });
  const places = pluginPlaces(config);
  if (places.kind !== "files") {
    throw new Error(
      "The import writes plugin databases that are files: DATABASE_URL names no file, or PLUGINS_DATABASE_URL no file:",
    );
  }
  const source = await RoseySource.open(file);
  let plan;
  try {
    const plugins = [...new Set([...source.keys(), ...source.schemas(), ...source.migrations()].map((r) => r.plugin))];
    plan = planImport(source, {
      tables: options.tables ?? {},
      skipTables: options.skipTables ?? [],
      only: options.plugins ?? [],
      serviceTables: await serviceTables(log),
      madeByFiles: await tablesMadeByFiles(config.PLUGINS_DIR, plugins.filter((p) => PLUGIN_NAME.test(p))),
      now: Date.now(),
    });
  } finally {
    await source.close();
  }
  const problems = [...plan.problems];
  for (const plugin of plan.plugins) {
    const held = await heldBefore(config, places.files, plugin.plugin, log);
    if (held.length > 0) {
      problems.push(`${places.files.path(plugin.plugin)} already holds data (${held.join("; ")})`);
    }
  }
  if (problems.length > 0) throw new AggregateError(problems.map((p) => new Error(p)), "Nothing was imported");

  const target = options.dryRun
    ? { ...config, DATABASE_URL: ":memory:", DATABASE_PATH: undefined, PLUGINS_DATABASE_URL: undefined }
    : config;
  const databases = new PluginDatabases({ config: { ...target, DATABASE_SYNC_URL: undefined }, log });
  const report: ImportReport = { file, dryRun: options.dryRun ?? false, plugins: [], left: plan.left };
  try {
    for (const plugin of plan.plugins) {
      const database = places.files.path(plugin.plugin);
      try {
        const { writer } = await databases.get(plugin.plugin);
        const written = await writer.run((tx) => writePlugin(tx, plugin, database));
        report.plugins.push(pluginReport(plugin, database, written));
      } catch (error) {
        const done = report.plugins.map((p) => p.plugin);
        const rest = plan.plugins.map((p) => p.plugin).filter((p) => !done.includes(p));
        throw new Error(
          `Importing "${plugin.plugin}" failed, nothing of it was written: ${(error as Error).message}` +
            (done.length && !options.dryRun
              ? `; imported before it: ${done.join(", ")}; import the rest with --plugin ${rest.join(" --plugin ")}`
              : ""),
        );
      }
    }
  } finally {
    await databases.close();
  }
  return report;
}

/** What the plugin's database file holds already; nothing when there is no file (none is made here). */
async function heldBefore(config: Config, files: PluginFiles, plugin: string, log: Logger): Promise<string[]> {
  const path = files.path(plugin);
  try {
    await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const db = await openDatabase({ ...config, DATABASE_URL: `file:${path}`, DATABASE_PATH: undefined }, log);
  try {
    return await holdings(db.read);
  } finally {
    db.close();
  }
}

/** The tables of rosey-db's own schema: a Rosey file the service has opened as its database holds them too. */
async function serviceTables(log: Logger): Promise<Set<string>> {
  const db = await openDatabase(loadConfig({ DATABASE_URL: ":memory:" }), log);
  try {
    await migrate(db, await loadMigrations(), log);
    const rows = await db.read.query<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table'");
    return new Set(rows.map((row) => row.name));
  } finally {
    db.close();
  }
}

const USAGE = "Usage: deno task import-rosey FILE [--dry-run] [--db-path PATH] [--table NAME=PLUGIN]... " +
  "[--skip-table NAME]... [--plugin NAME]...";

/** The command's arguments: the file, its options, and `--db-path` as the service reads it. */
function parseArgs(args: string[]): { file: string; options: ImportRoseyOptions; env: Record<string, string> } {
  const options: Required<ImportRoseyOptions> = { dryRun: false, tables: {}, skipTables: [], plugins: [] };
  const env: Record<string, string> = {};
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    if (flag === "--dry-run") {
      options.dryRun = true;
      continue;
    }
    if (!flag.startsWith("--")) {
      if (file !== undefined) throw new ConfigError([`${args[i]}: one FILE only`, USAGE]);
      file = args[i];
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new ConfigError([`${flag}: needs a value`, USAGE]);
    if (flag === "--db-path") env.DATABASE_PATH = value;
    else if (flag === "--skip-table") options.skipTables.push(value);
    else if (flag === "--plugin") options.plugins.push(value);
    else if (flag === "--table" && /^[^=]+=[^=]+$/.test(value)) {
      const [table, plugin] = value.split("=");
      options.tables[table] = plugin;
    } else throw new ConfigError([`${flag}: unknown option or bad value "${value}"`, USAGE]);
  }
  if (file === undefined) throw new ConfigError([USAGE]);
  return { file, options, env };
}

if (import.meta.main) {
  try {
    const { file, options, env } = parseArgs(Deno.args);
    console.log(formatReport(await importRosey(file, { ...Deno.env.toObject(), ...env }, options)));
  } catch (error) {
    const lines = error instanceof ConfigError
      ? error.problems
      : error instanceof AggregateError
      ? [error.message, ...error.errors.map((problem) => (problem as Error).message)]
      : [(error as Error).message];
    for (const line of lines) console.error(`Import failed: ${line}`);
    Deno.exit(error instanceof ConfigError ? 2 : 1);
  }
}
