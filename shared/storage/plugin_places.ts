/**
 * Where each plugin's database lives (README "Plugin storage"): by default a file `plugins/<plugin>.db`
 * beside the service's database file, or a database in memory when the service's is in memory;
 * PLUGINS_DATABASE_URL, a URL with `{plugin}` in it, puts them elsewhere: files named otherwise, or a
 * remote libSQL database per plugin.
 */
import { basename, dirname, join } from "node:path";
import { type Config, databaseUrl } from "../config.ts";
import { PLUGIN_PLACEHOLDER } from "../config/checks.ts";
import { ServiceError } from "../function/errors.ts";
import { PLUGIN_NAME } from "../function/plugin_name.ts";
import { databaseMode } from "./db.ts";

/** Plugin databases that are files of one folder, named `<prefix><plugin><suffix>`. */
export interface PluginFiles {
  readonly folder: string;
  /** The path of the plugin's database file. */
  path(plugin: string): string;
  /** The plugin whose database a file name in the folder is, if it is one. */
  pluginOf(fileName: string): string | undefined;
}

/** How plugin databases are found: as files, in memory, or on a remote server. */
export type PluginPlaces =
  | { readonly kind: "files"; readonly files: PluginFiles; url(plugin: string): string }
  | { readonly kind: "memory"; url(plugin: string): string }
  | { readonly kind: "remote"; url(plugin: string): string };

/** Where the configuration puts plugin databases; a remote service database without a template has none. */
export function pluginPlaces(config: Config): PluginPlaces {
  const template = config.PLUGINS_DATABASE_URL;
  if (template?.startsWith("file:")) {
    const path = template.slice("file:".length).replace(/^\/\//, "");
    const [prefix, suffix] = basename(path).split(PLUGIN_PLACEHOLDER);
    return filePlaces(dirname(path), prefix, suffix);
  }
  if (template) return { kind: "remote", url: (plugin) => template.replace(PLUGIN_PLACEHOLDER, plugin) };
  const url = databaseUrl(config);
  const mode = databaseMode(url, config.DATABASE_SYNC_URL);
  if (mode === "file" || mode === "replica") {
    return filePlaces(join(dirname(url.replace(/^file:(\/\/)?/, "")), "plugins"), "", ".db");
  }
  if (mode === "memory") return { kind: "memory", url: () => ":memory:" };
  return {
    kind: "remote",
    url() {
      throw new ServiceError(
        503,
        `Plugin storage needs a place for plugin databases: DATABASE_URL names a remote database, so set PLUGINS_DATABASE_URL (a URL with ${PLUGIN_PLACEHOLDER})`,
        [],
        "NOT_CONFIGURED",
      );
    },
  };
}

function filePlaces(folder: string, prefix: string, suffix: string): PluginPlaces {
  const files: PluginFiles = {
    folder,
    path: (plugin) => join(folder, `${prefix}${plugin}${suffix}`),
    pluginOf(fileName) {
      if (!fileName.startsWith(prefix) || !fileName.endsWith(suffix)) return undefined;
      const plugin = fileName.slice(prefix.length, fileName.length - suffix.length);
      return PLUGIN_NAME.test(plugin) ? plugin : undefined;
    },
  };
  return { kind: "files", files, url: (plugin) => `file:${files.path(plugin)}` };
}
