/** Configuration: one zod schema over environment variables and CLI flags. */
import { z } from "zod";
import {
  databaseUrlProblem,
  natsUrlProblem,
  pluginNamingService,
  pluginsUrlProblem,
  redactUrl,
} from "./config/checks.ts";
import type { FunctionSettings } from "./function/define.ts";
import { LOG_LEVELS } from "./log.ts";
import { parseRetention, RETENTION_DEFAULT } from "./config/retention.ts";
import { REMOVED } from "./config/removed.ts";
import { ConfigError } from "./config/error.ts";

const KIB = 1024;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const seconds = int(0);
const optionalText = z.string().min(1).optional();
/** A replica's primary is always a remote database. */
function syncUrlProblem(url: string): string | undefined {
  if (url === ":memory:" || url.startsWith("file:")) {
    return "the primary of a replica is a remote URL (libsql://<host>)";
  }
  return databaseUrlProblem(url);
}

/** A zod refinement that reports what `problem` finds in a value. */
function refuse(problem: (value: string) => string | undefined) {
  return (value: string, ctx: z.RefinementCtx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: "custom", message });
  };
}
const logLevel = z.string().transform((s) => s.toUpperCase() === "WARN" ? "WARNING" : s.toUpperCase())
  .pipe(z.enum(LOG_LEVELS));

export { ConfigError } from "./config/error.ts";
export type { Retention } from "./config/retention.ts";
export { LOCAL_NATS_PORT, streamName } from "./config/names.ts";
export { removedSettingWarnings } from "./config/removed.ts";
export { type Tuning, TUNING_VARIABLE, tuningFromEnv } from "./config/tuning.ts";

/** Every setting rosey-db reads, with its default. Keys are the environment variable names. */
export const ConfigSchema = z.object({
  NATS_URL: z.string().min(1).superRefine(refuse(natsUrlProblem)).optional().describe(
    "NATS server URL(s), comma-separated; unset starts a local nats-server",
  ),
  NATS_USER: optionalText.describe("NATS user name"),
  NATS_PASSWORD: optionalText.describe("NATS password (or NATS_PASSWORD_FILE)"),
  NATS_TOKEN: optionalText.describe("NATS token (or NATS_TOKEN_FILE)"),
  NATS_NKEY_SEED: optionalText.describe("NATS NKey seed (or NATS_NKEY_SEED_FILE)"),
  NATS_CREDS_FILE: optionalText.describe("NATS credentials file (JWT + seed)"),
  NATS_TLS_CA: optionalText.describe("CA certificate file for NATS TLS"),
  NATS_TLS_CERT: optionalText.describe("Client certificate file for NATS TLS"),
  NATS_TLS_KEY: optionalText.describe("Client key file for NATS TLS"),
  INGEST_MODE: z.enum(["core", "jetstream"]).default("core").describe(
    "core: events by core NATS subscription (at most once); jetstream: from a durable stream, acked after commit",
  ),
  JETSTREAM_RETENTION: z.enum(["workqueue", "limits", "interest"]).default("workqueue").describe(
    "Stream retention policy (the stream is named after SUBJECT_PREFIX, ROSEY_DB_EVENTS by default; its consumer after QUEUE_GROUP; RETENTION's events= sets its maximum age)",
  ),
  JETSTREAM_REPLICAS: int(1, 5).default(1).describe(
    "Copies of the event stream and its consumer on a NATS cluster (INGEST_MODE=jetstream; 3 survives a server's loss); an existing stream is scaled to it at start-up",
  ),
  SUBJECT_PREFIX: z.string().regex(
    /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
    "must be dot-separated tokens without wildcards",
  )
    .default("rosey.db").describe("Prefix of every subject"),
  QUEUE_GROUP: z.string().regex(/^[A-Za-z0-9_.-]+$/).default("rosey-db").describe(
    "NATS queue group shared by instances, also the name of their durable JetStream consumer",
  ),
  FUNCTIONS: z.string().default("*").describe(
    "Comma-separated globs of subjects (without prefix) this instance serves",
  ),
  MAX_PAYLOAD_BYTES: int(1).default(256 * KIB).describe("Largest accepted message payload"),
  DATABASE_URL: z.string().min(1).superRefine(refuse(databaseUrlProblem)).optional().describe(
    "file:…, :memory:, libsql://… or http(s)://… (default file:data/rosey.db); DATABASE_PATH or --db-path give a file path instead",
  ),
  DATABASE_AUTH_TOKEN: optionalText.describe("Token of a remote database (or DATABASE_AUTH_TOKEN_FILE)"),
  DATABASE_SYNC_URL: optionalText.pipe(z.string().superRefine(refuse(syncUrlProblem)).optional()).describe(
    "Primary of an embedded replica (with a file: DATABASE_URL)",
  ),
  DATABASE_SYNC_INTERVAL: seconds.optional().describe("Seconds between replica syncs"),
  DATABASE_ENCRYPTION_KEY: optionalText.describe("Encryption key of a local file (or DATABASE_ENCRYPTION_KEY_FILE)"),
  DATABASE_SYNCHRONOUS: z.enum(["NORMAL", "FULL"]).default("NORMAL").describe(
    "SQLite synchronous mode for file databases",
  ),
  HTTP_HOST: z.string().min(1).default("127.0.0.1").describe("HTTP bind address"),
  HTTP_PORT: int(0, 65535).default(8080).describe("HTTP port (0 picks a free one)"),
  METRICS_TOKEN: optionalText.describe("Bearer token required by /metrics (or METRICS_TOKEN_FILE)"),
  ADMIN_TOKEN: z.string().min(16, "at least 16 characters: it opens replay, purge and backups").optional().describe(
    'Token that turns on the admin page at /admin and logs into it (or ADMIN_TOKEN_FILE; not METRICS_TOKEN); unset, /admin is 404 (README "Admin page")',
  ),
  LOG_LEVEL: logLevel.default("INFO").describe("DEBUG, INFO, WARNING or ERROR"),
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json").describe("Log line format"),
  MAINTENANCE_INTERVAL: seconds.default(3600).describe("Seconds between maintenance runs (0 disables the timer)"),
  RETENTION: z.string().default(RETENTION_DEFAULT).transform(parseRetention).describe(
    "How long each kind of data is kept, as comma-separated name=age pairs (age in s, m, h or d; a name left out keeps its default): recent_chat, user_counts (history), sent_outbound (messages), revoked_tokens, dead_letters, events (in the JetStream stream, 0: forever); backups=count kept by admin.backup",
  ),
  BACKUP_DIR: z.string().min(1).default("data/backups").describe(
    "Where admin.backup writes its copies (RETENTION's backups= says how many it keeps)",
  ),
  CONVERSATION_ARCHIVE_DAYS: int(0, 36_500).default(0).describe(
    "Days without a change after which maintenance moves a conversation out of the live tables into compressed files under BACKUP_DIR/conversations-cold (0: never); conversation.restore brings one back",
  ),
  PLUGINS_DIR: optionalText.describe(
    "Folder of the plugins' migration files, <plugin>/migrations/NNN_name.sql (migrate.<plugin>.* answer NOT_CONFIGURED without it)",
  ),
  EMBEDDING_DIMENSIONS: int(0, 8192).default(0).describe(
    'Length of the embeddings messages and memories take (0: none); fixed once a database stores them (README "LLM memory")',
  ),
  PLUGINS_DATABASE_URL: optionalText.pipe(z.string().superRefine(refuse(pluginsUrlProblem)).optional()).describe(
    "Where each plugin's database is, {plugin} standing for its name: file:<folder>/{plugin}.db or libsql://rosey-{plugin}-<org>.turso.io (remote ones use DATABASE_AUTH_TOKEN); default plugins/<plugin>.db beside a database file, in memory beside :memory:",
  ),
});

