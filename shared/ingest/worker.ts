/**
 * The ingest thread's entry point (see shared/ingest/thread.ts): event functions, a writer on a
 * database connection of its own, the batches of events the main thread hands over and, with
 * INGEST_MODE=jetstream, the stream's consumer. The main thread has already opened and migrated
 * the database.
 */
import { type Config, type Tuning, withoutCredentials } from "../config.ts";
import { openDatabase } from "../storage/db.ts";
import { importFunction } from "../runtime/discover.ts";
import type { EventBatch, EventFile, FromThread, RelayedCall, ToThread } from "./thread.ts";
import { SHARED } from "./thread.ts";
import { type JetStreamIngest, startJetStreamIngest } from "../nats/jetstream.ts";
import type { LogFields, Logger } from "../log.ts";
import { Counter, Gauge, Histogram, Metrics } from "../metrics.ts";
import type { EventFunction } from "../function/define.ts";
import { connectNats, type NatsLink } from "../nats/connection.ts";
import { servingProblems } from "../http/readiness.ts";
import { retryStage } from "../runtime/retry.ts";
import { Router } from "../runtime/router.ts";
import { NO_PARAMS, routesOf } from "../runtime/routes.ts";
import { lowerThreadPriority } from "./thread_priority.ts";
import { Writer } from "../storage/writer.ts";

const port = self as unknown as {
  postMessage(message: FromThread): void;
  onmessage: ((event: MessageEvent<ToThread>) => void) | null;
};

const calls: RelayedCall[] = [];
function relay(call: RelayedCall) {
  // One message per turn of the loop: a batch makes a few dozen calls.
  if (calls.length === 0) queueMicrotask(() => port.postMessage({ type: "calls", calls: calls.splice(0) }));
  calls.push(call);
}

function relayedLogger(fields: LogFields = {}): Logger {
  const emit = (level: "debug" | "info" | "warn" | "error") => (msg: string, extra?: LogFields) =>
    port.postMessage({ type: "log", level, msg, fields: { ...fields, ...extra } });
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (more) => relayedLogger({ ...fields, ...more }),
  };
}

/** Metrics whose updates are replayed on the main thread's registry. */
function relayedMetrics(): Metrics {
  const metrics = new Metrics();
  for (const [field, metric] of Object.entries(metrics)) {
    if (metric instanceof Counter || metric instanceof Histogram) {
      metric.init = (...args) => relay(["metric", field, "init", args]);
    }
    if (metric instanceof Counter) metric.inc = (...args) => relay(["metric", field, "inc", args]);
    else if (metric instanceof Gauge) metric.set = (...args) => relay(["metric", field, "set", args]);
    else if (metric instanceof Histogram) metric.observe = (...args) => relay(["metric", field, "observe", args]);
  }
  return metrics;
}

async function start(config: Config, tuning: Tuning, servers: string, files: EventFile[], shared: Int32Array) {
  const log = relayedLogger({ thread: "ingest" });
  const notLowered = lowerThreadPriority(tuning.ingestNice ?? 0);
  if (notLowered) log.warn("The ingest thread keeps the requests' CPU priority", { reason: notLowered });
  const metrics = relayedMetrics();
  const stage = {
    log,
    onPending: (stage: string, reason: string | undefined) => port.postMessage({ type: "pending", stage, reason }),
    stopping: () => stopping,
  };
  const functions = await Promise.all(files.map(async (file) => ({ ...file, fn: await importFunction(file.file) })));
  const db = await openDatabase(config, log, { onBusyRetry: () => metrics.busyRetries.inc() });
  const writer = new Writer(db, {
    // Handlers run inside the writer: no credential reaches them.
    config: withoutCredentials(config),
    log,
    onOutcome: (...args) => relay(["outcome", ...args]),
    onHandled: (...args) => relay(["handled", ...args]),
    othersWriting: () => Atomics.load(shared, SHARED.mainWriting) > 0,
  });
  const router = new Router(routesOf(functions, config), {
    config,
    log,
    metrics,
    db,
    writer,
  });
  let queued = 0;
  /** Counts events just queued; once they are committed, the main thread's requests learn it. */
  const countQueued = (events: number) => {
    queued = (queued + events) | 0;
    const upTo = queued;
    writer.settled().then(() => {
      Atomics.store(shared, SHARED.committed, upTo);
      Atomics.notify(shared, SHARED.committed);
    });
  };
  handBatch = (batch) => countQueued(queueBatch(batch, router, writer));
  port.postMessage({ type: "started" });

  let link: NatsLink | undefined;
  let ingest: JetStreamIngest | undefined;
  // Not awaited: the main thread serves requests while the stream is being set up (or NATS is down).
  const consuming = config.INGEST_MODE === "jetstream" &&
    (async () => {
      metrics.natsReconnects.init({ connection: "jetstream" });
      link = await retryStage(
        "nats",
        () => connectNats(config, servers, "jetstream", { log, metrics }),
        stage,
        (late) => late.nc.close(),
      );
      const nc = link.nc;
      ingest = await retryStage("jetstream", () =>
        startJetStreamIngest({
          nc,
          router,
          writer,
          config,
          log,
          metrics,
          ackWaitSeconds: tuning.ackWaitSeconds,
          onQueued(events) {
            Atomics.add(shared, SHARED.fetched, events);
            countQueued(events);
          },
        }), stage);
    })();

  return {
    notReady: () => servingProblems([link], undefined, ingest),
    async stop() {
      // Set-up gives up once stopping.
      if (consuming) await consuming.catch(() => {});
      await ingest?.stop();
      await link?.nc.drain().catch(() => {});
      await writer.settled();
      db.close();
    },
  };
}

/**
 * Queues a batch's events in the writer, each run of one subject as it lies in the batch's buffer;
 * returns how many.
 */
function queueBatch({ functions, ends, bytes, subjects }: EventBatch, router: Router, writer: Writer): number {
  const routes = router.routes;
  for (let i = 0; i < functions.length;) {
    const route = routes[functions[i]], subject = subjects?.[i];
    const fn = route.fn as EventFunction;
    const first = i === 0 ? 0 : ends[i - 1];
    if (subject !== undefined) {
      writer.event({ fn, subject, params: router.match(subject)!.params, raw: bytes.subarray(first, ends[i]) });
      i++;
      continue;
    }
    let end = i + 1;
    while (end < functions.length && functions[end] === functions[i] && subjects?.[end] === undefined) end++;
    writer.packedEvents({
      fn,
      subject: route.fullSubject,
      params: NO_PARAMS,
      bytes,
      first,
      ends: ends.subarray(i, end),
    });
    i = end;
  }
  return functions.length;
}

let handBatch: ((batch: EventBatch) => void) | undefined;
let stopping = false;
let running: ReturnType<typeof start> | undefined;
let thread: Awaited<ReturnType<typeof start>> | undefined;

port.onmessage = async ({ data: message }) => {
  if (message.type === "events") {
    // The main thread hands events over only after "started", when handBatch is set.
    handBatch!(message.batch);
    return;
  }
  if (message.type === "start") {
    running = start(message.config, message.tuning, message.servers, message.events, new Int32Array(message.shared));
    running.then((started) => thread = started, (error) => {
      // The thread's end: rethrown outside the promise, it reaches the main thread's onerror.
      if (!stopping) {
        setTimeout(() => {
          throw error;
        });
      }
    });
    return;
  }
  let value: string[] | undefined;
  if (message.type === "status") value = thread?.notReady() ?? ["ingest thread: starting"];
  else {
    stopping = true;
    await running?.then((started) => started.stop(), () => {});
  }
  port.postMessage({ type: "reply", id: message.id, value });
};
