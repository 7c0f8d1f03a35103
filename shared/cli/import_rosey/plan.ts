/**
 * What the import will write for each plugin, read from the Rosey database before anything is
 * written: each table's target and rows (converted), each live key, each migration record. What
 * cannot be imported as it is becomes a problem that stops the import before it writes.
 */
import { Key } from "../../../functions/kv/_store.ts";
import type { FieldSpec } from "../../../functions/row/_tables.ts";
import { PLUGIN_NAME } from "../../function/plugin_name.ts";
import { appliedAt, milliseconds } from "./convert.ts";
import { unreadName } from "./known.ts";
import { type OwnerHints, ownerOf } from "./owners.ts";
import { registeredTable } from "./registered.ts";
import type { RoseySource, SourceTable } from "./source.ts";

/** One table of a plugin's database and where it comes from. */
export interface TablePlan {
  /** Rosey's table. */
  source: string;
  /** The name row operations use in the plugin's database. */
  target: string;
  /** The table itself in the plugin's database (the target, or Rosey's `<plugin>_<table>` for a copied registered table). */
  sqlName: string;
  /** `registered`: made as schema.register makes it, ids kept; `copied`: Rosey's own CREATE statement, as it is. */
  made: "registered" | "copied";
  /** The registered fields (for a registered table, or a copied one that was registered in Rosey). */
  fields?: FieldSpec[];
  /** When Rosey registered it, ISO 8601. */
  registeredAt?: string;
  table: SourceTable;
  /** Columns written, in the order of each row's values (after the row id when `table.copyRowid`). */
  columns: string[];
  rows: unknown[][];
  /** Why the table went where it went. */
  why: string;
}

/** One key, as rosey-db stores it. */
export interface KeyPlan {
  key: string;
  value: string;
  expiresAt: number | null;
  updatedAt: number;
}

/** One migration record, as `_rosey_migrations` holds it. */
export interface MigrationPlan {
  version: number;
  name: string;
  checksum: string;
  status: string;
  appliedAt: string;
  appliedBy: string;
  executionTimeMs: number;
}

/** Everything one plugin's database receives. */
export interface PluginPlan {
  plugin: string;
  tables: TablePlan[];
  keys: KeyPlan[];
  /** Keys that had expired (skipped), and keys whose value is no JSON (Rosey answered them as missing). */
  expired: string[];
  unreadable: string[];
  migrations: MigrationPlan[];
  notes: string[];
}

/** The whole import: per plugin, what stays in the Rosey file and why, and what stops it. */
export interface ImportPlan {
  plugins: PluginPlan[];
  left: { table?: string; plugin?: string; what: string; reason: string }[];
  problems: string[];
}

const STATUSES = new Set(["applied", "rolled_back", "failed", "rollback_failed"]);

/** Options of {@linkcode planImport}. */
export interface PlanOptions extends Omit<OwnerHints, "plugins"> {
  /** Only these plugins (all when empty). */
  only: string[];
  /** Unix milliseconds: keys expiring at or before it are skipped. */
  now: number;
}

