/**
 * `deno task restore BACKUP [--db-path PATH]`: puts a backup that admin.backup wrote in place of the
 * configured database, with the plugin databases and cold-storage files it holds, while the service
 * is stopped. What was there is moved aside (`<name>.before-restore-<time>`), never deleted.
 */
import { basename } from "node:path";
import Database from "libsql";
import { ConfigError, databaseFilePath, loadConfig } from "../config.ts";
import { pluginPlaces } from "../storage/plugin_places.ts";
import { COLD_FOLDER } from "../../functions/conversation/_cold_file.ts";

/** What a restore did. */
export interface RestoreReport {
  database: string;
  plugins: string[];
  coldFiles: number;
  /** Where what was there before now is. */
  movedAside: string[];
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

/**
 * Restores `backup` (`rosey-db-<time>.db`, beside its `.plugins` and `.cold` folders) into the
 * database `env` configures. A backup that fails its integrity check is refused before anything moves.
 */
export async function restoreBackup(
  backup: string,
  env: Record<string, string | undefined>,
  args: string[] = [],
): Promise<RestoreReport> {
  const config = loadConfig(env, args);
  const target = databaseFilePath(config);
  if (!target || config.DATABASE_SYNC_URL) {
    throw new Error(
      "restore writes a local database file: restore a remote database or replica with its server's tools",
    );
  }
  // libsql would make a missing file rather than refuse it.
  if (!(await Deno.stat(backup).then((info) => info.isFile, () => false))) {
    throw new Error(`${backup} cannot be opened: no such file`);
  }
  checkBackup(backup);
  const stamp = new Date().toISOString().replaceAll(":", "-");
  const movedAside: string[] = [];
  const moveAside = async (path: string) => {
    if (!await exists(path)) return;
    await Deno.rename(path, `${path}.before-restore-${stamp}`);
    movedAside.push(`${path}.before-restore-${stamp}`);
  };
  // The WAL and shared-memory files belong to the database they sit beside: they go with it.
  for (const suffix of ["", "-wal", "-shm"]) await moveAside(`${target}${suffix}`);
  await copyPrivate(backup, target);

  // Every plugin database goes aside, not only those the backup has: they did not exist when it was
  // taken. File by file: the plugins' folder may hold the service's database or the backups too.
  const plugins: string[] = [];
  const places = pluginPlaces(config);
  if (places.kind === "files") {
    for (const name of await namesIn(places.files.folder)) {
      const plugin = places.files.pluginOf(name.replace(/-(wal|shm)$/, ""));
      if (plugin) await moveAside(`${places.files.folder}/${name}`);
    }
    for (const file of await filesIn(backup.replace(/\.db$/, ".plugins"))) {
      const plugin = basename(file, ".db");
      await copyPrivate(file, places.files.path(plugin));
      plugins.push(plugin);
    }
  }
  const cold = `${config.BACKUP_DIR}/${COLD_FOLDER}`;
  await moveAside(cold);
  const coldFiles = await filesIn(backup.replace(/\.db$/, ".cold"));
  for (const file of coldFiles) await copyPrivate(file, `${cold}/${basename(file)}`);
  return { database: target, plugins, coldFiles: coldFiles.length, movedAside };
}

/** Refuses a file that is no sound rosey-db database. */
function checkBackup(path: string): void {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true });
  } catch (error) {
    throw new Error(`${path} cannot be opened as a database: ${(error as Error).message}`);
  }
  try {
    const [check] = db.prepare("PRAGMA integrity_check").raw().all() as string[][];
    if (check?.[0] !== "ok") throw new Error(`${path} fails its integrity check: ${check?.[0]}`);
    db.prepare("SELECT count(*) FROM schema_migrations").get();
  } catch (error) {
    throw new Error(`${path} is no rosey-db backup: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}

/** The names of the files in `folder`, sorted; none when it does not exist. */
async function namesIn(folder: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) if (entry.isFile) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/** The files in `folder`, sorted; none when it does not exist. */
async function filesIn(folder: string): Promise<string[]> {
  return (await namesIn(folder)).map((name) => `${folder}/${name}`);
}

/** Copies `from` to `to`, making its folder, readable by this user alone. */
async function copyPrivate(from: string, to: string): Promise<void> {
  await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  await Deno.copyFile(from, to);
  await Deno.chmod(to, 0o600);
}

if (import.meta.main) {
  const [backup, ...args] = Deno.args;
  if (!backup || backup.startsWith("-")) {
    console.error("Usage: deno task restore BACKUP.db [--db-path PATH]   (stop the service first)");
    Deno.exit(2);
  }
  try {
    const report = await restoreBackup(backup, Deno.env.toObject(), args);
    console.log(`Restored ${backup} into ${report.database}`);
    if (report.plugins.length) console.log(`  plugin databases: ${report.plugins.join(", ")}`);
    if (report.coldFiles) console.log(`  cold-storage files: ${report.coldFiles}`);
    for (const path of report.movedAside) console.log(`  moved aside: ${path}`);
  } catch (error) {
    const lines = error instanceof ConfigError ? error.problems : [(error as Error).message];
    for (const line of lines) console.error(`Restore failed: ${line}`);
    Deno.exit(error instanceof ConfigError ? 2 : 1);
  }
}
