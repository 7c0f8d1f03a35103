/**
 * Plugin storage figures of `deno task bench` (README "Plugin storage"), through the subjects Rosey's
 * plugins send (`rosey.db.kv.<plugin>.*`, `rosey.db.row.<plugin>.*`) to a rosey-db process of their own:
 * key/value latency and throughput beside a bare NATS responder measured in the same moments, row
 * search on a table of BENCH_ROWS (100000) rows, and row inserts beside the raw multi-row INSERT
 * baseline (direct_insert.ts) run just before them. BENCH_SINGLE_INSERTS (1000) single inserts go 64
 * in flight.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { percentile, runScript, spawnScript, startServiceProcess } from "./_harness.ts";

/** A figure as main.ts records it. */
export interface Figure {
  figure: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  target: string;
  met: boolean;
}

/** What main.ts lends: where to work, how big, how it records, and its request timings. */
export interface PluginFiguresOptions {
  natsUrl: string;
  workDir: string;
  /** Sequential requests per latency figure. */
  requests: number;
  /** Seconds per throughput figure. */
  seconds: number;
  record(figure: Figure): void;
  interleavedLatency(
    nc: NatsConnection,
    targets: [string, unknown][],
    count: number,
  ): Promise<{ p50: number; p99: number }[]>;
  throughput(nc: NatsConnection, subject: string, body: unknown, inFlight: number, seconds: number): Promise<number>;
}

const size = (name: string, fallback: number) => Number(Deno.env.get(name) ?? fallback);
const ROWS = size("BENCH_ROWS", 100_000);
const SINGLE_INSERTS = size("BENCH_SINGLE_INSERTS", 1_000);
const PLUGIN = "bench";
const KV = `rosey.db.kv.${PLUGIN}`;
const ROW = `rosey.db.row.${PLUGIN}`;
const ECHO = "bench.plugins.echo";
/** Rows per insert request: the most one takes. */
const ROWS_PER_INSERT = 1_000;
/** Alternating rounds of the throughput figure and its baseline. */
const THROUGHPUT_ROUNDS = 5;
/** Distinct usernames: an equality filter on one matches ROWS / USERS rows. */
const MATCHES_PER_USER = 10;

const TABLE = {
  table: "quotes",
  schema: {
    fields: [
      { name: "text", type: "text", required: true },
      { name: "username", type: "string", required: true, max_length: 64, index: true },
      { name: "score", type: "integer", required: true },
      { name: "added_at", type: "datetime", required: true },
    ],
  },
};

/** A seeded row: `username` repeats every ROWS / MATCHES_PER_USER rows, `text` holds its number. */
function quote(i: number, users: number) {
  return {
    text: `quote number ${i}: some words a chat user once said, kept for later`,
    username: `user${i % users}`,
    score: i % 100,
    added_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
  };
}

/** A request whose reply must be Rosey's `{success: true, …}`; anything else stops the bench. */
async function ask(nc: NatsConnection, subject: string, body: unknown): Promise<Record<string, unknown>> {
  const msg = await nc.request(subject, JSON.stringify(body), { timeout: 30_000 });
  const reply = msg.json<Record<string, unknown>>();
  if (reply.success !== true) throw new Error(`${subject} failed: ${msg.string().slice(0, 300)}`);
  return reply;
}

