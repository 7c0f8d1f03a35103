/**
 * Each plugin's own database (README "Plugin storage"): a file of its own beside the service's
 * database, opened on first use, so that nothing a plugin sends can reach the service's tables or
 * another plugin's data. Each has its own writer, as every database has one.
 */
import { type Config, databaseUrl, withoutCredentials } from "../config.ts";
import { normalDatabaseUrl, redactUrl } from "../config/checks.ts";
import { ServiceError } from "../function/errors.ts";
import { PLUGIN_NAME } from "../function/plugin_name.ts";
import type { Logger } from "../log.ts";
import { type Database, openDatabase } from "./db.ts";
import { type PluginPlaces, pluginPlaces } from "./plugin_places.ts";
import { loadMigrations, migrate, type MigrationsTable } from "./migrate.ts";
import { Writer } from "./writer.ts";

/** The service's own tables in every plugin database, created on open (./plugin_migrations/). */
const BASE_MIGRATIONS = new URL("./plugin_migrations/", import.meta.url);
/** Where a plugin database records the base migrations applied: a name no plugin table can take. */
export const BASE_MIGRATIONS_TABLE = "_rosey_base_migrations" satisfies MigrationsTable;

/** How often expired keys are deleted from the open plugin databases; reads skip them meanwhile. */
const SWEEP_INTERVAL_MS = 60_000;

/** One plugin's open database and its writer. */
export interface PluginDatabase {
  readonly plugin: string;
  readonly db: Database;
  readonly writer: Writer;
}

/** Options for {@linkcode PluginDatabases}. */
export interface PluginDatabasesOptions {
  config: Config;
  log: Logger;
  onBusyRetry?(): void;
  /** Most plugin databases (default {@linkcode PLUGINS_MAX}); tests use fewer. */
  maxPlugins?: number;
}

/**
 * Most plugin databases: each holds two open connections, and any peer allowed to send a plugin
 * subject names a plugin, so an unbounded number of names would run the process out of files.
 */
export const PLUGINS_MAX = 100;

/** The plugins' databases, opened on first use and kept open until {@linkcode close}. */
export class PluginDatabases {
  readonly #open = new Map<string, Promise<PluginDatabase>>();
  /** Drops under way: the plugin opens again only once its files are gone. */
  readonly #dropping = new Map<string, Promise<boolean>>();
  #closed = false;
  #sweeping?: ReturnType<typeof setInterval>;

  /** Where the plugins' databases are: the configuration's, worked out once. */
  readonly #places: PluginPlaces;
  /** Whether the plugins' databases are on a remote server: they are neither listed nor deleted here. */
  readonly remote: boolean;

  constructor(readonly options: PluginDatabasesOptions) {
    this.#places = pluginPlaces(options.config);
    this.remote = this.#places.kind === "remote";
  }

