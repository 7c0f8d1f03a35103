/** Configuration: one zod schema over environment variables and CLI flags. */
import { z } from "zod";
import { databaseUrlProblem, natsUrlProblem, redactUrl } from "./config_checks.ts";
import { LOG_LEVELS } from "./log.ts";

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
/** Seconds in one unit of a RETENTION age. */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Defaults of RETENTION (the wire contract's figures): ages of what maintenance deletes, the JetStream
 * stream's maximum age (events=0 keeps events forever) and how many backups admin.backup keeps.
 */
const RETENTION_DEFAULTS = {
  recent_chat: "150h",
  user_counts: "30d",
  sent_outbound: "7d",
  revoked_tokens: "90d",
  dead_letters: "30d",
  events: "7d",
  backups: "7",
};
const RETENTION_DEFAULT = Object.entries(RETENTION_DEFAULTS).map(([name, value]) => `${name}=${value}`).join(",");

/** RETENTION read: each age in seconds, `backups` a count. */
export type Retention = Record<Exclude<keyof typeof RETENTION_DEFAULTS, "backups">, number> & { backups: number };

/** Reads RETENTION's `name=value` pairs over the defaults; every bad pair is one issue. */
function parseRetention(text: string, ctx: z.RefinementCtx): Retention {
  const values: Record<string, string> = { ...RETENTION_DEFAULTS };
  for (const pair of text.split(",").map((part) => part.trim()).filter(Boolean)) {
    const [name, value = ""] = pair.split("=", 2).map((part) => part.trim());
    if (!(name in RETENTION_DEFAULTS)) {
      ctx.addIssue({
        code: "custom",
        message: `unknown name "${name}" (known: ${Object.keys(RETENTION_DEFAULTS).join(", ")})`,
      });
    } else if (name === "backups" ? !/^[1-9][0-9]*$/.test(value) : !/^[0-9]+[smhd]$/.test(value)) {
      const expected = name === "backups" ? "a count of at least 1" : "an age such as 30d, 150h, 90m or 45s";
      ctx.addIssue({ code: "custom", message: `${name}: expected ${expected}, got "${value}"` });
    } else if (name !== "backups" && name !== "events" && parseInt(value) === 0) {
      ctx.addIssue({ code: "custom", message: `${name}: must keep something, got "${value}"` });
    } else {
      values[name] = value;
    }
  }
  const seconds = (value: string) => parseInt(value) * UNIT_SECONDS[value.at(-1)!];
  return {
    recent_chat: seconds(values.recent_chat),
    user_counts: seconds(values.user_counts),
    sent_outbound: seconds(values.sent_outbound),
    revoked_tokens: seconds(values.revoked_tokens),
    dead_letters: seconds(values.dead_letters),
    events: seconds(values.events),
    backups: parseInt(values.backups),
  };
}

const logLevel = z.string().transform((s) => s.toUpperCase() === "WARN" ? "WARNING" : s.toUpperCase())
  .pipe(z.enum(LOG_LEVELS));

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
  BATCH_MAX: int(1, 100_000).default(1000).describe("Most events committed in one write transaction"),
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
  LOG_LEVEL: logLevel.default("INFO").describe("DEBUG, INFO, WARNING or ERROR"),
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json").describe("Log line format"),
  MAINTENANCE_INTERVAL: seconds.default(3600).describe("Seconds between maintenance runs (0 disables the timer)"),
  RETENTION: z.string().default(RETENTION_DEFAULT).transform(parseRetention).describe(
    "How long each kind of data is kept, as comma-separated name=age pairs (age in s, m, h or d; a name left out keeps its default): recent_chat, user_counts (history), sent_outbound (messages), revoked_tokens, dead_letters, events (in the JetStream stream, 0: forever); backups=count kept by admin.backup",
  ),
  BACKUP_DIR: z.string().min(1).default("data/backups").describe(
    "Where admin.backup writes its copies (RETENTION's backups= says how many it keeps)",
  ),
});

/**
 * The settings read. `DATABASE_PATH` (or `--db-path`, the old service's names) is a second spelling of
 * DATABASE_URL for a file path, kept so the setting that named a database can name it in errors.
 */
export type Config = z.infer<typeof ConfigSchema> & { DATABASE_PATH?: string };

/**
 * Variables earlier versions read. One whose value no longer takes effect in a way others notice
 * (what is deleted when, names and ports other parties use, which functions are served) stops the
 * service with what to set instead; a tuning knob that is now a constant is only warned about.
 */
