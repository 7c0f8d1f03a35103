/**
 * `deno task bench`: starts its own nats-server and rosey-db on loopback and measures ingest
 * throughput, request latency and throughput, mixed load, client overhead and memory, each beside
 * a baseline measured in the same run. Prints a table and writes JSON (BENCH_OUT).
 *
 * Sizes come from the environment so that a smoke test can run it small: BENCH_EVENTS (200000),
 * BENCH_CHAT_ROWS (100000), BENCH_REQUESTS (5000), BENCH_SECONDS (10), BENCH_CLIENT_EVENTS (20000),
 * BENCH_RYW_TRIALS (1000), BENCH_BOT_SECONDS (5); plugin storage (./plugins.ts): BENCH_ROWS (100000),
 * BENCH_SINGLE_INSERTS (1000); the conversation store (./conversations.ts): BENCH_CONTEXT_MESSAGES (10000),
 * BENCH_ARCHIVE_CONVERSATIONS (10000); LLM memory (./memory.ts): BENCH_VECTORS (100000), BENCH_MEMORY_ITEMS
 * (100000), BENCH_SCOPED_VECTORS (5000), BENCH_EMBEDDED_SAVES (3000).
 */
import { createClient } from "@libsql/client";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createRoseyClient } from "../../shared/client/mod.ts";
import type { Tuning } from "../../shared/config.ts";
import { silentLogger } from "../../shared/log.ts";
import { startNatsServer } from "../../shared/nats/local_server.ts";
import { botWorkload, readYourWrites } from "./bot_workload.ts";
import { pluginFigures } from "./plugins.ts";
import { conversationFigures } from "./conversations.ts";
import { memoryFigures } from "./memory.ts";
import { percentile, runScript, type ServiceProcess, sleep, spawnScript, startServiceProcess } from "./_harness.ts";

const size = (name: string, fallback: number) => Number(Deno.env.get(name) ?? fallback);
const EVENTS = size("BENCH_EVENTS", 200_000);
const CHAT_ROWS = size("BENCH_CHAT_ROWS", 100_000);
const REQUESTS = size("BENCH_REQUESTS", 5_000);
const SECONDS = size("BENCH_SECONDS", 10);
const CLIENT_EVENTS = size("BENCH_CLIENT_EVENTS", 20_000);
const RYW_TRIALS = size("BENCH_RYW_TRIALS", 1_000);
const BOT_SECONDS = size("BENCH_BOT_SECONDS", 5);
const OUT = Deno.env.get("BENCH_OUT") ?? "bench-results/latest.json";
/** How long the ingest service idles after /ready before its resident size at rest is read. */
const REST_MS = 2000;

interface Row {
  figure: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  ratio?: number;
  target: string;
  met: boolean;
}

const results: Row[] = [];
function record(row: Omit<Row, "ratio">) {
  const ratio = row.baseline ? row.value / row.baseline.value : undefined;
  results.push({ ...row, ratio });
}

const workDir = await Deno.makeTempDir({ prefix: "rosey-db-bench-" });
const nats = await startNatsServer({ install: true, storeDir: `${workDir}/nats` });
const encoder = new TextEncoder();

