/**
 * A plugin's migration files (README "Plugin storage"): `$PLUGINS_DIR/<plugin>/migrations/NNN_name.sql`,
 * each with an `-- UP` and a `-- DOWN` section, read as Rosey's service read them (same names, same
 * sections, same checksum) so that migrations Rosey recorded match the files here.
 */
import { join } from "node:path";
import type { FunctionSettings } from "../../shared/function/define.ts";
import { ServiceError } from "../../shared/function/errors.ts";
import { PluginSqlError, type PluginStatement, pluginStatements } from "../../shared/storage/plugin_sql.ts";

/** Rosey's file names: exactly three digits, a lower-case name. */
const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;
/** Largest migration file read; a bigger one is refused (it is not a migration). */
const FILE_MAX_BYTES = 4 * 1024 * 1024;

/** One section of a migration file: its statements, or why it cannot run. */
export type Section = { statements: PluginStatement[]; problem?: undefined } | {
  statements?: undefined;
  problem: string;
};

/** One migration file as read. */
export interface MigrationFile {
  version: number;
  name: string;
  filename: string;
  /** SHA-256 (hex) of the file after CRLF and CR are turned into LF, as Rosey computed it. */
  checksum: string;
  up: Section;
  down: Section;
}

/** A plugin's migration files in version order, and the `.sql` files beside them that are not migrations. */
export interface MigrationFiles {
  files: MigrationFile[];
  ignored: { filename: string; reason: string }[];
}

/** The folder PLUGINS_DIR names; NOT_CONFIGURED (naming the setting) without it. */
export async function pluginsDir(config: FunctionSettings): Promise<string> {
  const dir = config.PLUGINS_DIR;
  if (!dir) {
    throw new ServiceError(
      503,
      "Migrations need the PLUGINS_DIR setting: the folder holding <plugin>/migrations/NNN_name.sql",
      [],
      "NOT_CONFIGURED",
    );
  }
  try {
    if ((await Deno.stat(dir)).isDirectory) return dir;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  throw new ServiceError(503, `PLUGINS_DIR "${dir}" is not a folder`, [], "NOT_CONFIGURED");
}

/** Reads `<dir>/<plugin>/migrations/`; a plugin without that folder has no migrations. */
export async function migrationFiles(dir: string, plugin: string): Promise<MigrationFiles> {
  const folder = join(dir, plugin, "migrations");
  const files: MigrationFile[] = [];
  const ignored: MigrationFiles["ignored"] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (!entry.name.endsWith(".sql")) continue;
      const match = FILE_NAME.exec(entry.name);
      const version = Number(match?.[1]);
      if (!match || version < 1) {
        ignored.push({ filename: entry.name, reason: "a migration is named NNN_name.sql (001 up, a-z 0-9 _)" });
        continue;
      }
      files.push(await readMigration(join(folder, entry.name), entry.name, version, match[2]));
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { files: [], ignored: [] };
    throw error;
  }
  files.sort((a, b) => a.version - b.version || a.filename.localeCompare(b.filename));
  for (const file of files) {
    const twins = files.filter((other) => other.version === file.version);
    if (twins.length > 1) {
      const problem = `version ${file.version} is used by ${twins.map((f) => f.filename).join(" and ")}`;
      file.up = file.down = { problem };
    }
  }
  return { files, ignored };
}

async function readMigration(path: string, filename: string, version: number, name: string): Promise<MigrationFile> {
  const bytes = await Deno.readFile(path);
  if (bytes.length > FILE_MAX_BYTES) {
    const problem = `the file is ${bytes.length} bytes, over the limit of ${FILE_MAX_BYTES}`;
    return { version, name, filename, checksum: await sha256(bytes), up: { problem }, down: { problem } };
  }
  let text: string;
  try {
    // The BOM is kept, as Python's read_text keeps it: it is part of what Rosey hashed.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const problem = "the file is not UTF-8";
    return { version, name, filename, checksum: await sha256(bytes), up: { problem }, down: { problem } };
  }
  const normalized = text.replace(/\r\n?/g, "\n");
  const checksum = await sha256(new TextEncoder().encode(normalized));
  return { version, name, filename, checksum, ...sections(normalized) };
}

/**
 * The UP and DOWN sections, as Rosey cut them: a marker is a line that reads `-- UP` or `-- DOWN`
 * (case and surrounding blanks aside), the last of each counts, UP is what lies between them and
 * DOWN what follows; text before `-- UP` is a header. A DOWN of comments only is valid and runs nothing.
 */
function sections(text: string): { up: Section; down: Section } {
  const lines = text.split("\n");
  const marker = (word: string) => lines.findLastIndex((line) => line.trim().toUpperCase() === `-- ${word}`);
  const up = marker("UP"), down = marker("DOWN");
  const fail = (problem: string) => ({ up: { problem }, down: { problem } });
  if (up < 0) return fail('there is no "-- UP" line');
  if (down < 0) return fail('there is no "-- DOWN" line');
  if (down < up) return fail('"-- DOWN" comes before "-- UP"');
  const upText = lines.slice(up + 1, down).join("\n");
  const downText = lines.slice(down + 1).join("\n");
  if (upText.trim() === "") return fail("the UP section is empty");
  if (downText.trim() === "") return fail("the DOWN section is empty");
  return { up: section(upText, up + 2), down: section(downText, down + 2) };
}

function section(text: string, firstLine: number): Section {
  try {
    return { statements: pluginStatements(text, firstLine) };
  } catch (error) {
    if (error instanceof PluginSqlError) return { problem: error.message };
    throw error;
  }
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
