/** libSQL connections: a reader and the single writer's connection, pragmas kept on both. */
import { dirname } from "node:path";
import type { Client } from "@libsql/client";
import { type Config, databaseUrl } from "../config.ts";
import { LocalConnection } from "./db_local.ts";
import { startCheckpoints } from "./checkpoints.ts";
import { isBusy } from "../function/errors.ts";
import type { Logger } from "../log.ts";
import { type Sql, sqlOf } from "../function/sql.ts";

export type DatabaseMode = "file" | "memory" | "remote" | "replica";

/** An open database. Only the writer (shared/storage/writer.ts) calls `transaction`. */
export interface Database {
  readonly mode: DatabaseMode;
  /** Reads; in file mode on their own connection so they never wait for the writer. */
  readonly read: Sql;
  /** Runs `work` in one write transaction; waits for the write lock without blocking the event loop. */
  transaction<T>(work: (tx: Sql) => Promise<T>, retry?: BusyRetry): Promise<T>;
  /** Runs `work` on the writer's connection outside a transaction (VACUUM). */
  withoutTransaction<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  /** Resolves when the database answers `SELECT 1` (and, for a replica, its last sync succeeded). */
  ping(): Promise<void>;
  /** Path of the local file, when there is one. */
  readonly path?: string;
  close(): void;
}

/** Tells which kind of database a libSQL URL names. */
export function databaseMode(url: string, syncUrl?: string): DatabaseMode {
  if (url === ":memory:" || url === "file::memory:") return "memory";
  if (url.startsWith("file:")) return syncUrl ? "replica" : "file";
  return "remote";
}

/** A bounded retry of a busy write: `attempts` more tries, waiting `delayMs`, then twice as long each time. */
export interface BusyRetry {
  attempts: number;
  delayMs: number;
}

/** Options for {@linkcode openDatabase}. */
export interface OpenOptions {
  /** Called each time a write transaction waits because another connection holds the lock. */
  onBusyRetry?(): void;
  /** How long the writer's connection waits for the lock inside SQLite before retrying from timers (ms). */
  writerBusyTimeoutMs?: number;
  /**
   * A database file's WAL is checkpointed on a thread of its own (shared/storage/checkpoints.ts), never
   * inside the writer's commits, which run on the event loop. The service's database has it.
   */
  checkpointThread?: boolean;
  /** Each connection's page cache in KiB (default {@linkcode PAGE_CACHE_KIB}); SQLite fills it as pages are read. */
  pageCacheKiB?: number;
}

/** 64 MiB per connection: the reads of a large database stay in memory. */
export const PAGE_CACHE_KIB = 65536;

/** How long the writer waits inside SQLite before retrying from the event loop. */
const WRITER_BUSY_TIMEOUT_MS = 20;
/** How long a read waits for a lock: reads only wait out a checkpoint, which takes far less. */
const READER_BUSY_TIMEOUT_MS = 5000;
const BUSY_BACKOFF_MAX_MS = 250;

/** Opens the configured database and applies connection pragmas. Throws when it cannot be opened. */
export async function openDatabase(config: Config, log: Logger, options: OpenOptions = {}): Promise<Database> {
  const url = databaseUrl(config);
  const mode = databaseMode(url, config.DATABASE_SYNC_URL);
  const path = mode === "file" || mode === "replica" ? url.replace(/^file:(\/\/)?/, "") : undefined;
  if (path) await Deno.mkdir(dirname(path), { recursive: true });
  const pragmas = connectionPragmas(mode, config, options.pageCacheKiB ?? PAGE_CACHE_KIB);
  const writerPragmas = [`PRAGMA busy_timeout = ${options.writerBusyTimeoutMs ?? WRITER_BUSY_TIMEOUT_MS}`, ...pragmas];
  const readerPragmas = [`PRAGMA busy_timeout = ${READER_BUSY_TIMEOUT_MS}`, ...pragmas];
  if (mode === "file" || mode === "memory") {
    const key = { encryptionKey: config.DATABASE_ENCRYPTION_KEY };
    const threaded = mode === "file" && options.checkpointThread === true;
    const ownCheckpoints = "PRAGMA wal_autocheckpoint = 0";
    const writer = new LocalConnection(path ?? ":memory:", key, [
      ...writerPragmas,
      ...threaded ? [ownCheckpoints] : [],
    ]);
    if (mode === "file") writer.run("PRAGMA journal_mode = WAL");
    const reader = mode === "file" ? new LocalConnection(path!, key, readerPragmas) : writer;
    const checkpoints = threaded
      ? startCheckpoints({
        path: path!,
        encryptionKey: key.encryptionKey,
        log,
        failed() {
          writer.pragmas.splice(writer.pragmas.indexOf(ownCheckpoints), 1);
          writer.run("PRAGMA wal_autocheckpoint = 1000");
        },
      })
      : undefined;
    return {
      mode,
      path,
      read: reader.sql,
      transaction: (work, retry) => localTransaction(writer, work, options.onBusyRetry, retry),
      withoutTransaction: (work) => work(writer.sql),
      async ping() {
        await reader.sql.query("SELECT 1");
      },
      close() {
        checkpoints?.stop();
        writer.close();
        if (reader !== writer) reader.close();
      },
    };
  }
  const clientOptions = {
    url,
    authToken: config.DATABASE_AUTH_TOKEN,
    encryptionKey: config.DATABASE_ENCRYPTION_KEY,
    syncUrl: config.DATABASE_SYNC_URL,
    syncInterval: config.DATABASE_SYNC_INTERVAL,
  };
  // Loaded only for a remote database or a replica: a local file needs only libsql's own binding, and
  // each thread that opens one (the service's, the ingest thread) keeps ~3.5 MiB of heap less.
  const { createClient } = await import("@libsql/client");
  const writer = new PragmaConnection(createClient(clientOptions), writerPragmas);
  let syncError: string | undefined;
  let syncTimer: ReturnType<typeof setInterval> | undefined;
  if (mode === "replica") {
    const sync = () =>
      writer.client.sync().then(
        () => void (syncError = undefined),
        (error) => {
          syncError = (error as Error).message;
          log.warn("Replica sync failed", { error: syncError });
        },
      );
    syncTimer = setInterval(sync, Math.max(1, config.DATABASE_SYNC_INTERVAL ?? 60) * 1000);
  }
  return {
    mode,
    path,
    read: writer.sql,
    transaction: (work, retry) => clientTransaction(writer, work, options.onBusyRetry, retry),
    withoutTransaction: (work) => work(writer.sql),
    async ping() {
      await writer.sql.query("SELECT 1");
      if (syncError) throw new Error(`replica sync failed: ${syncError}`);
    },
    close() {
      clearInterval(syncTimer);
      writer.client.close();
    },
  };
}

