/** The service, start to stop: functions → HTTP → database → migrations → NATS → router. */
import { dirname } from "node:path";
import { nuid, type Subscription } from "@nats-io/transport-node";
import { type Config, databaseUrl, LOCAL_NATS_PORT, type Tuning, withoutCredentials } from "./config.ts";
import { type Database, databaseMode, openDatabase } from "./storage/db.ts";
import { discoverFunctions, selectFunctions } from "./runtime/discover.ts";
import { serveDiscovery } from "./nats/service_discovery.ts";
import { createHttpApp, serveHttp } from "./http/app.ts";
import { callAsAdminPage } from "./http/admin_page.ts";
import { IngestThread } from "./ingest/thread.ts";
import { eventWriter, type Ingest, startIngest } from "./ingest/pipeline.ts";
import { IngestProgress } from "./ingest/progress.ts";
import { serviceSignals } from "./ingest/signals.ts";
import type { Logger } from "./log.ts";
import { Metrics } from "./metrics.ts";
import { loadMigrations, migrate } from "./storage/migrate.ts";
import { connectNats, type NatsLink } from "./nats/connection.ts";
import { accepts, type NatsServer, startNatsServer } from "./nats/local_server.ts";
import { servingProblems } from "./http/readiness.ts";
import { retryStage, withTimeout } from "./runtime/retry.ts";
import { RequestRunner } from "./runtime/requests.ts";
import { Router } from "./runtime/router.ts";
import { routesOf } from "./runtime/routes.ts";
import type { Sql } from "./function/sql.ts";
import type { Writer } from "./storage/writer.ts";
import { PluginDatabases } from "./storage/plugins.ts";
import { prepareEmbeddings } from "./storage/embeddings.ts";

/** A running rosey-db instance. */
export interface Service {
  readonly id: string;
  /** Base URL of the HTTP server. */
  readonly httpUrl: string;
  /** Resolves when every function is subscribed; rejects if start-up failed for good. */
  readonly started: Promise<void>;
  /** Resolves if the service can no longer do its work (the ingest thread failed): time to exit. */
  readonly failed: Promise<Error>;
  readonly metrics: Metrics;
  readonly router: Router;
  /** The database, once open. */
  db(): Database | undefined;
  /** Reasons the service is not ready; empty when it is. */
  notReady(): Promise<string[]>;
  /** Runs `work` through the single writer, after everything queued before it. */
  write<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /** Drains subscriptions, commits everything received, closes the database and the HTTP server. */
  stop(): Promise<void>;
}

