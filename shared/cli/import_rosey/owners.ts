/**
 * Which plugin a Rosey table belongs to. Rosey recorded the tables `schema.register` made
 * (`<plugin>_<table>`), but not those its plugins' migrations made in its main database: for
 * those the import asks, in order, the `--table` flags, the plugin's migration files in
 * PLUGINS_DIR, what it knows of Rosey's shipped plugins, and the `<plugin>_` prefix of a plugin
 * that has data.
 */
import { migrationFiles } from "../../../functions/migrate/_files.ts";
import { type Token, tokenize } from "../../storage/plugin_sql.ts";
import { ROSEY_NOT_PLUGIN_STORAGE, ROSEY_PLUGIN_MIGRATION_TABLES, ROSEY_SERVICE_TABLES } from "./known.ts";

/** Who owns a table: a plugin (and how that is known), nobody's plugin storage (and why), or nobody known. */
export type Owner =
  | { plugin: string; by: string }
  | { left: string }
  | { service: true }
  | undefined;

/** What decides ownership besides the table's name. */
export interface OwnerHints {
  /** `--table NAME=PLUGIN`. */
  tables: Record<string, string>;
  /** `--skip-table NAME`. */
  skipTables: string[];
  /** Tables of rosey-db's own schema (a Rosey file rosey-db has already opened as its database has them). */
  serviceTables: Set<string>;
  /** Tables the plugins' migration files in PLUGINS_DIR create. */
  madeByFiles: Map<string, { plugin: string; by: string }>;
  /** Plugins with keys, registered tables or migrations in the Rosey file. */
  plugins: string[];
}

/** The owner of the table `name`, which no plugin registered. */
export function ownerOf(name: string, hints: OwnerHints): Owner {
  if (hints.tables[name]) return { plugin: hints.tables[name], by: `--table ${name}=${hints.tables[name]}` };
  if (hints.skipTables.includes(name)) return { left: `--skip-table ${name}` };
  if (ROSEY_SERVICE_TABLES.has(name) || hints.serviceTables.has(name)) return { service: true };
  if (name in ROSEY_NOT_PLUGIN_STORAGE) return { left: ROSEY_NOT_PLUGIN_STORAGE[name] };
  const made = hints.madeByFiles.get(name) ?? ROSEY_PLUGIN_MIGRATION_TABLES[name];
  if (made) return made;
  const prefixed = hints.plugins.filter((plugin) => name.startsWith(`${plugin}_`))
    .sort((a, b) => b.length - a.length)[0];
  return prefixed ? { plugin: prefixed, by: `its name starts with "${prefixed}_"` } : undefined;
}

/** The tables each plugin's migration files in `dir` create (CREATE TABLE, ALTER TABLE … RENAME TO), by table. */
export async function tablesMadeByFiles(
  dir: string | undefined,
  plugins: string[],
): Promise<Map<string, { plugin: string; by: string }>> {
  const made = new Map<string, { plugin: string; by: string }>();
  if (!dir) return made;
  for (const plugin of plugins) {
    const { files } = await migrationFiles(dir, plugin);
    for (const file of files) {
      for (const statement of file.up.statements ?? []) {
        const table = createdTable([...tokenize(statement.sql)].map((t) => t.token));
        if (table && !made.has(table)) made.set(table, { plugin, by: `${dir}/${plugin}/migrations/${file.filename}` });
      }
    }
  }
  return made;
}

/** The table a statement creates or renames a table to, if it does. */
function createdTable(tokens: Token[]): string | undefined {
  const words = tokens.map((t) => (t.kind === "word" ? t.value.toUpperCase() : ""));
  let i = 0;
  if (words[0] === "CREATE") {
    i = ["TEMP", "TEMPORARY"].includes(words[1]) ? 2 : 1;
    if (words[i] !== "TABLE") return undefined;
    i++;
    if (words[i] === "IF" && words[i + 1] === "NOT" && words[i + 2] === "EXISTS") i += 3;
  } else if (words[0] === "ALTER" && words[1] === "TABLE") {
    // RENAME TO renames the table; RENAME [COLUMN] a TO b renames a column
    const rename = words.findIndex((word, at) => word === "RENAME" && words[at + 1] === "TO");
    if (rename < 0) return undefined;
    i = rename + 2;
  } else {
    return undefined;
  }
  // schema.name: the table is the part after the dot
  if (tokens[i + 1]?.value === "." && tokens[i + 1]?.kind === "punct") i += 2;
  const token = tokens[i];
  return token && (token.kind === "word" || token.kind === "name") ? token.value : undefined;
}
