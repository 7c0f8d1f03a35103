/**
 * The ingest thread's entry point (see shared/ingest/thread.ts): the event functions, a database
 * connection of its own and the ingest pipeline, started as the service's thread starts it when it
 * commits events itself. The service's thread has already opened and migrated the database.
 */
import { withoutCredentials } from "../config.ts";
import { openDatabase } from "../storage/db.ts";
import { importFunction } from "../runtime/discover.ts";
import { routesOf, RouteTable } from "../runtime/routes.ts";
import type { LogFields, Logger } from "../log.ts";
import type { FromThread, ToThread } from "./thread.ts";
import { eventWriter, type IngestPipeline, startIngest } from "./pipeline.ts";
import { IngestProgress } from "./progress.ts";
import { postedSignals } from "./signals.ts";
import { lowerThreadPriority } from "./thread_priority.ts";

const port = self as unknown as {
  postMessage(message: FromThread): void;
  onmessage: ((event: MessageEvent<ToThread>) => void) | null;
};

function postedLogger(fields: LogFields = {}): Logger {
  const emit = (level: "debug" | "info" | "warn" | "error") => (msg: string, extra?: LogFields) =>
    port.postMessage({ type: "log", level, msg, fields: { ...fields, ...extra } });
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (more) => postedLogger({ ...fields, ...more }),
  };
}

type StartMessage = Extract<ToThread, { type: "start" }>;

/**
 * The ingest thread's page cache, 8 MiB rather than the service's 64: events append to the right
 * edge of their tables and indexes and update small per-user rows, which 8 MiB holds; a larger
 * cache only keeps pages this thread wrote and will not read again (README "Performance").
 */
const INGEST_PAGE_CACHE_KIB = 8192;

async function start({ config, tuning, servers, events, progress, writing }: StartMessage) {
  const log = postedLogger({ thread: "ingest" });
  const signals = postedSignals((messages) => port.postMessage({ type: "signals", messages }));
  const notLowered = lowerThreadPriority(tuning.ingestNice ?? 0);
  if (notLowered) log.warn("The ingest thread keeps the requests' CPU priority", { reason: notLowered });
  const functions = await Promise.all(events.map(async (file) => ({ ...file, fn: await importFunction(file.file) })));
  const db = await openDatabase(config, log, {
    onBusyRetry: () => signals.busyRetry(),
    pageCacheKiB: INGEST_PAGE_CACHE_KIB,
  });
  const mainWriting = new Int32Array(writing);
  const pipeline = startIngest({
    // Handlers run inside the writer: no credential reaches them.
    writer: eventWriter(db, {
      config: withoutCredentials(config),
      log,
      signals,
      othersWriting: () => Atomics.load(mainWriting, 0) > 0,
    }),
    // In the order the service's thread packs them (shared/ingest/batch.ts).
    routes: new RouteTable(routesOf(functions, config), config.SUBJECT_PREFIX),
    config,
    servers,
    log,
    signals,
    progress: new IngestProgress(progress),
    ackWaitSeconds: tuning.ackWaitSeconds,
  });
  port.postMessage({ type: "started" });
  pipeline.flowing.then(() => port.postMessage({ type: "flowing" }), () => {});
  return { pipeline, close: () => db.close() };
}

let stopping = false;
let running: ReturnType<typeof start> | undefined;
let pipeline: IngestPipeline | undefined;

port.onmessage = async ({ data: message }) => {
  if (message.type === "events") {
    // The service's thread hands events over only after "started", when the pipeline is set.
    pipeline!.batch(message.batch);
    return;
  }
  if (message.type === "start") {
    running = start(message);
    running.then((started) => pipeline = started.pipeline, (error) => {
      // The thread's end: rethrown outside the promise, it reaches the service thread's onerror.
      if (!stopping) {
        setTimeout(() => {
          throw error;
        });
      }
    });
    return;
  }
  let value: string[] | undefined;
  if (message.type === "status") value = pipeline ? await pipeline.notReady() : ["ingest thread: starting"];
  else {
    stopping = true;
    await running?.then(async (started) => {
      await started.pipeline.stop();
      started.close();
    }, () => {});
  }
  port.postMessage({ type: "reply", id: message.id, value });
};
