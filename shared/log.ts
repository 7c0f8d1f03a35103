/** Structured logging: JSON lines or pretty text, four levels. */

export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"] as const;
export type LogLevel = typeof LOG_LEVELS[number];
export type LogFormat = "json" | "pretty";
export type LogFields = Record<string, unknown>;

/** A logger that writes one line per record to stderr. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every record. */
  child(fields: LogFields): Logger;
}

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  fields?: LogFields;
  write?: (line: string) => void;
}

const encoder = new TextEncoder();
function writeStderr(line: string) {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/** Creates a logger; records below `level` are discarded. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const { level = "INFO", format = "json", fields = {}, write = writeStderr } = options;
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (lvl: LogLevel, msg: string, extra?: LogFields) => {
    if (LOG_LEVELS.indexOf(lvl) < threshold) return;
    const record = { ...fields, ...extra };
    if (format === "json") {
      write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...record }, jsonSafe));
    } else {
      const tail = Object.entries(record).map(([k, v]) => `${k}=${JSON.stringify(v, jsonSafe)}`).join(" ");
      write(`${new Date().toISOString()} ${lvl.padEnd(7)} ${msg}${tail ? " " + tail : ""}`);
    }
  };
  return {
    debug: (msg, extra) => emit("DEBUG", msg, extra),
    info: (msg, extra) => emit("INFO", msg, extra),
    warn: (msg, extra) => emit("WARNING", msg, extra),
    error: (msg, extra) => emit("ERROR", msg, extra),
    child: (more) => createLogger({ level, format, write, fields: { ...fields, ...more } }),
  };
}

function jsonSafe(_key: string, value: unknown) {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return value.message;
  return value;
}

/** A logger that discards everything, for tests and embedded use. */
export const silentLogger: Logger = createLogger({ level: "ERROR", write: () => {} });
