/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered as text.
 * Kept rather than prom-client: in tests/bench/metrics_cost.ts a request's counter and histogram
 * updates cost 5–9 times less here (a route's label set is rendered once, by identity, where
 * prom-client builds a key from the labels on every call) and a scrape of 60 subjects 2–3.6 times less.
 */

/** Label names and values of one series. */
export type Labels = Record<string, string>;

/** Prefix of rosey-db's own metric names (the process_* ones are standard and have none). */
export const PREFIX = "rosey_db_";

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