/**
 * The settings read. `DATABASE_PATH` (or `--db-path`, the old service's names) is a second spelling of
 * DATABASE_URL for a file path, kept so the setting that named a database can name it in errors.
 */
export type Config = z.infer<typeof ConfigSchema> & { DATABASE_PATH?: string };

/** CLI flags of the old service and the variables they set. */
const FLAGS: Record<string, keyof Config> = {
  "--db-path": "DATABASE_PATH",
  "--nats-url": "NATS_URL",
  "--log-level": "LOG_LEVEL",
  "--http-port": "HTTP_PORT",
};

/** What `--help` prints: the flags, then every variable with its default and meaning. */
export function usage(): string {
  const flags = Object.entries(FLAGS).map(([flag, key]) => `  ${flag} <value>`.padEnd(24) + `sets ${key}`);
  const variables = settings().map(({ name, fallback, meaning }) =>
    `  ${name}${fallback === undefined ? "" : `=${fallback}`}\n      ${meaning}`
  );
  return [
    "rosey-db: NATS database service for chat bots",
    "",
    "Usage: deno task serve [options]",
    "",
    "Options:",
    ...flags,
    "  -h, --help".padEnd(24) + "prints this text",
    "",
    "Environment variables (default after =):",
    ...variables,
    "",
    `Secrets (${SECRETS.join(", ")}) may instead be read from a file named by <NAME>_FILE.`,
    "Invalid settings stop the service with exit status 2, one line per problem.",
  ].join("\n");
}

/** Every setting in schema order, with its default (undefined when it has none) and meaning. */
export function settings(): { name: string; fallback: unknown; meaning: string }[] {
  return Object.entries(ConfigSchema.shape).map(([name, schema]) => {
    // A default that is read further (RETENTION) is shown as written, not as read.
    const input = schema instanceof z.ZodPipe ? schema.def.in : schema;
    const parsed = (input as z.ZodType).safeParse(undefined);
    return { name, fallback: parsed.success ? parsed.data : undefined, meaning: schema.description ?? "" };
  });
}

/** Secrets that may also be read from a file named by `<NAME>_FILE`. */
const SECRETS = [
  "NATS_PASSWORD",
  "NATS_TOKEN",
  "NATS_NKEY_SEED",
  "DATABASE_AUTH_TOKEN",
  "DATABASE_ENCRYPTION_KEY",
  "METRICS_TOKEN",
  "ADMIN_TOKEN",
];

