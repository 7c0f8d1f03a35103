/** Every metric rosey-db exports, made once per service from the registry in shared/metrics/. */
import { ERROR_NAMES } from "./function/errors.ts";
import { processMetrics } from "./metrics/process.ts";
import { Counter, Gauge, Histogram, PREFIX, Sampled } from "./metrics/registry.ts";

export { Counter, Gauge, Histogram, Sampled } from "./metrics/registry.ts";

const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
/** Outcomes each kind of function can have (see Router.recordEventOutcome and #onRequest). */
const OUTCOMES = { event: ["ok", "invalid", "dead_letter"], request: ["ok", "invalid", "error"] } as const;
/** A dead letter's code: a ServiceError's, or "handler_error" for anything else (shared/storage/writer/dead_letters.ts, failureCode). */
const DEAD_LETTER_CODES = [...Object.values(ERROR_NAMES), "handler_error"];

/** What {@linkcode Metrics.initSubject} needs to know of a served subject. */
export interface ServedSubject {
  kind: "event" | "request";
}

/** Every metric rosey-db exports; one instance per service. */
export class Metrics {
  readonly messages = new Counter(
    `${PREFIX}messages_total`,
    "Messages by subject and outcome (ok, invalid, error, dead_letter)",
  );
  readonly handlerSeconds = new Histogram(
    `${PREFIX}handler_duration_seconds`,
    "Handler time per subject, measured after it settles",
    DURATION_BUCKETS,
  );
  readonly batchSize = new Histogram(`${PREFIX}batch_size`, "Events per write batch by subject", BATCH_BUCKETS);
  readonly deadLetters = new Counter(
    `${PREFIX}dead_letters_total`,
    "Events stored as dead letters by subject and error code",
  );
  readonly natsConnected = new Gauge(`${PREFIX}nats_connected`, "1 while the connection (events or requests) is up");
  readonly natsReconnects = new Counter(`${PREFIX}nats_reconnects_total`, "Reconnections to NATS by connection");
  readonly subscriptionRefused = new Gauge(
    `${PREFIX}subscription_refused`,
    "1 while the NATS server refuses this subject's subscription (permissions), by subject",
  );
  readonly busyRetries = new Counter(
    `${PREFIX}database_busy_retries_total`,
    "Write transactions retried because the database was locked",
  );
  readonly consumerPending = new Gauge(
    `${PREFIX}jetstream_consumer_pending`,
    "Events waiting in the stream for this consumer",
  );
  readonly redeliveries = new Counter(
    `${PREFIX}jetstream_redeliveries_total`,
    "Events the stream delivered more than once",
  );
  readonly duplicatesSkipped = new Counter(
    `${PREFIX}jetstream_duplicates_skipped_total`,
    "Redelivered events already applied, skipped",
  );
  readonly ackSeconds = new Histogram(
    `${PREFIX}jetstream_ack_seconds`,
    "From a batch's arrival to its acknowledgement",
    DURATION_BUCKETS,
  );
  readonly writerQueueDepth: Sampled;
  readonly #process = processMetrics();

  constructor(queueDepth: () => number = () => 0) {
    this.writerQueueDepth = new Sampled(
      `${PREFIX}writer_queue_depth`,
      "Events and writes waiting for the writer",
      "gauge",
      queueDepth,
    );
    this.busyRetries.init();
    this.natsReconnects.init({ connection: "main" });
  }

  /** Makes every series of a served subject present at 0, so that `rate()` sees it from the first scrape. */
  initSubject(subject: string, served: ServedSubject): void {
    for (const outcome of OUTCOMES[served.kind]) this.messages.init({ subject, outcome });
    this.handlerSeconds.init({ subject });
    this.subscriptionRefused.set(0, { subject });
    if (served.kind === "event") {
      this.batchSize.init({ subject });
      for (const code of DEAD_LETTER_CODES) this.deadLetters.init({ subject, code });
    }
  }

  /** Makes the JetStream series present at 0: they appear only once the JetStream ingest has started. */
  initJetStream(pending: number): void {
    this.consumerPending.set(pending);
    this.redeliveries.init();
    this.duplicatesSkipped.init();
    this.ackSeconds.init();
  }

  /** Follows a NATS connection's state (shared/nats/connection.ts) by its role. */
  recordConnection(role: string, state: "up" | "down" | "reconnected"): void {
    this.natsConnected.set(state === "down" ? 0 : 1, { connection: role });
    if (state === "reconnected") this.natsReconnects.inc({ connection: role });
  }

  /** Counts an acknowledged JetStream batch (shared/nats/jetstream.ts). */
  recordJetStreamBatch(batch: { seconds: number; pending: number; redelivered: number; duplicates: number }): void {
    this.ackSeconds.observe(batch.seconds);
    this.consumerPending.set(batch.pending);
    if (batch.redelivered) this.redeliveries.inc({}, batch.redelivered);
    if (batch.duplicates) this.duplicatesSkipped.inc({}, batch.duplicates);
  }

  /** The Prometheus text exposition of every metric. */
  render(): string {
    const jetstream = [this.consumerPending, this.redeliveries, this.duplicatesSkipped, this.ackSeconds];
    const all = [
      this.messages,
      this.handlerSeconds,
      this.batchSize,
      this.deadLetters,
      this.natsConnected,
      this.natsReconnects,
      this.subscriptionRefused,
      this.busyRetries,
      this.writerQueueDepth,
      ...(jetstream.every((metric) => metric.empty) ? [] : jetstream),
      ...this.#process,
    ];
    const lines: string[] = [];
    for (const metric of all) metric.render(lines);
    lines.push("");
    return lines.join("\n");
  }
}
