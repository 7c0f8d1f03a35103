/**
 * The ingest pipeline: the one path from a received event to a committed batch, whatever the source
 * (a core subscription, a JetStream consumer, the client's direct path) and wherever it runs (the
 * service's thread, or the ingest thread of shared/ingest/worker.ts, which starts it the same way).
 */
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { servingProblems } from "../http/readiness.ts";
import type { NatsLink } from "../nats/connection.ts";
import type { JetStreamIngest } from "../nats/jetstream.ts";
import { retryStage } from "../runtime/retry.ts";
import type { RouteTable } from "../runtime/routes.ts";
import type { Database } from "../storage/db.ts";
import { type EventEntry, Writer, type WriterOptions } from "../storage/writer.ts";
import { type EventBatch, queueBatch } from "./batch.ts";
import type { IngestProgress } from "./progress.ts";
import type { IngestSignals } from "./signals.ts";

/** Where the service hands received events, whichever thread commits them. */
export interface Ingest {
  /** Events received and committed: requests wait on it (read-your-writes). */
  readonly progress: IngestProgress;
  /** Resolves once events flow in: at once for core subscriptions, once the stream's consumer runs for JetStream. */
  readonly flowing: Promise<void>;
  /** Queues an event received on this thread and counts it as received. */
  event(entry: Omit<EventEntry, "kind">): void;
  /** Why the pipeline is not ingesting; empty when it is. */
  notReady(): Promise<string[]>;
  /** Commits every event received, stops the stream's consumer and closes its connection. */
  stop(): Promise<void>;
}

/** The pipeline itself, on the thread that commits. */
export interface IngestPipeline extends Ingest {
  /** Queues a batch that another thread received and counted (shared/ingest/batch.ts). */
  batch(batch: EventBatch): void;
}

/** Options for {@linkcode startIngest}. */
export interface IngestOptions {
  /** Commits the events; make it with {@linkcode eventWriter}. */
  writer: Writer;
  /** The routes events are received for. */
  routes: RouteTable;
  config: Config;
  /** The NATS servers, for the stream consumer's own connection (INGEST_MODE=jetstream). */
  servers?: string;
  log: Logger;
  signals: IngestSignals;
  /** Counts received and committed events; requests wait on it (read-your-writes). */
  progress: IngestProgress;
  /** Seconds before an unacknowledged stream event is delivered again. */
  ackWaitSeconds?: number;
}

/** The writer of a database that events go through, reporting to `signals`. */
export function eventWriter(
  db: Database,
  options: Pick<WriterOptions, "config" | "log" | "requestsWaiting" | "othersWriting"> & { signals: IngestSignals },
): Writer {
  const { signals, ...rest } = options;
  return new Writer(db, {
    ...rest,
    onOutcome: (...args) => signals.outcome(...args),
    onHandled: (...args) => signals.handled(...args),
  });
}

/** Starts the pipeline: events queue in the writer; with INGEST_MODE=jetstream, the stream's consumer starts too. */
export function startIngest(options: IngestOptions): IngestPipeline {
  const { writer, progress } = options;
  let queued = 0;
  let noting = false;
  /** Counts events just queued; once those of this turn are committed, waiting requests learn it. */
  const noteQueued = (events: number) => {
    queued = (queued + events) | 0;
    if (noting) return;
    noting = true;
    queueMicrotask(() => {
      noting = false;
      const upTo = queued;
      writer.settled().then(() => progress.committed(upTo));
    });
  };
  const stream = options.config.INGEST_MODE === "jetstream" ? consumeStream(options, noteQueued) : undefined;
  return {
    progress,
    flowing: stream?.started ?? Promise.resolve(),
    event(entry) {
      progress.received(1);
      writer.event(entry);
      noteQueued(1);
    },
    batch(batch) {
      noteQueued(queueBatch(batch, options.routes, writer));
    },
    notReady: () => Promise.resolve(stream?.notReady() ?? []),
    async stop() {
      await stream?.stop();
      await writer.settled();
    },
  };
}

/**
 * Consumes the event stream on a NATS connection of its own, set up in the background: requests are
 * served meanwhile, and /ready names the stage that waits. The NATS and JetStream modules are loaded
 * here, not at start: with core subscriptions the ingest thread never needs them, and not loading
 * them keeps about 5 MiB out of its isolate (README "Performance").
 */
function consumeStream(options: IngestOptions, noteQueued: (events: number) => void) {
  const { config, log, signals, progress } = options;
  let stopping = false;
  let link: NatsLink | undefined;
  let consumer: JetStreamIngest | undefined;
  const stage = { log, onPending: signals.stage, stopping: () => stopping };
  const starting = (async () => {
    const [{ connectNats }, { startJetStreamIngest }] = await Promise.all([
      import("../nats/connection.ts"),
      import("../nats/jetstream.ts"),
    ]);
    link = await retryStage(
      "jetstream connection",
      () =>
        connectNats(config, options.servers!, "jetstream", {
          log,
          onState: (state) => signals.connection("jetstream", state),
        }),
      stage,
      (late) => late.nc.close(),
    );
    const nc = link.nc;
    consumer = await retryStage("jetstream", () =>
      startJetStreamIngest({
        nc,
        routes: options.routes,
        writer: options.writer,
        config,
        log,
        signals,
        ackWaitSeconds: options.ackWaitSeconds,
        onQueued(events) {
          progress.received(events);
          noteQueued(events);
        },
      }), stage);
  })();
  starting.catch(() => {});
  return {
    started: starting,
    notReady: () => servingProblems([link], undefined, consumer),
    async stop() {
      // Set-up gives up once stopping.
      stopping = true;
      await starting.catch(() => {});
      await consumer?.stop();
      await link?.nc.drain().catch(() => {});
    },
  };
}