/** Measures and records every plugin storage figure. */
export async function pluginFigures(options: PluginFiguresOptions): Promise<void> {
  const { natsUrl, workDir, requests, seconds, record, interleavedLatency, throughput } = options;
  await Deno.mkdir(`${workDir}/plugins-bench`, { recursive: true });
  const service = await startServiceProcess(natsUrl, `${workDir}/plugins-bench/rosey.db`);
  const echo = await spawnScript("echo.ts", [natsUrl, ECHO]);
  const nc = await connect({ servers: natsUrl });
  try {
    // Key/value: one key read and written again and again, as a plugin keeps its state.
    await ask(nc, `${KV}.set`, { key: "state", value: { last_id: 41, tags: ["a", "b"] } });
    const get = [`${KV}.get`, { key: "state" }] as [string, unknown];
    const set = [`${KV}.set`, { key: "state", value: { last_id: 42, tags: ["a", "b"] } }] as [string, unknown];
    await interleavedLatency(nc, [get, set], Math.min(500, requests)); // warm-up
    const [bare, got, sets] = await interleavedLatency(nc, [[ECHO, {}], get, set], requests);
    for (const [name, figures] of [["kv.<plugin>.get", got], ["kv.<plugin>.set", sets]] as const) {
      for (const [p, limit] of [["p50", 1.2], ["p99", 1.5]] as const) {
        record({
          figure: `${name} ${p}`,
          value: figures[p],
          unit: "ms",
          baseline: { name: `bare NATS request-reply ${p}`, value: bare[p] },
          target: `ratio <= ${limit}`,
          met: figures[p] <= limit * bare[p],
        });
      }
    }
    // In alternating rounds, as the latencies are, so that a change in the machine's load meets both.
    let bareRate = 0, getRate = 0;
    for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
      bareRate += await throughput(nc, ECHO, {}, 64, seconds / THROUGHPUT_ROUNDS) / THROUGHPUT_ROUNDS;
      getRate += await throughput(nc, get[0], get[1], 64, seconds / THROUGHPUT_ROUNDS) / THROUGHPUT_ROUNDS;
    }
    record({
      figure: "kv.<plugin>.get, 64 in flight",
      value: getRate,
      unit: "replies/s",
      baseline: { name: "bare NATS responder", value: bareRate },
      target: "ratio >= 0.6",
      met: getRate >= 0.6 * bareRate,
    });

    // Rows: the baseline first, then the table seeded by insert requests of 1000 rows, timed.
    const raw = await runScript<{ seconds: number }>("direct_insert.ts", [`${workDir}/plugins-raw.db`, String(ROWS)]);
    const rawRate = { name: "multi-row INSERT straight into libSQL", value: ROWS / raw.seconds };
    await ask(nc, `${ROW}.schema.register`, TABLE);
    const users = Math.max(1, Math.floor(ROWS / MATCHES_PER_USER));
    let started = performance.now();
    for (let done = 0; done < ROWS; done += ROWS_PER_INSERT) {
      const data = Array.from({ length: Math.min(ROWS_PER_INSERT, ROWS - done) }, (_, j) => quote(done + j, users));
      await ask(nc, `${ROW}.insert`, { table: "quotes", data });
    }
    const batchRate = ROWS / ((performance.now() - started) / 1000);
    record({
      figure: `row.<plugin>.insert of ${ROWS_PER_INSERT} rows a request (${ROWS} rows, indexed field)`,
      value: batchRate,
      unit: "rows/s",
      baseline: rawRate,
      target: "reported",
      met: true,
    });
    let next = ROWS;
    started = performance.now();
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < ROWS + SINGLE_INSERTS) {
        {
          // A username of their own, so the searches below find the seeded rows only.
          await ask(nc, `${ROW}.insert`, { table: "quotes", data: { ...quote(next++, users), username: "newcomer" } });
        }
      }
    }));
    const singleRate = SINGLE_INSERTS / ((performance.now() - started) / 1000);
    record({
      figure: `row.<plugin>.insert of one row, ${SINGLE_INSERTS} with 64 in flight`,
      value: singleRate,
      unit: "rows/s",
      baseline: rawRate,
      target: "reported",
      met: true,
    });

    // Search: an indexed equality (MATCHES_PER_USER rows) and a $like the whole table is scanned for.
    const user = `user${Math.floor(users / 2)}`;
    const indexed = [`${ROW}.search`, { table: "quotes", filters: { username: user } }] as [string, unknown];
    const found = await ask(nc, indexed[0], indexed[1]);
    if (found.count !== Math.min(MATCHES_PER_USER, ROWS)) throw new Error(`search found ${found.count} rows`);
    await interleavedLatency(nc, [indexed], Math.min(200, requests)); // warm-up
    const [bareSearch, search] = await interleavedLatency(nc, [[ECHO, {}], indexed], requests);
    record({
      figure: `row.<plugin>.search, indexed equality (${MATCHES_PER_USER} of ${ROWS} rows) p50`,
      value: search.p50,
      unit: "ms",
      baseline: { name: "bare NATS request-reply p50", value: bareSearch.p50 },
      target: "<= 2",
      met: search.p50 <= 2,
    });
    const like = [`${ROW}.search`, { table: "quotes", filters: { text: { $like: `%number ${ROWS - 1}:%` } } }] as [
      string,
      unknown,
    ];
    const likeTimes: number[] = [];
    for (let i = 0; i < Math.max(5, Math.floor(requests / 25)); i++) {
      const at = performance.now();
      await ask(nc, like[0], like[1]);
      likeTimes.push(performance.now() - at);
    }
    record({
      figure: `row.<plugin>.search, $like on unindexed text (scans ${ROWS} rows) p50 (p99 ${
        percentile(likeTimes, 99).toFixed(1)
      } ms)`,
      value: percentile(likeTimes, 50),
      unit: "ms",
      baseline: { name: "bare NATS request-reply p50", value: bareSearch.p50 },
      target: "reported",
      met: true,
    });
  } finally {
    await nc.close();
    echo.kill("SIGTERM");
    await echo.status;
    await service.stop();
  }
}
