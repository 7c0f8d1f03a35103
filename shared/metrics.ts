/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered as text.
 * Kept rather than prom-client: in tests/bench/metrics_cost.ts a request's counter and histogram
 * updates cost 5–9 times less here (a route's label set is rendered once, by identity, where
 * prom-client builds a key from the labels on every call) and a scrape of 60 subjects 2–3.6 times less.
 */
import process from "node:process";
import { ERROR_NAMES } from "./function/errors.ts";

type Labels = Record<string, string>;

const PREFIX = "rosey_db_";

/** Rendered label sets (`a="x",b="y"`) of objects used again and again (a route's labels), by identity. */
const renderedLabels = new WeakMap<Labels, string>();

function labelKey(labels: Labels): string {
  let key = renderedLabels.get(labels);
  if (key === undefined) {
    key = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",");
    renderedLabels.set(labels, key);
  }
  return key;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function braced(key: string): string {
  return key === "" ? "" : `{${key}}`;
}

abstract class Metric {
  constructor(readonly name: string, readonly help: string, readonly type: string) {}
  /** Whether no series has a sample yet. */
  abstract get empty(): boolean;
  protected abstract samples(lines: string[]): void;
  /** Appends the HELP and TYPE lines and every sample. */
  render(lines: string[]): void {
    lines.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`);
    this.samples(lines);
  }
}

/** A monotonically increasing count per label set. */
export class Counter extends Metric {
  #values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }
  /** Makes the series present at 0 (if it is not yet), so that `rate()` sees its first increment. */
  init(labels: Labels = {}): void {
    const key = labelKey(labels);
    if (!this.#values.has(key)) this.#values.set(key, 0);
  }
  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
  get empty(): boolean {
    return this.#values.size === 0;
  }
  protected samples(lines: string[]): void {
    for (const [key, value] of this.#values) lines.push(`${this.name}${braced(key)} ${value}`);
  }
}

/** A value that goes up and down, per label set. */
export class Gauge extends Metric {
  #values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, "gauge");
  }
  set(value: number, labels: Labels = {}): void {
    this.#values.set(labelKey(labels), value);
  }
  get empty(): boolean {
    return this.#values.size === 0;
  }
  protected samples(lines: string[]): void {
    for (const [key, value] of this.#values) lines.push(`${this.name}${braced(key)} ${value}`);
  }
}

/** One unlabelled value read at scrape time; left out of the text when it cannot be read here. */
export class Sampled extends Metric {
  constructor(name: string, help: string, type: "counter" | "gauge", readonly read: () => number | undefined) {
    super(name, help, type);
  }
  get empty(): boolean {
    return false;
  }
  override render(lines: string[]): void {
    const value = this.read();
    if (value === undefined) return;
    super.render(lines);
    lines.push(`${this.name} ${value}`);
  }
  /** Its one sample is added by render, which reads the value once. */
  protected samples(): void {}
}

/** Observations counted into cumulative buckets per label set. */
export class Histogram extends Metric {
  #series = new Map<string, { counts: number[]; sum: number; count: number }>();
  /** The `le` label of each bucket, `+Inf` last. */
  readonly #bounds: string[];
  constructor(name: string, help: string, readonly buckets: number[]) {
    super(name, help, "histogram");
    this.#bounds = [...buckets.map((le) => `le="${le}"`), `le="+Inf"`];
  }
  observe(value: number, labels: Labels = {}): void {
    const series = this.#seriesOf(labelKey(labels));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) series.counts[i]++;
    series.sum += value;
    series.count++;
  }
  /** Makes the series present with no observation, so that `rate()` sees its first one. */
  init(labels: Labels = {}): void {
    this.#seriesOf(labelKey(labels));
  }
  get empty(): boolean {
    return this.#series.size === 0;
  }
  #seriesOf(key: string) {
    let series = this.#series.get(key);
    if (!series) {
      series = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    return series;
  }
  protected samples(lines: string[]): void {
    for (const [key, { counts, sum, count }] of this.#series) {
      const before = key === "" ? "{" : `{${key},`;
      for (let i = 0; i < counts.length; i++) {
        lines.push(`${this.name}_bucket${before}${this.#bounds[i]}} ${counts[i]}`);
      }
      lines.push(`${this.name}_bucket${before}${this.#bounds[counts.length]}} ${count}`);
      lines.push(`${this.name}_sum${braced(key)} ${sum}`, `${this.name}_count${braced(key)} ${count}`);
    }
  }
}

const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
/** Outcomes each kind of function can have (see Router.recordEventOutcome and #onRequest). */
const OUTCOMES = { event: ["ok", "invalid", "dead_letter"], request: ["ok", "invalid", "error"] } as const;
/** A dead letter's code: a ServiceError's, or "handler_error" for anything else (shared/storage/writer/dead_letters.ts, failureCode). */
const DEAD_LETTER_CODES = [...Object.values(ERROR_NAMES), "handler_error"];

/** What {@linkcode Metrics.initSubject} needs to know of a served subject. */
export interface ServedSubject {
  kind: "event" | "request";
  /** Whether its replies may be kept (`cacheReplies`): only then can it count reply cache hits. */
  cacheReplies?: boolean;
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
  readonly replyCacheHits = new Counter(
    `${PREFIX}reply_cache_hits_total`,
    "Requests answered with a kept reply because nothing was committed since, by subject",
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
    if (served.kind === "event") {
      this.batchSize.init({ subject });
      for (const code of DEAD_LETTER_CODES) this.deadLetters.init({ subject, code });
    }
    if (served.cacheReplies) this.replyCacheHits.init({ subject });
  }

  /** Makes the JetStream series present at 0: they appear only once the JetStream ingest has started. */
  initJetStream(pending: number): void {
    this.consumerPending.set(pending);
    this.redeliveries.init();
    this.duplicatesSkipped.init();
    this.ackSeconds.init();
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
      this.busyRetries,
      this.replyCacheHits,
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

/**
 * The standard process metrics (https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics)
 * that this runtime can give: those read from /proc only on Linux and with read access to it.
 */
function processMetrics(): Sampled[] {
  const startTime = performance.timeOrigin / 1000;
  const gauge = (name: string, help: string, read: () => number | undefined) => new Sampled(name, help, "gauge", read);
  return [
    new Sampled("process_cpu_seconds_total", "Total user and system CPU time spent in seconds", "counter", () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    }),
    gauge("process_resident_memory_bytes", "Resident memory size in bytes", () => Deno.memoryUsage().rss),
    // vsize is the 23rd field of the line, the 21st after "(comm) ".
    gauge(
      "process_virtual_memory_bytes",
      "Virtual memory size in bytes",
      () => tryRead(() => Number(Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ")[20])),
    ),
    gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds", () => startTime),
    gauge(
      "process_open_fds",
      "Number of open file descriptors",
      () => tryRead(() => [...Deno.readDirSync("/proc/self/fd")].length),
    ),
    // The soft limit; "unlimited" has no number, and no sample then.
    gauge(
      "process_max_fds",
      "Maximum number of open file descriptors",
      () => tryRead(() => Number(/^Max open files +(\d+)/m.exec(Deno.readTextFileSync("/proc/self/limits"))![1])),
    ),
    gauge(`${PREFIX}process_heap_used_bytes`, "V8 heap in use", () => Deno.memoryUsage().heapUsed),
  ];
}

/** What `read` returns, or undefined where it cannot be read here (no /proc, no read access). */
function tryRead(read: () => number): number | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