/** Starts the service; throws at once only for a function tree that does not fit the contract. */
export async function startService(config: Config, log: Logger, tuning: Tuning = {}): Promise<Service> {
  const id = nuid.next();
  const functionsDir = tuning.functionsDir ?? relativeToCwd(new URL("../functions", import.meta.url));
  const functions = selectFunctions(await discoverFunctions(functionsDir), config);
  const metrics = new Metrics(() => (writer?.depth ?? 0) + (ingest?.progress.depth ?? 0));
  let db: Database | undefined;
  /** Commits request writes, and events when no ingest thread does. */
  let writer: Writer | undefined;
  /** The ingest pipeline, on this thread or on the ingest thread when the database is a local file. */
  let ingest: Ingest | undefined;
  let thread: IngestThread | undefined;
  let fail!: (error: Error) => void;
  const failed = new Promise<Error>((resolve) => fail = resolve);
  let nats: NatsLink | undefined;
  let natsServer: NatsServer | undefined;
  let discoverySubs: Subscription[] = [];
  let stopping = false;
  let requestStop!: () => void;
  const stopRequested = new Promise<void>((resolve) => requestStop = resolve);
  let maintenanceTimer: ReturnType<typeof setInterval> | undefined;
  const pending: Record<string, string | undefined> = {
    database: "opening",
    migrations: "not applied yet",
    nats: "connecting",
  };
  const plugins = new PluginDatabases({ config, log, onBusyRetry: () => metrics.busyRetries.inc() });
  const runner = new RequestRunner({
    config,
    log,
    plugins,
    get db() {
      return db!;
    },
    get writer() {
      return writer!;
    },
    get progress() {
      return ingest!.progress;
    },
    publish: (subject, payload) => router.publish(subject, payload),
  });
  const router: Router = new Router(routesOf(functions, config), {
    config,
    log,
    metrics,
    runner,
    // A thread that died takes no more events: those received while the service stops are written here.
    events: {
      event: (entry) => thread && !thread.taking ? writer!.event(entry) : ingest!.event(entry),
    },
  });
  const signals = serviceSignals(router, metrics, (stage, reason) => pending[stage] = reason);

  const notReady = async () => {
    const reasons = Object.entries(pending).filter(([, why]) => why).map(([what, why]) => `${what}: ${why}`);
    reasons.push(...servingProblems([nats], router));
    if (ingest) reasons.push(...await ingest.notReady());
    if (db) {
      try {
        await withTimeout(db.ping(), 2000, "SELECT 1 timed out after 2 s");
      } catch (error) {
        reasons.push(`database: ${(error as Error).message}`);
      }
    }
    if (stopping) reasons.push("service: stopping");
    return reasons;
  };

  const admin = config.ADMIN_TOKEN
    ? {
      token: config.ADMIN_TOKEN,
      backupDir: config.BACKUP_DIR,
      call: callAsAdminPage(router, { prefix: config.SUBJECT_PREFIX, log }),
    }
    : undefined;
  const app = createHttpApp({
    metrics,
    notReady,
    routes: () => router.routes,
    metricsToken: config.METRICS_TOKEN,
    admin,
  });
  const http = serveHttp(config, app.fetch);
  const httpUrl = `http://${
    config.HTTP_HOST.includes(":") ? `[${config.HTTP_HOST}]` : config.HTTP_HOST
  }:${http.addr.port}`;
  log.info("HTTP listening", { url: httpUrl });

  const stage = {
    log,
    onPending: (stage: string, reason: string | undefined) => pending[stage] = reason,
    stopping: () => stopping,
  };
  const retry = <T>(name: string, attempt: () => Promise<T>, release?: (late: T) => void) =>
    retryStage(name, attempt, stage, release);

  const started = (async () => {
    const threaded = tuning.ingestThread !== false &&
      databaseMode(databaseUrl(config), config.DATABASE_SYNC_URL) === "file";
    db = await retry("database", () =>
      openDatabase(config, log, {
        onBusyRetry: () => metrics.busyRetries.inc(),
        // Another thread writes too: wait for the lock from timers rather than inside SQLite, blocking requests.
        writerBusyTimeoutMs: threaded ? 0 : undefined,
        // A commit that checkpoints would stand the event loop still while it copies and syncs.
        checkpointThread: true,
      }));
    log.info("Database open", { mode: db.mode, url: db.mode === "remote" ? "(remote)" : databaseUrl(config) });
    const migrations = await loadMigrations();
    await retry("migrations", () => migrate(db!, migrations, log));
    // Not retried: a dimension other than the stored one is a set-up mistake (exit status 2).
    await prepareEmbeddings(db, config.EMBEDDING_DIMENSIONS, log);
    const servers = config.NATS_URL ?? await embeddedNats();
    if (config.INGEST_MODE === "jetstream") metrics.natsReconnects.init({ connection: "jetstream" });
    if (threaded) {
      thread = new IngestThread({ config, tuning, servers, functions, log, signals });
      thread.failed.then(fail);
      db = pausingThread(db, thread);
    }
    // Handlers run inside the writer: no credential reaches them.
    writer = eventWriter(db, {
      config: withoutCredentials(config),
      log,
      signals,
      requestsWaiting: () => router.requestsInFlight > 0,
    });
    ingest = thread ?? startIngest({
      writer,
      routes: router.table,
      config,
      servers,
      log,
      signals,
      progress: new IngestProgress(),
      ackWaitSeconds: tuning.ackWaitSeconds,
    });
    if (thread) {
      // Events are handed to the thread only once it can take them.
      await Promise.race([
        thread.started,
        thread.failed.then((error) => Promise.reject(error)),
        stopRequested,
      ]);
    }
    nats = await retry(
      "nats",
      () => connectNats(config, servers, "main", { log, onState: (state) => metrics.recordConnection("main", state) }),
      (late) => late.nc.close(),
    );
    // It reconnects for ever: a connection that closes anyway leaves nothing to serve with.
    nats.nc.closed().then((error) => {
      if (!stopping) fail(new Error(`NATS connection closed${error ? `: ${error.message}` : ""}`));
    });
    await router.start(nats.nc);
    discoverySubs = serveDiscovery(nats.nc, {
      id,
      description: "NATS database service for chat bots",
      endpoints: router.routes.map((r) => r.stats),
    });
    maintenanceTimer = scheduleMaintenance();
    // Requests are served meanwhile; with INGEST_MODE=jetstream, events wait for the stream's consumer.
    await Promise.race([ingest.flowing, stopRequested]);
    log.info("Serving", {
      id,
      functions: router.routes.length,
      prefix: config.SUBJECT_PREFIX,
      queue: config.QUEUE_GROUP,
    });
  })();
  started.catch((error) => {
    if (stopping) log.info("Start-up abandoned: stopping", { error: (error as Error).message });
    else log.error("Start-up failed", { error: (error as Error).message });
  });

  function scheduleMaintenance() {
    const served = router.routes.some((r) => r.subject === "admin.maintenance");
    if (!served || config.MAINTENANCE_INTERVAL === 0) return undefined;
    return setInterval(async () => {
      try {
        log.info("Maintenance done", (await router.call("admin.maintenance", {})) as Record<string, unknown>);
      } catch (error) {
        log.error("Maintenance failed", { error: (error as Error).message });
      }
    }, config.MAINTENANCE_INTERVAL * 1000);
  }

  async function embeddedNats(): Promise<string> {
    const port = tuning.localNatsPort ?? LOCAL_NATS_PORT;
    if (await accepts(port)) {
      log.info("Using the NATS server already listening on the embedded port", { port });
      return `nats://127.0.0.1:${port}`;
    }
    const storeDir = db?.path ? `${dirname(db.path)}/nats` : "data/nats";
    natsServer = await startNatsServer({ port, storeDir, install: true, detached: true });
    log.info("Started a local nats-server (NATS_URL is unset)", { url: natsServer.url, store: storeDir });
    return natsServer.url;
  }

  return {
    id,
    httpUrl,
    started,
    failed,
    metrics,
    router,
    db: () => db,
    notReady,
    write: (work) => writer!.run(work),
    async stop() {
      stopping = true;
      requestStop();
      clearInterval(maintenanceTimer);
      await started.catch(() => {});
      await router.drain();
      // After the drain: the pipeline commits every event received before it stops.
      await ingest?.stop();
      log.debug("Subscriptions drained; events committed");
      for (const sub of discoverySubs) sub.unsubscribe();
      await nats?.nc.drain().catch(() => {});
      await writer?.settled();
      await plugins.close();
      db?.close();
      log.debug("Database closed");
      await http.shutdown();
      await natsServer?.stop();
      log.info("Stopped");
    },
  };
}

/** `db` whose writes make the ingest thread pause between its batches, so that they get the lock soon. */
function pausingThread(db: Database, thread: IngestThread): Database {
  return {
    ...db,
    transaction: (work, retry) => thread.whileWriting(() => db.transaction(work, retry)),
    withoutTransaction: (work) => thread.whileWriting(() => db.withoutTransaction(work)),
  };
}

/** A file URL as a path relative to the working directory when it lies below it, else absolute. */
function relativeToCwd(url: URL): string {
  const path = decodeURIComponent(url.pathname).replace(/\/$/, "");
  const cwd = Deno.cwd();
  return path.startsWith(cwd + "/") ? path.slice(cwd.length + 1) : path;
}
