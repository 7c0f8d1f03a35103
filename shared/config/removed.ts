/** Variables earlier versions read, and what their being set now means. */
import type { Config } from "../config.ts";
import { LOCAL_NATS_PORT, streamName } from "./names.ts";

/**
 * Variables earlier versions read. One whose value no longer takes effect in a way others notice
 * (what is deleted when, names and ports other parties use, which functions are served) stops the
 * service with what to set instead; a tuning knob that is now a constant is only warned about.
 */
export const REMOVED: Record<string, (value: string, config: Config) => string | { warning: string }> = {
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
      "BATCH_MAX",
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

/** One warning line per removed variable still set whose value is ignored; call after {@linkcode loadConfig}. */
export function removedSettingWarnings(env: Record<string, string | undefined>, config: Config): string[] {
  return Object.entries(REMOVED).flatMap(([name, check]) => {
    const value = env[name];
    if (value === undefined || value === "") return [];
    const verdict = check(value, config);
    return typeof verdict === "string" ? [] : [`${name}: removed, ${verdict.warning}`];
  });
}