/** Reads the Rosey database into a plan. */
export function planImport(source: RoseySource, options: PlanOptions): ImportPlan {
  const keys = source.keys(), schemas = source.schemas(), migrations = source.migrations();
  const plan: ImportPlan = { plugins: [], left: [], problems: [] };
  const names = [...new Set([...keys, ...schemas, ...migrations].map((row) => row.plugin))].sort();
  const valid = names.filter((name) => PLUGIN_NAME.test(name));
  for (const name of names.filter((name) => !PLUGIN_NAME.test(name))) {
    plan.left.push({ plugin: name, what: "every key, table and migration", reason: `not a plugin name` });
  }
  const wanted = (plugin: string) => options.only.length === 0 || options.only.includes(plugin);
  for (const name of options.only.filter((name) => !valid.includes(name))) {
    plan.problems.push(`--plugin ${name}: the Rosey file has no keys, registered tables or migrations of "${name}"`);
  }
  const plugins = new Map<string, PluginPlan>();
  const pluginPlan = (plugin: string) => {
    let found = plugins.get(plugin);
    if (!found) {
      plugins.set(
        plugin,
        found = { plugin, tables: [], keys: [], expired: [], unreadable: [], migrations: [], notes: [] },
      );
    }
    return found;
  };
  const allTables = new Set(source.tableNames());
  const tables = new Set(allTables);
  const problem = (text: string) => plan.problems.push(text);

  for (const schema of schemas) {
    const sourceName = `${schema.plugin}_${schema.table}`;
    const present = tables.delete(sourceName);
    if (!PLUGIN_NAME.test(schema.plugin)) {
      if (present) plan.left.push({ table: sourceName, what: "registered table", reason: "not a plugin name" });
      continue;
    }
    if (!wanted(schema.plugin)) continue;
    const table = registeredTable(source, schema, present, problem);
    if (table) pluginPlan(schema.plugin).tables.push(table);
  }

  const hints: OwnerHints = { ...options, plugins: valid };
  for (const name of tables) {
    const owner = ownerOf(name, hints);
    if (owner && "service" in owner) continue;
    if (owner && "left" in owner) {
      plan.left.push({ table: name, what: `${source.table(name).rows} rows`, reason: owner.left });
      continue;
    }
    if (!owner) {
      problem(
        `table "${name}": no plugin is known to own it: name one with --table ${name}=PLUGIN, or --skip-table ${name}`,
      );
      continue;
    }
    if (!PLUGIN_NAME.test(owner.plugin)) {
      problem(`table "${name}": "${owner.plugin}" (${owner.by}) is not a plugin name`);
      continue;
    }
    if (!wanted(owner.plugin)) continue;
    const target = pluginPlan(owner.plugin);
    const table = source.table(name);
    const registered = target.tables.find((t) => t.target === name);
    let targetName = name;
    let why = `made by migrations (${owner.by}), copied as it is`;
    if (registered) {
      // Rosey's row operations on this name read the registered table: they keep doing so.
      const taken = (n: string) => allTables.has(n) || target.tables.some((t) => t.sqlName === n);
      targetName = unreadName(name, taken);
      why = `made by migrations (${owner.by}); Rosey's row operations on "${name}" read "${registered.source}" ` +
        `and never this table, so it is kept under the name "${targetName}"`;
      target.notes.push(`"${name}" is Rosey's "${registered.source}"; its migrations' "${name}" is "${targetName}"`);
    }
    if (targetName.startsWith("_rosey_")) problem(`table "${name}": names starting with _rosey_ are the service's`);
    const columns = table.columns.filter((c) => c.hidden === 0).map((c) => c.name);
    const rows = source.rows(table, columns);
    target.tables.push({
      source: name,
      target: targetName,
      sqlName: targetName,
      made: "copied",
      table,
      columns,
      rows,
      why,
    });
  }

  for (const view of source.viewNames()) {
    plan.left.push({
      table: view,
      what: "a view",
      reason: "holds no data and is not copied: make it again in a migration",
    });
  }

  const now = options.now;
  for (const row of keys) {
    if (!PLUGIN_NAME.test(row.plugin) || !wanted(row.plugin)) continue;
    const target = pluginPlan(row.plugin);
    if (row.expiresAt !== null && milliseconds(row.expiresAt) <= now) {
      target.expired.push(row.key);
      continue;
    }
    try {
      JSON.parse(row.valueJson);
    } catch {
      target.unreadable.push(row.key);
      continue;
    }
    if (!Key.safeParse(row.key).success) {
      target.notes.push(`key "${row.key}" is no key a request can name (1-256 characters, no control characters)`);
    }
    const expiresAt = row.expiresAt === null ? null : milliseconds(row.expiresAt);
    target.keys.push({ key: row.key, value: row.valueJson, expiresAt, updatedAt: milliseconds(row.updatedAt) });
  }

  for (const row of migrations) {
    if (!PLUGIN_NAME.test(row.plugin) || !wanted(row.plugin)) continue;
    const target = pluginPlan(row.plugin);
    const at = `${row.plugin} v${row.version}`;
    if (!STATUSES.has(row.status)) {
      problem(`migration ${at}: status "${row.status}" is none of ${[...STATUSES].join(", ")}`);
    }
    if (!Number.isSafeInteger(row.version) || row.version < 1) problem(`migration ${at}: the version is not 1 or more`);
    if (row.errorMessage !== null) {
      target.notes.push(`migration v${row.version} (${row.status}): Rosey's error: ${row.errorMessage}`);
    }
    if (row.executionTimeMs === null) {
      target.notes.push(`migration v${row.version}: no execution time in Rosey, recorded as 0`);
    }
    target.migrations.push({
      version: row.version,
      name: row.name,
      checksum: row.checksum,
      status: row.status,
      appliedAt: appliedAt(row.appliedAt),
      appliedBy: row.appliedBy,
      executionTimeMs: row.executionTimeMs ?? 0,
    });
  }
  plan.plugins = [...plugins.values()].sort((a, b) => a.plugin.localeCompare(b.plugin));
  return plan;
}