/** Events of message.log committed so far, from the service's own metrics (no SQLite in this process). */
async function committedChat(service: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${service.httpUrl}/metrics`)).text();
  return Number(/^rosey_db_messages_total\{subject="message.log",outcome="ok"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** Time from the publisher's start until every event is committed. */
async function ingest(service: ServiceProcess, count: number) {
  const before = await committedChat(service);
  const started = performance.now();
  const publisher = runScript<{ seconds: number }>("publish.ts", [nats.url, "rosey.db.message.log", String(count)]);
  while (await committedChat(service) - before < count) await sleep(20);
  const seconds = (performance.now() - started) / 1000;
  await publisher;
  return { seconds, rate: count / seconds, peakRss: await service.peakRss() };
}

async function sequentialLatency(nc: NatsConnection, subject: string, body: unknown, count: number) {
  return (await interleavedLatency(nc, [[subject, body]], count))[0];
}

/**
 * Sequential requests to each subject, `count` in all for each, taken in alternating blocks so
 * that every subject (and its baseline) meets the same moments of the machine's other work.
 */
async function interleavedLatency(nc: NatsConnection, targets: [string, unknown][], count: number) {
  const BLOCK = 250;
  const times = targets.map(() => [] as number[]);
  const payloads = targets.map(([, body]) => encoder.encode(JSON.stringify(body)));
  for (let done = 0; done < count; done += BLOCK) {
    for (const [t, [subject]] of targets.entries()) {
      for (let i = done; i < Math.min(count, done + BLOCK); i++) {
        const started = performance.now();
        await nc.request(subject, payloads[t], { timeout: 5000 });
        times[t].push(performance.now() - started);
      }
    }
  }
  return times.map((list) => ({ p50: percentile(list, 50), p99: percentile(list, 99) }));
}

async function throughput(nc: NatsConnection, subject: string, body: unknown, inFlight: number, seconds: number) {
  const payload = encoder.encode(JSON.stringify(body));
  let replies = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      await nc.request(subject, payload, { timeout: 5000 });
      replies++;
    }
  }));
  return replies / seconds;
}

async function seedChat(dbPath: string, rows: number) {
  const db = createClient({ url: `file:${dbPath}` });
  const now = Math.floor(Date.now() / 1000);
  await db.execute("BEGIN");
  for (let i = 0; i < rows; i += 500) {
    const n = Math.min(500, rows - i);
    const args = Array.from(
      { length: n },
      (_, j) => [now - rows + i + j, `user${(i + j) % 50}`, `seeded message ${i + j}`],
    ).flat();
    await db.execute({
      sql: `INSERT INTO recent_chat (timestamp, username, message) VALUES ${Array(n).fill("(?, ?, ?)").join(", ")}`,
      args,
    });
  }
  for (let i = 0; i < 200; i++) {
    await db.execute({
      sql: "INSERT INTO outbound_messages (timestamp, message) VALUES (?, ?)",
      args: [now - 200 + i, `queued ${i}`],
    });
  }
  await db.execute("COMMIT");
  db.close();
}

try {
  // Ingest, its limit, and memory.
  const ingestDb = `${workDir}/ingest.db`;
  let service = await startServiceProcess(nats.url, ingestDb);
  // At rest: started, migrated, subscribed, idle for a moment (start-up garbage collected or not).
  await sleep(REST_MS);
  const restRss = await service.rss();
  const ingested = await ingest(service, EVENTS);
  await service.stop();
  const limit = await runScript<{ seconds: number }>("direct_insert.ts", [`${workDir}/limit.db`, String(EVENTS)]);
  record({
    figure: "ingest (message.log, end to end)",
    value: ingested.rate,
    unit: "events/s",
    target: ">= 100000",
    met: ingested.rate >= 100_000,
  });
  record({
    figure: "ingest vs limit",
    value: ingested.rate,
    unit: "events/s",
    baseline: { name: "multi-row INSERT straight into libSQL", value: EVENTS / limit.seconds },
    target: "ratio >= 0.6",
    met: ingested.rate / (EVENTS / limit.seconds) >= 0.6,
  });
  record({
    figure: "RSS at rest (started, idle)",
    value: restRss / 2 ** 20,
    unit: "MiB",
    target: "<= 80",
    met: restRss <= 80 * 2 ** 20,
  });
  record({
    figure: "peak RSS during ingest",
    value: ingested.peakRss / 2 ** 20,
    unit: "MiB",
    target: "<= 160",
    met: ingested.peakRss <= 160 * 2 ** 20,
  });

  // Durable ingest: the same events through the JetStream stream, acknowledged after commit.
  const durableDb = `${workDir}/durable.db`;
  service = await startServiceProcess(nats.url, durableDb, { INGEST_MODE: "jetstream" });
  const durable = await ingest(service, EVENTS);
  await service.stop();
  record({
    figure: "ingest, INGEST_MODE=jetstream (end to end)",
    value: durable.rate,
    unit: "events/s",
    baseline: { name: "core ingest, same run", value: ingested.rate },
    target: ">= 30000",
    met: durable.rate >= 30_000,
  });
  // What JetStream itself costs: a bare pull consumer that fetches, acks and discards the same events.
  const pullOnly = await runScript<{ rate: number }>("jetstream_consumer.ts", [nats.url, String(EVENTS)]);
  record({
    figure: "ingest, INGEST_MODE=jetstream, vs a bare JetStream pull consumer",
    value: durable.rate,
    unit: "events/s",
    baseline: { name: "pull consumer that fetches, acks and discards", value: pullOnly.rate },
    target: "ratio >= 0.7",
    met: durable.rate >= 0.7 * pullOnly.rate,
  });

  // Requests on a table of CHAT_ROWS messages.
  const requestDb = `${workDir}/requests.db`;
  service = await startServiceProcess(nats.url, requestDb);
  await service.stop();
  await seedChat(requestDb, CHAT_ROWS);
  service = await startServiceProcess(nats.url, requestDb);
  const echo = await spawnScript("echo.ts", [nats.url, "bench.echo"]);
  const nc = await connect({ servers: nats.url });
  await sequentialLatency(nc, "rosey.db.stats.recent_chat.get", { limit: 20 }, Math.min(500, REQUESTS)); // warm-up
  const [bare, chat, outbound] = await interleavedLatency(nc, [
    ["bench.echo", {}],
    ["rosey.db.stats.recent_chat.get", { limit: 20 }],
    ["rosey.db.messages.outbound.get", {}],
  ], REQUESTS);
  const LATENCY_TARGETS = [["p50", 0.3], ["p99", 1]] as const;
  for (
    const [name, figures] of [["stats.recent_chat.get {limit:20}", chat], ["messages.outbound.get", outbound]] as const
  ) {
    for (const [p, limit] of LATENCY_TARGETS) {
      record({
        figure: `${name} ${p}`,
        value: figures[p],
        unit: "ms",
        baseline: { name: `bare NATS request-reply ${p}`, value: bare[p] },
        target: `<= ${limit}`,
        met: figures[p] <= limit,
      });
    }
  }
  const bareRate = await throughput(nc, "bench.echo", {}, 64, SECONDS);
  const rate = await throughput(nc, "rosey.db.stats.recent_chat.get", { limit: 20 }, 64, SECONDS);
  record({
    figure: "request throughput, 64 in flight",
    value: rate,
    unit: "replies/s",
    baseline: { name: "bare NATS responder", value: bareRate },
    target: ">= 20000",
    met: rate >= 20_000,
  });

  // Mixed: ingest at full speed while 8 clients send requests; the baseline is the bare responder
  // under the same flood, which is what the transport and this machine allow.
  const clients = await Promise.all(Array.from({ length: 8 }, () => connect({ servers: nats.url })));
  const underIngest = async (subject: string, body: unknown) => {
    const times: number[] = [];
    let ingesting = true;
    const payload = encoder.encode(JSON.stringify(body));
    const requesters = clients.map(async (client) => {
      while (ingesting) {
        const started = performance.now();
        await client.request(subject, payload, { timeout: 10_000 });
        times.push(performance.now() - started);
      }
    });
    await ingest(service, EVENTS);
    ingesting = false;
    await Promise.all(requesters);
    return percentile(times, 99);
  };
  const bareMixed = {
    name: "bare NATS responder p99 under the same ingest",
    value: await underIngest("bench.echo", {}),
  };
  const mixed = await underIngest("rosey.db.stats.recent_chat.get", { limit: 20 });
  record({
    figure: "request p99 under full ingest (8 clients)",
    value: mixed,
    unit: "ms",
    baseline: bareMixed,
    target: "<= 5",
    met: mixed <= 5,
  });
  const variants: [string, Tuning][] = [
    ["ingest thread 10 nice steps lower (ingestNice: 10)", { ingestNice: 10 }],
    ["no ingest thread (ingestThread: false)", { ingestThread: false }],
  ];
  for (const [name, tuning] of variants) {
    await service.stop();
    service = await startServiceProcess(nats.url, requestDb, {}, tuning);
    record({
      figure: `request p99 under full ingest, ${name} (for information)`,
      value: await underIngest("rosey.db.stats.recent_chat.get", { limit: 20 }),
      unit: "ms",
      baseline: bareMixed,
      target: "reported",
      met: true,
    });
  }
  await Promise.all(clients.map((c) => c.close()));

  // Read-your-writes: a request sees the event its connection published just before it, under a flood.
  await service.stop();
  service = await startServiceProcess(nats.url, requestDb);
  const ryw = await readYourWrites(nats.url, RYW_TRIALS);
  record({
    figure: `read-your-writes misses in ${RYW_TRIALS} trials under a flood (query.user_stats p99 ${
      ryw.p99.toFixed(1)
    } ms)`,
    value: ryw.misses,
    unit: "misses",
    target: "0",
    met: ryw.misses === 0,
  });

  // A realistic bot: steady chat events, polls, user lookups and an LLM app (tests/bench/bot_workload.ts).
  await service.stop();
  service = await startServiceProcess(nats.url, `${workDir}/bot.db`);
  const bot = await botWorkload(nats.url, BOT_SECONDS);
  await service.stop();
  record({
    figure: `bot workload request p99 (mean ${bot.mean.toFixed(2)} ms)`,
    value: bot.p99,
    unit: "ms",
    target: "reported",
    met: true,
  });

  // Plugin storage: key/value and rows through the plugins' own subjects, to a service of their own
  // (no other one in the queue group, whose plugin databases would be others).
  await pluginFigures({
    natsUrl: nats.url,
    workDir,
    requests: REQUESTS,
    seconds: SECONDS,
    record,
    interleavedLatency,
    throughput,
  });
  // The conversation store: prompt context, archival and restore (tests/bench/conversations.ts).
  await conversationFigures({ natsUrl: nats.url, workDir, requests: REQUESTS, record, interleavedLatency });
  // LLM memory: embeddings, similarity, hybrid recall and the memory store (tests/bench/memory.ts).
  await memoryFigures({ natsUrl: nats.url, workDir, record });
  service = await startServiceProcess(nats.url, requestDb);
  echo.kill("SIGTERM");
  await echo.status;

  // Client overhead: what one event costs the bot.
  const viaNats = createRoseyClient({ nc, log: silentLogger });
  let started = performance.now();
  for (let i = 0; i < CLIENT_EVENTS; i++) await viaNats.messageLog({ username: "bench", message: `client ${i}` });
  await nc.flush();
  const publishMicros = ((performance.now() - started) * 1000) / CLIENT_EVENTS;
  const direct = createRoseyClient({ env: { DATABASE_PATH: `${workDir}/direct.db` }, log: silentLogger });
  const directEvents = Math.max(100, Math.floor(CLIENT_EVENTS / 10));
  await direct.messageLog({ username: "bench", message: "open" });
  started = performance.now();
  for (let i = 0; i < directEvents; i++) await direct.messageLog({ username: "bench", message: `direct ${i}` });
  const directMicros = ((performance.now() - started) * 1000) / directEvents;
  await direct.close();
  record({
    figure: "client cost per event: publish",
    value: publishMicros,
    unit: "µs",
    baseline: { name: "direct embedded call (commits each event)", value: directMicros },
    target: "publish <= direct",
    met: publishMicros <= directMicros,
  });
  await nc.close();
  await service.stop();
} finally {
  await nats.stop();
  await Deno.remove(workDir, { recursive: true }).catch(() => {});
}

const fmt = (n: number | undefined) => n === undefined ? "" : n >= 100 ? n.toFixed(0) : n.toFixed(3);
console.log("| figure | value | unit | baseline | baseline value | ratio | target | met |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(
    `| ${r.figure} | ${fmt(r.value)} | ${r.unit} | ${r.baseline?.name ?? ""} | ${fmt(r.baseline?.value)} | ${
      fmt(r.ratio)
    } | ${r.target} | ${r.met ? "yes" : "no"} |`,
  );
}
await Deno.mkdir(OUT.replace(/\/[^/]*$/, ""), { recursive: true }).catch(() => {});
await Deno.writeTextFile(
  OUT,
  JSON.stringify(
    { at: new Date().toISOString(), sizes: { EVENTS, CHAT_ROWS, REQUESTS, SECONDS, CLIENT_EVENTS }, results },
    null,
    2,
  ),
);
console.log(`written: ${OUT}`);
