/** A small Prometheus registry: counters, gauges and histograms with labels, rendered as text. */
import process from "node:process";

type Labels = Record<string, string>;

const PREFIX = "rosey_db_";

/** Rendered label sets of objects used again and again (a route's labels), by identity. */
const renderedLabels = new WeakMap<Labels, string>();

function labelKey(labels: Labels): string {
  let key = renderedLabels.get(labels);
  if (key === undefined) {
    key = renderLabels(labels);
    renderedLabels.set(labels, key);
  }
  return key;
}

function renderLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return "{" + entries.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
    .join(",") +
    "}";
}

abstract class Metric {
  constructor(readonly name: string, readonly help: string, readonly type: string) {}
  abstract samples(): string[];
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()].join("\n");
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
  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
  samples(): string[] {
    return [...this.#values].map(([key, value]) => `${this.name}${key} ${value}`);
  }
}

/** A value that goes up and down; `collect` reads it at scrape time when given. */
export class Gauge extends Metric {
  #values = new Map<string, number>();
  constructor(name: string, help: string, readonly collect?: () => number) {
    super(name, help, "gauge");
  }
  set(value: number, labels: Labels = {}): void {
    this.#values.set(labelKey(labels), value);
  }
  samples(): string[] {
    if (this.collect) return [`${this.name} ${this.collect()}`];
    return [...this.#values].map(([key, value]) => `${this.name}${key} ${value}`);
  }
}

/** Observations counted into cumulative buckets per label set. */
export class Histogram extends Metric {
  #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, readonly buckets: number[]) {
    super(name, help, "histogram");
  }
  observe(value: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) series.counts[i]++;
    series.sum += value;
    series.count++;
  }
  samples(): string[] {
    const lines: string[] = [];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      this.buckets.forEach((le, i) =>
        lines.push(`${this.name}_bucket${labelKey({ ...labels, le: String(le) })} ${counts[i]}`)
      );
      lines.push(`${this.name}_bucket${labelKey({ ...labels, le: "+Inf" })} ${count}`);
      lines.push(`${this.name}_sum${labelKey(labels)} ${sum}`, `${this.name}_count${labelKey(labels)} ${count}`);
    }
    return lines;
  }
}

const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

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
  readonly writerQueueDepth: Gauge;
  readonly #startedAt = Date.now() / 1000;
  readonly #process = processMetrics(this.#startedAt);

  constructor(queueDepth: () => number = () => 0) {
    this.writerQueueDepth = new Gauge(
      `${PREFIX}writer_queue_depth`,
      "Events and writes waiting for the writer",
      queueDepth,
    );
  }

  /** The Prometheus text exposition of every metric. */
  render(): string {
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
      this.consumerPending,
      this.redeliveries,
      this.duplicatesSkipped,
      this.ackSeconds,
      ...this.#process,
    ];
    return all.map((metric) => metric.render()).join("\n") + "\n";
  }
}

function processMetrics(startedAt: number): Metric[] {
  const cpu = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  };
  return [
    new Gauge(`${PREFIX}process_resident_memory_bytes`, "Resident memory size", () => Deno.memoryUsage().rss),
    new Gauge(`${PREFIX}process_heap_used_bytes`, "V8 heap in use", () => Deno.memoryUsage().heapUsed),
    new Gauge(`${PREFIX}process_cpu_seconds_total`, "User and system CPU time", cpu),
    new Gauge(`${PREFIX}process_start_time_seconds`, "Start time since the Unix epoch", () => startedAt),
  ];
}
