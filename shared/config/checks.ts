/**
 * Set-up mistakes that no retry can fix: a malformed or unsupported URL, a data path that cannot be
 * written, a credentials file that cannot be read. Each is reported as one line naming the setting,
 * the value and what to do, so that start-up stops with exit status 2 instead of retrying for ever.
 */
import { basename, dirname, resolve } from "node:path";
import type { Config } from "../config.ts";
import { PLUGIN_NAME } from "../function/plugin_name.ts";

const DATABASE_URL_FORMS = "use file:<path>, :memory:, libsql://<host> or https://<host>";
const REMOTE_DATABASE_SCHEMES = ["libsql:", "http:", "https:", "ws:", "wss:"];
const NATS_SCHEMES = ["nats:", "tls:"];

/** The placeholder of PLUGINS_DATABASE_URL that each plugin's name replaces. */
export const PLUGIN_PLACEHOLDER = "{plugin}";

/**
 * Why PLUGINS_DATABASE_URL cannot name plugin databases, or undefined when it can: `{plugin}` once,
 * in a file's name (so the folder lists the plugins) or anywhere in a remote URL.
 */
export function pluginsUrlProblem(template: string): string | undefined {
  const count = template.split(PLUGIN_PLACEHOLDER).length - 1;
  if (count !== 1) return `must hold ${PLUGIN_PLACEHOLDER} once, where each plugin's name goes (found ${count})`;
  if (template.startsWith("file:")) {
    const name = basename(template.slice("file:".length));
    if (!name.includes(PLUGIN_PLACEHOLDER)) return `${PLUGIN_PLACEHOLDER} must be in the file's name, not a folder`;
    // The WAL and shared-memory files beside a database must not read as plugins of their own.
    if (name.endsWith(PLUGIN_PLACEHOLDER)) {
      return `end the file's name after ${PLUGIN_PLACEHOLDER}, as in ${PLUGIN_PLACEHOLDER}.db`;
    }
    return undefined;
  }
  const forms = `use file:<folder>/<name with ${PLUGIN_PLACEHOLDER}> or libsql://<host with ${PLUGIN_PLACEHOLDER}>`;
  const hosts = ["a", "b"].map((plugin) => {
    const url = template.replace(PLUGIN_PLACEHOLDER, plugin);
    return databaseUrlProblem(url) || url.startsWith("file:") ? undefined : new URL(url).host;
  });
  if (!hosts[0]) return forms;
  // libSQL clients send every request to the host's own path: a name elsewhere would give all plugins one database.
  if (hosts[0] === hosts[1]) {
    return `${PLUGIN_PLACEHOLDER} must be in the host name, where it names a database of its own`;
  }
  return undefined;
}

/**
 * The plugin name under which PLUGINS_DATABASE_URL names the service's own database (`serviceUrl`,
 * a `file:` path or a remote URL), if there is one: that plugin would reach every service table.
 * Relative paths are compared from the working directory, as both are opened.
 */
export function pluginNamingService(template: string, serviceUrl: string): string | undefined {
  const [before, after] = normalDatabaseUrl(template).split(PLUGIN_PLACEHOLDER);
  const target = normalDatabaseUrl(serviceUrl);
  if (!target.startsWith(before) || !target.endsWith(after) || target.length < before.length + after.length) return;
  const plugin = target.slice(before.length, target.length - after.length);
  // Only a name that passes the plugin-name rule reaches a database.
  return PLUGIN_NAME.test(plugin) ? plugin : undefined;
}

/** A libSQL URL with a `file:` path made absolute (from the working directory), so that two spellings compare equal. */
export function normalDatabaseUrl(url: string): string {
  return url.startsWith("file:") ? `file:${resolve(url.replace(/^file:(\/\/)?/, ""))}` : url;
}

/** Why `url` cannot be a libSQL database URL, or undefined when it can. */
export function databaseUrlProblem(url: string): string | undefined {
  if (url === ":memory:" || url.startsWith("file:")) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const hint = url.includes("/") || url.endsWith(".db") ? ` (for a file: file:${url} or DATABASE_PATH)` : "";
    return `not a database URL: ${DATABASE_URL_FORMS}${hint}`;
  }
  if (!REMOTE_DATABASE_SCHEMES.includes(parsed.protocol)) {
    return `unsupported scheme "${parsed.protocol}": ${DATABASE_URL_FORMS}`;
  }
  if (!parsed.hostname) return `no host in the URL: ${DATABASE_URL_FORMS}`;
  return undefined;
}