/** Settings that hold a credential or say where one is used; nothing a writer or a handler needs. */
const CREDENTIALS = [
  ...SECRETS,
  "NATS_URL",
  "NATS_USER",
  "NATS_CREDS_FILE",
  "NATS_TLS_KEY",
  "DATABASE_URL",
  "DATABASE_PATH",
  "DATABASE_SYNC_URL",
] as const;

/** The configuration without any credential, for parts that run function handlers (the writer). */
export function withoutCredentials(config: Config): Config {
  const safe: Record<string, unknown> = { ...config };
  for (const name of CREDENTIALS) delete safe[name];
  return safe as Config;
}

/** Builds the configuration from an environment and CLI arguments; flags win over the environment. */
export function loadConfig(env: Record<string, string | undefined>, args: string[] = []): Config {
  const problems: string[] = [];
  const raw: Record<string, string | undefined> = {};
  for (const key of [...Object.keys(ConfigSchema.shape), "DATABASE_PATH"]) {
    if (env[key] !== undefined && env[key] !== "") raw[key] = env[key];
  }
  for (const name of SECRETS) {
    const file = env[`${name}_FILE`];
    if (!file || raw[name] !== undefined) continue;
    try {
      raw[name] = Deno.readTextFileSync(file).trim();
    } catch (error) {
      problems.push(`${name}_FILE: cannot read "${file}": ${(error as Error).message}`);
    }
  }
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const key = FLAGS[flag];
    if (!key) {
      problems.push(`${flag}: unknown option (known: ${Object.keys(FLAGS).join(", ")})`);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) problems.push(`${flag}: needs a value`);
    else raw[key] = value;
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0]);
      const shown = raw[key] !== undefined && !SECRETS.includes(key) ? ` (got "${redactUrl(raw[key])}")` : "";
      problems.push(`${key}: ${issue.message}${shown}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config: Config = { ...parsed.data!, DATABASE_PATH: raw.DATABASE_PATH };
  const removed = Object.entries(REMOVED).flatMap(([name, check]) => {
    const value = env[name];
    const verdict = value === undefined || value === "" ? undefined : check(value, config);
    return typeof verdict === "string" ? [`${name}: removed: ${verdict}`] : [];
  });
  if (removed.length > 0) throw new ConfigError(removed);
  if (config.ADMIN_TOKEN && config.ADMIN_TOKEN === config.METRICS_TOKEN) {
    throw new ConfigError(["ADMIN_TOKEN: must differ from METRICS_TOKEN: whoever scrapes metrics would be an admin"]);
  }
  if (config.DATABASE_URL && config.DATABASE_PATH) {
    throw new ConfigError(["DATABASE_PATH: set either DATABASE_URL or DATABASE_PATH (--db-path), not both"]);
  }
  if (config.DATABASE_SYNC_URL && !databaseUrl(config).startsWith("file:")) {
    throw new ConfigError(["DATABASE_SYNC_URL: an embedded replica needs a file: DATABASE_URL"]);
  }
  const clash = config.PLUGINS_DATABASE_URL && pluginNamingService(config.PLUGINS_DATABASE_URL, databaseUrl(config));
  if (clash) {
    throw new ConfigError([
      `PLUGINS_DATABASE_URL: the plugin "${clash}" would have the service's own database (${
        redactUrl(databaseUrl(config))
      }): give plugin databases a name or place of their own, as in plugins/{plugin}.db`,
    ]);
  }
  return config;
}

/** Path of the local database file (a file database or an embedded replica), or undefined. */
export function databaseFilePath(config: Config): string | undefined {
  const url = databaseUrl(config);
  if (url === ":memory:" || url === "file::memory:" || !url.startsWith("file:")) return undefined;
  return url.replace(/^file:(\/\/)?/, "");
}

/** The libSQL URL the configuration points at. */
export function databaseUrl(config: Config): string {
  if (config.DATABASE_URL) return config.DATABASE_URL;
  if (config.DATABASE_PATH) return config.DATABASE_PATH === ":memory:" ? ":memory:" : `file:${config.DATABASE_PATH}`;
  return "file:data/rosey.db";
}

/** The settings a handler may read, taken from the configuration: never a credential. */
export function functionSettings(config: Config): FunctionSettings {
  const settings = {
    SUBJECT_PREFIX: config.SUBJECT_PREFIX,
    RETENTION: config.RETENTION,
    BACKUP_DIR: config.BACKUP_DIR,
    EMBEDDING_DIMENSIONS: config.EMBEDDING_DIMENSIONS,
  };
  const archive = config.CONVERSATION_ARCHIVE_DAYS > 0
    ? { ...settings, CONVERSATION_ARCHIVE_DAYS: config.CONVERSATION_ARCHIVE_DAYS }
    : settings;
  return config.PLUGINS_DIR ? { ...archive, PLUGINS_DIR: config.PLUGINS_DIR } : archive;
}