  /** The plugin's database; a name that is not a plugin name is a VALIDATION_ERROR naming it. */
  get(plugin: string): Promise<PluginDatabase> {
    if (!PLUGIN_NAME.test(plugin)) {
      return Promise.reject(
        new ServiceError(400, `plugin_name: "${plugin}" is not a plugin name (${PLUGIN_NAME.source})`),
      );
    }
    if (this.#closed) return Promise.reject(new ServiceError(503, "The service is stopping"));
    const dropping = this.#dropping.get(plugin);
    if (dropping) return dropping.catch(() => {}).then(() => this.get(plugin));
    let open = this.#open.get(plugin);
    if (!open) {
      open = this.#openPlugin(plugin);
      this.#open.set(plugin, open);
      // A database that failed to open is tried again by the next request.
      open.catch(() => this.#open.delete(plugin));
    }
    return open;
  }

  /**
   * The plugin's database if it has one (open, or a file), without making a file. A remote one is
   * opened: only its server knows whether it exists.
   */
  async existing(plugin: string): Promise<PluginDatabase | undefined> {
    if (!PLUGIN_NAME.test(plugin)) return await this.get(plugin); // refused, naming it
    if (this.#dropping.has(plugin) || this.#open.has(plugin)) return await this.get(plugin);
    const places = this.#places;
    if (places.kind === "remote") return await this.get(plugin);
    if (places.kind === "memory") return undefined;
    const exists = await Deno.stat(places.files.path(plugin)).then(() => true, () => false);
    return exists ? await this.get(plugin) : undefined;
  }

  /** Names of the plugins whose database exists: open now, or a file in the plugins' folder. */
  async plugins(): Promise<string[]> {
    const names = new Set(this.#open.keys());
    const places = this.#places;
    if (places.kind === "files") {
      try {
        for await (const entry of Deno.readDir(places.files.folder)) {
          const plugin = places.files.pluginOf(entry.name);
          if (entry.isFile && plugin) names.add(plugin);
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    return [...names].sort();
  }

  /** The open plugin databases, for work that visits each (the TTL sweep, backups). */
  async opened(): Promise<PluginDatabase[]> {
    const settled = await Promise.allSettled(this.#open.values());
    return settled.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
  }

  /** Deletes the expired keys of every open plugin database; how many. */
  async sweep(): Promise<number> {
    let swept = 0;
    for (const plugin of await this.opened()) swept += await sweepExpired(plugin);
    return swept;
  }

  /**
   * Closes the plugin's database and deletes its file (with its WAL and shared-memory files); whether
   * there was one. Requests that opened it before keep a closed store and fail; later ones start anew.
   * A remote database is deleted on its server, not here: CONFLICT saying so.
   */
  drop(plugin: string): Promise<boolean> {
    if (!PLUGIN_NAME.test(plugin)) {
      return Promise.reject(new ServiceError(400, `plugin: "${plugin}" is not a plugin name (${PLUGIN_NAME.source})`));
    }
    if (this.remote) {
      return Promise.reject(
        new ServiceError(
          409,
          `plugin "${plugin}" has a remote database (PLUGINS_DATABASE_URL): delete it on its server, which keeps it`,
        ),
      );
    }
    // A request arriving meanwhile waits, rather than open the files about to be deleted.
    const dropping = this.#dropping.get(plugin) ?? this.#drop(plugin).finally(() => this.#dropping.delete(plugin));
    this.#dropping.set(plugin, dropping);
    return dropping;
  }

  async #drop(plugin: string): Promise<boolean> {
    const open = this.#open.get(plugin);
    this.#open.delete(plugin);
    const opened = await open?.catch(() => undefined);
    if (opened) {
      await opened.writer.settled();
      opened.db.close();
    }
    const places = this.#places;
    if (places.kind !== "files") return opened !== undefined;
    let removed = false;
    for (const suffix of ["", "-wal", "-shm"]) {
      try {
        await Deno.remove(`${places.files.path(plugin)}${suffix}`);
        removed ||= suffix === "";
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    return removed;
  }

  /** Commits what each writer holds and closes every plugin database. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeping);
    for (const plugin of await this.opened()) {
      await plugin.writer.settled();
      plugin.db.close();
    }
    this.#open.clear();
  }

  /** Refuses a new plugin database past the bound; plugins that have one always open. */
  async #roomFor(plugin: string, url: string) {
    const max = this.options.maxPlugins ?? PLUGINS_MAX;
    const file = url.startsWith("file:") ? url.slice("file:".length) : undefined;
    if (file && await Deno.stat(file).then(() => true, () => false)) return;
    // Plugins being opened right now are in the list too, so that two new ones cannot both pass.
    const others = (await this.plugins()).filter((name) => name !== plugin);
    if (others.length >= max) {
      throw new ServiceError(
        409,
        `plugin "${plugin}" has no database and ${others.length} plugins have one, the most there may be: drop one with admin.plugins.drop`,
      );
    }
  }

  async #openPlugin(plugin: string): Promise<PluginDatabase> {
    const { config, log, onBusyRetry } = this.options;
    const url = this.#places.url(plugin);
    // Configuration refuses such a place (PLUGINS_DATABASE_URL); this keeps a plugin out even so.
    if (sameDatabase(url, databaseUrl(config))) {
      throw new ServiceError(400, `plugin "${plugin}" would have the service's own database: no plugin may`);
    }
    await this.#roomFor(plugin, url);
    let db: Database | undefined;
    let opened: PluginDatabase;
    try {
      db = await openDatabase(
        { ...config, DATABASE_URL: url, DATABASE_PATH: undefined, DATABASE_SYNC_URL: undefined },
        log,
        { onBusyRetry },
      );
      // Handlers run inside the writer: no credential reaches them.
      opened = { plugin, db, writer: new Writer(db, { config: withoutCredentials(config), log, onBusyRetry }) };
      await migrate(db, await loadMigrations(BASE_MIGRATIONS), log, BASE_MIGRATIONS_TABLE);
      // What expired while the plugin was not in use goes now, the rest with the periodic sweep.
      await sweepExpired(opened);
    } catch (error) {
      db?.close();
      if (error instanceof ServiceError) throw error;
      // A remote database refusing or out of reach, a file that cannot be made: the next request tries again.
      const reason = redactUrl((error as Error).message);
      log.warn("Opening a plugin database failed", { plugin, error: reason });
      throw new ServiceError(503, `The database of plugin "${plugin}" could not be opened: ${reason}`);
    }
    log.info("Plugin database open", { plugin, mode: db.mode });
    this.#sweeping ??= setInterval(() => {
      this.sweep().catch((error) => log.warn("Sweeping expired keys failed", { error: (error as Error).message }));
    }, SWEEP_INTERVAL_MS);
    Deno.unrefTimer(this.#sweeping);
    return opened;
  }
}

/** Whether two libSQL URLs name one database (file paths compared resolved, `:memory:` never the same). */
function sameDatabase(a: string, b: string): boolean {
  return a !== ":memory:" && normalDatabaseUrl(a) === normalDatabaseUrl(b);
}

/** Deletes the plugin's expired keys (README "Plugin storage": reads skip them before). */
async function sweepExpired({ writer }: PluginDatabase): Promise<number> {
  const { changes } = await writer.run((tx) => tx.run("DELETE FROM _rosey_kv WHERE expires_at <= ?", [Date.now()]));
  return changes;
}
