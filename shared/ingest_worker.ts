/**
 * The ingest thread's entry point (see shared/ingest_thread.ts): event functions, their NATS
 * subscriptions or JetStream consumer, and a writer on a connection of its own. The main thread
 * has already opened and migrated the database.
 */
import type { Config } from "./config.ts";
import { openDatabase } from "./db.ts";
import { importFunction } from "./discover.ts";
import type { EventFile, FromThread, RelayedCall, ToThread } from "./ingest_thread.ts";
import { SHARED, WAIT_SLICE_MS } from "./ingest_thread.ts";
import { type JetStreamIngest, startJetStreamIngest } from "./jetstream.ts";
import type { LogFields, Logger } from "./log.ts";
import { Counter, Gauge, Histogram, Metrics } from "./metrics.ts";
import { connectNats } from "./nats.ts";
import { servingProblems } from "./readiness.ts";
import { retryStage } from "./retry.ts";
import { Router, routesOf } from "./router.ts";
import { Writer } from "./writer.ts";

const port = self as unknown as {
  postMessage(message: FromThread): void;
  onmessage: ((event: MessageEvent<ToThread>) => void) | null;
};

/** How often the queue depth is published for the main thread's metrics. */
const DEPTH_EVERY_MS = 50;

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
    if (metric instanceof Counter) metric.inc = (...args) => relay(["metric", field, "inc", args]);
    else if (metric instanceof Gauge) metric.set = (...args) => relay(["metric", field, "set", args]);
    else if (metric instanceof Histogram) metric.observe = (...args) => relay(["metric", field, "observe", args]);
  }
  return metrics;
}

async function start(config: Config, servers: string, files: EventFile[], shared: Int32Array) {
  const log = relayedLogger({ thread: "ingest" });
  const metrics = relayedMetrics();
  const stage = {
    log,
    onPending: (stage: string, reason: string | undefined) => port.postMessage({ type: "pending", stage, reason }),
    stopping: () => stopping,
  };
  const functions = await Promise.all(files.map(async (file) => ({ ...file, fn: await importFunction(file.file) })));
  const db = await openDatabase(config, log, { onBusyRetry: () => metrics.busyRetries.inc() });
  const writer = new Writer(db, {
    config,
    log,
    onOutcome: (...args) => {
      relay(["outcome", ...args]);
      // Fresh after every commit: the main thread's requests decide from it whether to wait.
      Atomics.store(shared, SHARED.depth, writer.depth);
    },
    onHandled: (...args) => relay(["handled", ...args]),
    othersWriting: () => Atomics.load(shared, SHARED.mainWriting) > 0,
  });
  const depthTimer = setInterval(() => Atomics.store(shared, SHARED.depth, writer.depth), DEPTH_EVERY_MS);
  const events = await retryStage("nats", () => connectNats(config, servers, "events", { log, metrics }), stage);
  const router = new Router(routesOf(functions, config), { config, log, metrics, db, writer });
  await router.start(events.nc, events.nc);
  let ingest: JetStreamIngest | undefined;
  if (config.INGEST_MODE === "jetstream") {
    ingest = await retryStage("jetstream", () =>
      startJetStreamIngest({
        nc: events.nc,
        routes: router.routes,
        resolve: (subject) => router.match(subject),
        writer,
        config,
        log,
        metrics,
      }), stage);
  }
  answerBarriers(shared, async () => {
    // From a stream, events are not on the connection: only what was fetched can be waited for.
    if (config.INGEST_MODE !== "jetstream") await events.nc.flush().catch(() => {});
    await writer.settled();
  });
  port.postMessage({ type: "started" });

  return {
    notReady: () => servingProblems([events], router, ingest, "event subjects subscribed"),
    async stop() {
      await ingest?.stop();
      await router.drain();
      await events.nc.drain().catch(() => {});
      await writer.settled();
      clearInterval(depthTimer);
      Atomics.store(shared, SHARED.depth, 0);
      db.close();
    },
  };
}

/** Answers the main thread's read-after-write asks, all those waiting at once, until stopping. */
async function answerBarriers(shared: Int32Array, committed: () => Promise<void>) {
  let answered = Atomics.load(shared, SHARED.barrierDone);
  while (!stopping) {
    const wait = Atomics.waitAsync(shared, SHARED.barrierAsked, answered, WAIT_SLICE_MS);
    if (wait.async) await wait.value;
    const asked = Atomics.load(shared, SHARED.barrierAsked);
    if (asked === answered) continue;
    await committed();
    answered = asked;
    Atomics.store(shared, SHARED.barrierDone, answered);
    Atomics.notify(shared, SHARED.barrierDone);
  }
}

let stopping = false;
let running: ReturnType<typeof start> | undefined;
let thread: Awaited<ReturnType<typeof start>> | undefined;

port.onmessage = async ({ data: message }) => {
  if (message.type === "start") {
    running = start(message.config, message.servers, message.events, new Int32Array(message.shared));
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