const REMOVED: Record<string, (value: string, config: Config) => string | { warning: string }> = {
  NATS_EMBEDDED_PORT: (value) =>
    value === String(LOCAL_NATS_PORT)
      ? { warning: "has no effect" }
      : `the local nats-server listens on ${LOCAL_NATS_PORT}: for another port run nats-server yourself and set NATS_URL`,
  JETSTREAM_STREAM: (value, config) =>
    value === streamName(config)
      ? { warning: "has no effect" }
      : `the stream is named after SUBJECT_PREFIX now ("${streamName(config)}")`,
  JETSTREAM_CONSUMER: (value, config) =>
    value === config.QUEUE_GROUP
      ? { warning: "has no effect" }
      : `the durable consumer is named after QUEUE_GROUP now ("${config.QUEUE_GROUP}")`,
  JETSTREAM_MAX_AGE: (value) => `set RETENTION="events=${value}s" instead`,
  RETENTION_RECENT_CHAT_HOURS: (value) => `set RETENTION="recent_chat=${value}h" instead`,
  RETENTION_USER_COUNT_DAYS: (value) => `set RETENTION="user_counts=${value}d" instead`,
  RETENTION_SENT_OUTBOUND_DAYS: (value) => `set RETENTION="sent_outbound=${value}d" instead`,
  RETENTION_REVOKED_TOKENS_DAYS: (value) => `set RETENTION="revoked_tokens=${value}d" instead`,
  RETENTION_DEAD_LETTERS_DAYS: (value) => `set RETENTION="dead_letters=${value}d" instead`,
  BACKUP_KEEP: (value) => `set RETENTION="backups=${value}" instead`,
  FUNCTIONS_DIR: () => "function files are those in this repository's functions/ (FUNCTIONS selects among them)",
  ...Object.fromEntries(
    [
      "READ_AFTER_WRITE_MS",
      "REPLY_CACHE_ENTRIES",
      "INGEST_THREAD",
      "INGEST_THREAD_NICE",
      "DATABASE_BUSY_TIMEOUT_MS",
      "CONVERSATION_WRITE_RETRIES",
      "CONVERSATION_WRITE_RETRY_DELAY_MS",
      "JETSTREAM_ACK_WAIT",
      "JETSTREAM_MAX_DELIVER",
      "JETSTREAM_BATCH",
      "SHUTDOWN_TIMEOUT_MS",
    ].map((name) => [name, () => ({ warning: "ignored: the service sets this itself now" })]),
  ),
};

/**
 * Internal tuning that users need not set: each part holds its own constant (with why that value).
 * Tests and the benchmark change them through `startService`'s third parameter, and a service they
 * start as a process through {@linkcode TUNING_VARIABLE}, which is no setting (not in --help or README).
 */
export interface Tuning {
  /** Directory of function files (default: this repository's functions/). */
  functionsDir?: string;
  /** Port of the local nats-server (default {@linkcode LOCAL_NATS_PORT}). */
  localNatsPort?: number;
  /** false writes events on the main thread even with a local file database. */
  ingestThread?: boolean;
  /** Linux nice steps of the ingest thread below the requests (default 0). */
  ingestNice?: number;
  /** See shared/runtime/router.ts READ_AFTER_WRITE_MS. */
  readAfterWriteMs?: number;
  /** See shared/runtime/router.ts REPLY_CACHE_ENTRIES. */
  replyCacheEntries?: number;
  /** See shared/nats/jetstream.ts ACK_WAIT_SECONDS. */
  ackWaitSeconds?: number;
}

/** Environment variable through which the test suite and the benchmark pass {@linkcode Tuning} as JSON. */
export const TUNING_VARIABLE = "ROSEY_DB_TEST_TUNING";

const TuningSchema = z.strictObject({
  functionsDir: z.string().min(1).optional(),
  localNatsPort: int(1, 65535).optional(),
  ingestThread: z.boolean().optional(),
  ingestNice: int(0, 19).optional(),
  readAfterWriteMs: int(0, 60_000).optional(),
  replyCacheEntries: int(0, 1_000_000).optional(),
  ackWaitSeconds: int(1, 3600).optional(),
}) satisfies z.ZodType<Tuning>;

/** The tuning a test passed in {@linkcode TUNING_VARIABLE}; throws a ConfigError when it is malformed. */
export function tuningFromEnv(env: Record<string, string | undefined>): Tuning {
  const text = env[TUNING_VARIABLE];
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${TUNING_VARIABLE}: not JSON: ${(error as Error).message}`]);
  }
  const parsed = TuningSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((i) => `${TUNING_VARIABLE}: ${i.path.join(".")}: ${i.message}`));
}

/** Port of the nats-server started when NATS_URL is unset: NATS's own default, where bots look first. */
export const LOCAL_NATS_PORT = 4222;

/** Name of the JetStream stream: one per subject prefix, as two streams cannot capture the same subjects. */
export function streamName(config: Pick<Config, "SUBJECT_PREFIX">): string {
  return `${config.SUBJECT_PREFIX.toUpperCase().replace(/[.-]/g, "_")}_EVENTS`;
}

/** One warning line per removed variable still set whose value is ignored; call after {@linkcode loadConfig}. */
export function removedSettingWarnings(env: Record<string, string | undefined>, config: Config): string[] {
  return Object.entries(REMOVED).flatMap(([name, check]) => {
    const value = env[name];
    if (value === undefined || value === "") return [];
    const verdict = check(value, config);
    return typeof verdict === "string" ? [] : [`${name}: removed, ${verdict.warning}`];
  });
}

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

/** Raised by {@linkcode loadConfig}: one problem per line, for exit status 2. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
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
  if (config.DATABASE_URL && config.DATABASE_PATH) {
    throw new ConfigError(["DATABASE_PATH: set either DATABASE_URL or DATABASE_PATH (--db-path), not both"]);
  }
  if (config.DATABASE_SYNC_URL && !databaseUrl(config).startsWith("file:")) {
    throw new ConfigError(["DATABASE_SYNC_URL: an embedded replica needs a file: DATABASE_URL"]);
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