function connectionPragmas(mode: DatabaseMode, config: Config, cacheKiB: number): string[] {
  if (mode === "remote") return [];
  const pragmas = ["PRAGMA foreign_keys = ON", `PRAGMA cache_size = -${cacheKiB}`, "PRAGMA temp_store = MEMORY"];
  if (mode === "file") pragmas.push(`PRAGMA synchronous = ${config.DATABASE_SYNCHRONOUS}`);
  return pragmas;
}

/**
 * A client whose per-connection pragmas are applied before first use and again after
 * `transaction()`, because @libsql/client hands its connection to the transaction and
 * opens a new one afterwards.
 */
class PragmaConnection {
  #fresh = true;
  readonly sql: Sql;

  constructor(readonly client: Client, readonly pragmas: string[]) {
    const inner = sqlOf(client);
    const ready = () => this.#fresh ? this.#applyPragmas() : undefined;
    this.sql = {
      query: async (sql, args) => (await ready(), inner.query(sql, args)),
      first: async (sql, args) => (await ready(), inner.first(sql, args)),
      run: async (sql, args) => (await ready(), inner.run(sql, args)),
    };
  }

  async #applyPragmas() {
    for (const pragma of this.pragmas) await this.client.execute(pragma);
    this.#fresh = false;
  }

  async begin() {
    if (this.#fresh) await this.#applyPragmas();
    const tx = await this.client.transaction("write");
    this.#fresh = true;
    return tx;
  }
}

/** BEGIN IMMEDIATE on the writer's own connection, retried on SQLITE_BUSY from timers. */
async function localTransaction<T>(
  conn: LocalConnection,
  work: (tx: Sql) => Promise<T>,
  onBusy?: () => void,
  retry?: BusyRetry,
) {
  const afterBusy = () => {
    onBusy?.();
    conn.reconnect();
    return Promise.resolve();
  };
  await retryWhileBusy(() => conn.sql.run("BEGIN IMMEDIATE"), afterBusy, retry);
  try {
    const result = await work(conn.sql);
    conn.run("COMMIT");
    return result;
  } catch (error) {
    try {
      conn.run("ROLLBACK");
    } catch {
      // COMMIT failed after SQLite had already rolled back on its own.
    }
    throw error;
  }
}

async function clientTransaction<T>(
  conn: PragmaConnection,
  work: (tx: Sql) => Promise<T>,
  onBusy?: () => void,
  retry?: BusyRetry,
) {
  const tx = await retryWhileBusy(() => conn.begin(), () => Promise.resolve(onBusy?.()), retry);
  try {
    const result = await work(sqlOf(tx));
    await tx.commit();
    return result;
  } catch (error) {
    await tx.rollback().catch(() => {});
    throw error;
  } finally {
    tx.close();
  }
}

/** Retries `attempt` while the database is locked by someone else, yielding to the event loop between tries. */
export async function retryWhileBusy<T>(
  attempt: () => Promise<T>,
  afterBusy?: () => Promise<void>,
  retry?: BusyRetry,
): Promise<T> {
  let delay = retry?.delayMs ?? 1;
  for (let attempts = 0;; attempts++, delay = Math.min(delay * 2, retry ? Infinity : BUSY_BACKOFF_MAX_MS)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isBusy(error) || (retry && attempts >= retry.attempts)) throw error;
      await afterBusy?.();
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
