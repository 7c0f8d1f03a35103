/**
 * What the metrics cost, shared/metrics.ts against prom-client in the same run: the updates a
 * request makes, those a batch of events makes, and a scrape of 60 subjects. Run it with
 * `deno run --allow-all --no-lock tests/bench/metrics_cost.ts` (N=1000000 by default): prom-client
 * is loaded for the comparison only, so the lockfile does not list it.
 */
import { Metrics } from "../../shared/metrics.ts";

// A specifier in a variable: `deno check` leaves it alone, so the service's lockfile stays without it.
const PROM_CLIENT = "npm:prom-client@15.1.3";
// deno-lint-ignore no-explicit-any
const { default: client } = await import(PROM_CLIENT) as { default: any };

const SUBJECTS = 60;
const N = Number(Deno.env.get("N") ?? 1_000_000);
const RENDERS = 200;
const subjects = Array.from({ length: SUBJECTS }, (_, i) => `area${i % 10}.thing${i}.get`);
// As the router keeps them (shared/runtime/router.ts, routeLabels): one object per route and outcome.
const routeLabels = subjects.map((subject) => ({ subject: { subject }, ok: { subject, outcome: "ok" } }));
const DURATION = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BATCH = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

const ours = new Metrics();
const registry = new client.Registry();
const registers = [registry];
const prom = {
  messages: new client.Counter({ name: "m_total", help: "h", labelNames: ["subject", "outcome"], registers }),
  handler: new client.Histogram({
    name: "h_seconds",
    help: "h",
    labelNames: ["subject"],
    buckets: DURATION,
    registers,
  }),
  batch: new client.Histogram({ name: "b", help: "h", labelNames: ["subject"], buckets: BATCH, registers }),
  hits: new client.Counter({ name: "c_total", help: "h", labelNames: ["subject"], registers }),
  dead: new client.Counter({ name: "d_total", help: "h", labelNames: ["subject", "code"], registers }),
};
// The same series in both, present from the start as the service makes them.
for (const subject of subjects) {
  ours.initSubject(subject, { kind: "request" });
  ours.initSubject(subject, { kind: "event" });
  for (const outcome of ["ok", "invalid", "error", "dead_letter"]) prom.messages.inc({ subject, outcome }, 0);
  prom.handler.zero({ subject });
  prom.batch.zero({ subject });
  prom.hits.inc({ subject }, 0);
  for (
    const code of ["invalid_input", "not_found", "conflict", "too_large", "internal", "unavailable", "handler_error"]
  ) {
    prom.dead.inc({ subject, code }, 0);
  }
}

function msPer(count: number, work: () => void): number {
  const started = performance.now();
  work();
  return (performance.now() - started) / count;
}

async function msPerAsync(count: number, work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / count;
}

/** A request: its outcome and its handler time (Router #onRequest). */
const request = {
  ours: () => {
    for (let i = 0; i < N; i++) {
      const labels = routeLabels[i % SUBJECTS];
      ours.messages.inc(labels.ok);
      ours.handlerSeconds.observe(0.0004, labels.subject);
    }
  },
  prom: () => {
    for (let i = 0; i < N; i++) {
      const labels = routeLabels[i % SUBJECTS];
      prom.messages.inc(labels.ok);
      prom.handler.observe(labels.subject, 0.0004);
    }
  },
};

/** A batch of one subject's events: its outcome, handler time and size (Router.recordEventOutcome, recordEventHandled). */
const batch = {
  ours: () => {
    for (let i = 0; i < N; i++) {
      const labels = routeLabels[i % SUBJECTS];
      ours.messages.inc(labels.ok, 20);
      ours.handlerSeconds.observe(0.002, labels.subject);
      ours.batchSize.observe(20, labels.subject);
    }
  },
  prom: () => {
    for (let i = 0; i < N; i++) {
      const labels = routeLabels[i % SUBJECTS];
      prom.messages.inc(labels.ok, 20);
      prom.handler.observe(labels.subject, 0.002);
      prom.batch.observe(labels.subject, 20);
    }
  },
};

const render = {
  ours: () => {
    for (let i = 0; i < RENDERS; i++) ours.render();
  },
  prom: async () => {
    for (let i = 0; i < RENDERS; i++) await registry.metrics();
  },
};

const rows = ["| round | figure | shared/metrics.ts | prom-client | prom-client / ours |", "|---|---|---|---|---|"];
const row = (round: number, figure: string, unit: number, a: number, b: number) =>
  rows.push(`| ${round} | ${figure} | ${(a * unit).toFixed(3)} | ${(b * unit).toFixed(3)} | ${(b / a).toFixed(1)} |`);
for (let round = 1; round <= 3; round++) {
  row(round, "request: inc + observe, µs", 1000, msPer(N, request.ours), msPer(N, request.prom));
  row(round, "event batch: inc + 2 observe, µs", 1000, msPer(N, batch.ours), msPer(N, batch.prom));
  row(
    round,
    `scrape of ${SUBJECTS} subjects, ms`,
    1,
    msPer(RENDERS, render.ours),
    await msPerAsync(RENDERS, render.prom),
  );
}
console.log(rows.join("\n"));
console.log(
  `Text per scrape: ${ours.render().length} bytes (ours, longer names), ${
    (await registry.metrics()).length
  } (prom-client)`,
);