/** Why `servers` (comma-separated) cannot be NATS server URLs, or undefined when they can. */
export function natsUrlProblem(servers: string): string | undefined {
  const list = servers.split(",").map((s) => s.trim());
  for (const server of list) {
    const problem = natsServerProblem(server);
    if (problem) return list.length > 1 ? `"${redactUrl(server)}": ${problem}` : problem;
  }
  return undefined;
}

function natsServerProblem(server: string): string | undefined {
  const forms = "use nats://<host>:<port> or tls://<host>:<port>, comma-separated for several servers";
  if (server === "") return `an empty server in the list: ${forms}`;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(server)?.[1];
  if (scheme && !NATS_SCHEMES.includes(`${scheme.toLowerCase()}:`)) {
    return `unsupported scheme "${scheme}:": ${forms}`;
  }
  try {
    const parsed = new URL(scheme ? server : `nats://${server}`);
    if (parsed.hostname && !/[\s/]/.test(parsed.hostname) && (parsed.pathname === "" || parsed.pathname === "/")) {
      return undefined;
    }
  } catch { /* reported below */ }
  return `not a server URL: ${forms}`;
}

/**
 * `url` (or a comma-separated list) without the user, password or token any entry carries, for
 * messages and logs: everything between `//` and the last `@` of each entry.
 */
export function redactUrl(url: string): string {
  return url.split(",").map((entry) => entry.replace(/\/\/[^/?#]*@/, "//***@"))
    .join(",").replace(/([?&]authToken=)[^&,]*/gi, "$1***");
}

/** Problems with the files and directories the configuration names; empty when there are none. */
export async function setupProblems(config: Config, databasePath: string | undefined): Promise<string[]> {
  const problems: string[] = [];
  if (databasePath) {
    const setting = config.DATABASE_URL ? "DATABASE_URL" : config.DATABASE_PATH ? "DATABASE_PATH" : "data path";
    const problem = await dataPathProblem(databasePath);
    if (problem) problems.push(`${setting}: ${problem}`);
  }
  for (const key of ["NATS_CREDS_FILE", "NATS_TLS_CA", "NATS_TLS_CERT", "NATS_TLS_KEY"] as const) {
    const file = config[key];
    if (!file) continue;
    try {
      const text = await Deno.readTextFile(file);
      if (
        key === "NATS_CREDS_FILE" && !/-----BEGIN NATS USER JWT-----[\s\S]*-----BEGIN USER NKEY SEED-----/.test(text)
      ) {
        problems.push(`${key}: "${file}" is not a NATS credentials file (a user JWT and an NKey seed)`);
      }
    } catch (error) {
      problems.push(`${key}: cannot read "${file}": ${osReason(error)}`);
    }
  }
  // Without NATS_URL the service starts a nats-server of its own, which needs --allow-run.
  if (!config.NATS_URL && Deno.permissions.querySync({ name: "run" }).state !== "granted") {
    problems.push(
      "NATS_URL: not set, and this process may not start a nats-server of its own (it runs without --allow-run, as in the container): set NATS_URL to your NATS server",
    );
  }
  if (Boolean(config.NATS_TLS_CERT) !== Boolean(config.NATS_TLS_KEY)) {
    problems.push("NATS_TLS_CERT: a client certificate needs its key (NATS_TLS_KEY) and the other way round");
  }
  return problems;
}

/**
 * Why the database file at `path` could not be written: its directory cannot be created or written
 * (SQLite keeps its journal and WAL beside the file), or the file itself is read-only.
 */
async function dataPathProblem(path: string): Promise<string | undefined> {
  const dir = dirname(path);
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    return `cannot create the data directory "${dir}": ${osReason(error)}: choose a writable location`;
  }
  try {
    await Deno.remove(await Deno.makeTempFile({ dir, prefix: ".rosey-db-write-check-" }));
  } catch (error) {
    return `cannot write in the data directory "${dir}": ${osReason(error)}: make it writable for this user`;
  }
  try {
    (await Deno.open(path, { read: true, write: true })).close();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof Deno.errors.IsADirectory) return `"${path}" is a directory: name a file inside it`;
    return `cannot write the database file "${path}": ${osReason(error)}: make it writable for this user`;
  }
  return undefined;
}

/** An OS error's reason without the operation and path Deno appends (the message names the path already). */
function osReason(error: unknown): string {
  return (error as Error).message.replace(/: [a-z_]+ '[^']*'$/i, "");
}
