/**
 * LLM memory figures of `deno task bench` (README "LLM memory"), to a rosey-db process of their own with
 * EMBEDDING_DIMENSIONS=384 and synthetic clustered vectors generated deterministically:
 * BENCH_VECTORS (100000) message embeddings of one user plus BENCH_SCOPED_VECTORS (5000) of another, loaded beside the service
 * and indexed with the service's own index statement (build time, insert rate, size per 100k);
 * conversation.message.similar over the large user (p50, recall@10 against exact brute force computed
 * here) and over the small one (p50, exact); saving with and without embeddings, 64 in flight, with the
 * latency of other requests meanwhile; memory.search hybrid over BENCH_MEMORY_ITEMS (100000) items.
 * Runs alone too: `deno run -A tests/bench/memory.ts` prints its figures.
 */
import Database from "libsql";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer } from "../../shared/nats/local_server.ts";
import { percentile, startServiceProcess } from "./_harness.ts";
import type { Figure, PluginFiguresOptions } from "./plugins.ts";

const size = (name: string, fallback: number) => Number(Deno.env.get(name) ?? fallback);
const VECTORS = size("BENCH_VECTORS", 100_000);
const MEMORY_ITEMS = size("BENCH_MEMORY_ITEMS", 100_000);
const SCOPED = size("BENCH_SCOPED_VECTORS", 5_000);
const DIMENSIONS = 384;
const QUERIES = 100;
const SAVES = size("BENCH_EMBEDDED_SAVES", 3_000);
const IN_FLIGHT = 64;

/** What main.ts lends: the same as for the plugin figures. */
export type MemoryFiguresOptions = Pick<PluginFiguresOptions, "natsUrl" | "workDir" | "record">;

/** Deterministic vectors in 200 clusters, unit length (mulberry32 and Box–Muller). */
function vectorSource(seed: number) {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const centers = Array.from({ length: 200 }, () => Float32Array.from({ length: DIMENSIONS }, gauss));
  return {
    random,
    next(): { vector: Float32Array; cluster: number } {
      const cluster = Math.floor(random() * centers.length);
      const vector = new Float32Array(DIMENSIONS);
      let norm = 0;
      for (let i = 0; i < DIMENSIONS; i++) {
        vector[i] = centers[cluster][i] + gauss() * 0.8;
        norm += vector[i] * vector[i];
      }
      norm = Math.sqrt(norm);
      for (let i = 0; i < DIMENSIONS; i++) vector[i] /= norm;
      return { vector, cluster };
    },
  };
}

/** Indexes of the `k` vectors most similar to `query` (all unit length: the dot product is the cosine). */
function exactTop(vectors: Float32Array[], query: Float32Array, k: number): number[] {
  const scores = vectors.map((v, index) => {
    let dot = 0;
    for (let i = 0; i < DIMENSIONS; i++) dot += v[i] * query[i];
    return { index, dot };
  });
  return scores.sort((a, b) => b.dot - a.dot).slice(0, k).map((s) => s.index);
}

async function ask(nc: NatsConnection, subject: string, body: unknown): Promise<unknown> {
  const msg = await nc.request(subject, JSON.stringify(body), { timeout: 600_000 });
  if (msg.headers?.get("Nats-Service-Error-Code")) throw new Error(`${subject} failed: ${msg.string().slice(0, 300)}`);
  return msg.json();
}

const blob = (vector: Float32Array) => new Uint8Array(vector.buffer);
const list = (vector: Float32Array) => Array.from(vector, (x) => Math.round(x * 1e6) / 1e6);

/** Index statements as shared/storage/embeddings.ts makes them (read back from the database). */
function indexSql(db: Database.Database, name: string): string {
  return (db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get([name]) as { sql: string }).sql;
}

/** Bytes the database holds, its WAL's pages included (the service's readers may keep a checkpoint from finishing). */
function fileSize(db: Database.Database): number {
  const value = (pragma: string) => Number(Object.values(db.prepare(`PRAGMA ${pragma}`).get() as object)[0]);
  return (value("page_count") - value("freelist_count")) * value("page_size");
}

/** Sends `count` requests made by `body(i)`, `inFlight` at a time; messages/s. */
async function concurrently(nc: NatsConnection, subject: string, count: number, body: (i: number) => unknown) {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < count) await ask(nc, subject, body(next++));
  }));
  return count / ((performance.now() - started) / 1000);
}

/** Latencies of a small read sent every 10 ms while `work` runs. */
async function latencyDuring(nc: NatsConnection, probe: [string, unknown], work: Promise<number>) {
  const times: number[] = [];
  let done = false;
  const rate = work.finally(() => done = true);
  while (!done) {
    const started = performance.now();
    await ask(nc, probe[0], probe[1]);
    times.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { rate: await rate, p99: percentile(times, 99), max: Math.max(...times) };
}

export async function memoryFigures(options: MemoryFiguresOptions): Promise<void> {
  const { natsUrl, workDir, record } = options;
  const dbPath = `${workDir}/memory.db`;
  const service = await startServiceProcess(natsUrl, dbPath, { EMBEDDING_DIMENSIONS: String(DIMENSIONS) });
  const nc = await connect({ servers: natsUrl });
  const db = new Database(dbPath);
  db.exec("PRAGMA busy_timeout = 60000; PRAGMA cache_size = -65536");
  const source = vectorSource(42);
  try {
    const conversation = async (user_id: string) =>
      (await ask(nc, "rosey.db.conversation.create", { user_id }) as { id: string }).id;
    const big = await conversation("big");
    const small = await conversation("small");

    // Messages and their embeddings, loaded beside the service with the vector index dropped, then built.
    const vectorIndex = indexSql(db, "idx_message_embeddings_vector");
    db.exec("DROP INDEX idx_message_embeddings_vector");
    const sizeBefore = fileSize(db);
    const message = db.prepare(
      "INSERT INTO conversation_messages (id, conversation_id, role, content, created_at) VALUES (?, ?, 'user', ?, 1000)",
    );
    const embedding = db.prepare(
      "INSERT INTO message_embeddings (seq, user_id, conversation_id, model, embedding) VALUES (?, ?, ?, 'bench', ?)",
    );
    const bigVectors: Float32Array[] = [], smallVectors: Float32Array[] = [];
    const ids: string[] = [];
    let started = performance.now();
    db.exec("BEGIN");
    for (let i = 0; i < VECTORS + SCOPED; i++) {
      const { vector, cluster } = source.next();
      const [user, conversationId, kept] = i < VECTORS ? ["big", big, bigVectors] : ["small", small, smallVectors];
      const id = `m-${i}`;
      const { lastInsertRowid } = message.run([id, conversationId, `message ${i} about topic${cluster}`]);
      embedding.run([lastInsertRowid, user, conversationId, blob(vector)]);
      kept.push(vector);
      ids.push(id);
      if (i % 1000 === 999) db.exec("COMMIT; BEGIN");
    }
    db.exec("COMMIT");
    const insertRate = (VECTORS + SCOPED) / ((performance.now() - started) / 1000);
    // The index's blocks (~4 KiB a vector) stay in the cache while it is built in one statement.
    db.exec("PRAGMA cache_size = -1048576");
    started = performance.now();
    db.exec(vectorIndex);
    const buildSeconds = (performance.now() - started) / 1000;
    const perHundredThousand = (fileSize(db) - sizeBefore) / (VECTORS + SCOPED) * 100_000;
    record({
      figure: `message embeddings (${DIMENSIONS} dimensions) inserted without the index, ${VECTORS + SCOPED} rows`,
      value: insertRate,
      unit: "rows/s",
      target: "reported",
      met: true,
    });
    record({
      figure: `vector index build over ${VECTORS + SCOPED} message embeddings`,
      value: buildSeconds,
      unit: "s",
      target: "reported",
      met: true,
    });
    record({
      figure: "database size per 100k message embeddings (with messages' full text, index included)",
      value: perHundredThousand / 1024 / 1024,
      unit: "MiB",
      target: "reported",
      met: true,
    });

    // Similarity over the large user (the approximate index) and the small one (exact scan).
    for (const [user, vectors, offset] of [["big", bigVectors, 0], ["small", smallVectors, VECTORS]] as const) {
      const times: number[] = [];
      let recall = 0, exact = 0;
      for (let q = 0; q < QUERIES; q++) {
        const query = source.next().vector;
        started = performance.now();
        const found = await ask(nc, "rosey.db.conversation.message.similar", {
          user_id: user,
          embedding: list(query),
          limit: 10,
        }) as { message: { id: string } }[];
        times.push(performance.now() - started);
        const truth = exactTop(vectors, query, 10).map((index) => ids[index + offset]);
        const got = found.map((f) => f.message.id);
        recall += truth.filter((id) => got.includes(id)).length / 10;
        if (truth.every((id, i) => got[i] === id)) exact++;
      }
      record({
        figure: `conversation.message.similar top-10 over ${vectors.length} messages of one user (${
          VECTORS + SCOPED
        } in all), p50; recall@10 ${(recall / QUERIES).toFixed(3)}, exact answers ${exact}/${QUERIES}`,
        value: percentile(times, 50),
        unit: "ms",
        target: user === "big" ? "<= 15, recall >= 0.95" : "<= 15, exact",
        met: percentile(times, 50) <= 15 && (user === "big" ? recall / QUERIES >= 0.95 : exact === QUERIES),
      });
    }
    const hybridTimes: number[] = [];
    for (let q = 0; q < QUERIES; q++) {
      const { vector, cluster } = source.next();
      started = performance.now();
      await ask(nc, "rosey.db.conversation.message.search", {
        user_id: "small",
        query: `topic${cluster}`,
        embedding: list(vector),
        limit: 10,
      });
      hybridTimes.push(performance.now() - started);
    }
    record({
      figure: `conversation.message.search hybrid (text + embedding) over ${SCOPED} messages of one user, p50`,
      value: percentile(hybridTimes, 50),
      unit: "ms",
      target: "reported",
      met: true,
    });

    // Saving with and without embeddings, 64 in flight, and what a read meanwhile waits.
    const ingest = await conversation("ingest");
    const probe: [string, unknown] = ["rosey.db.conversation.message.count", { conversation_id: small }];
    const saves = SAVES;
    const plain = await latencyDuring(
      nc,
      probe,
      concurrently(nc, "rosey.db.conversation.message.save", saves, (i) => ({
        conversation_id: ingest,
        role: "user",
        content: `plain ${i}`,
      })),
    );
    const embedded = await latencyDuring(
      nc,
      probe,
      concurrently(nc, "rosey.db.conversation.message.save", saves, (i) => ({
        conversation_id: ingest,
        role: "user",
        content: `embedded ${i}`,
        embedding: list(source.next().vector),
      })),
    );
    record({
      figure: `conversation.message.save with a ${DIMENSIONS}-dimension embedding, ${IN_FLIGHT} in flight (${saves})`,
      value: embedded.rate,
      unit: "msg/s",
      baseline: { name: "the same without embeddings", value: plain.rate },
      target: "reported",
      met: true,
    });
    record({
      figure: `a read's p99 while saving with embeddings (max ${embedded.max.toFixed(1)} ms)`,
      value: embedded.p99,
      unit: "ms",
      baseline: { name: `while saving without (max ${plain.max.toFixed(1)} ms)`, value: plain.p99 },
      target: "reported",
      met: true,
    });

    // Memories: items under 100 users' namespaces with text and embeddings, the index built after.
    const memoryIndex = indexSql(db, "idx_memory_embeddings_vector");
    db.exec("DROP INDEX idx_memory_embeddings_vector");
    const item = db.prepare(
      `INSERT INTO memory_items (namespace, key, value, text, importance, created_at, updated_at)
       VALUES (?, ?, '{"kind":"fact"}', ?, ?, 1000, 1000)`,
    );
    const itemEmbedding = db.prepare("INSERT INTO memory_embeddings (item_id, embedding) VALUES (?, ?)");
    db.exec("BEGIN");
    for (let i = 0; i < MEMORY_ITEMS; i++) {
      const { vector, cluster } = source.next();
      const { lastInsertRowid } = item.run([
        JSON.stringify([`user${i % 100}`, "facts"]),
        `k${i}`,
        `remembers topic${cluster} and detail${i % 1000}`,
        1 + (i % 5),
      ]);
      itemEmbedding.run([lastInsertRowid, blob(vector)]);
      if (i % 1000 === 999) db.exec("COMMIT; BEGIN");
    }
    db.exec("COMMIT");
    db.exec("PRAGMA cache_size = -1048576");
    started = performance.now();
    db.exec(memoryIndex);
    record({
      figure: `vector index build over ${MEMORY_ITEMS} memory items`,
      value: (performance.now() - started) / 1000,
      unit: "s",
      target: "reported",
      met: true,
    });
    for (const prefix of [[], ["user7"]]) {
      const times: number[] = [];
      for (let q = 0; q < QUERIES; q++) {
        const { vector, cluster } = source.next();
        started = performance.now();
        await ask(nc, "rosey.db.memory.search", {
          namespace_prefix: prefix,
          query: `topic${cluster}`,
          embedding: list(vector),
          limit: 10,
        });
        times.push(performance.now() - started);
      }
      const scope = prefix.length === 0 ? `all ${MEMORY_ITEMS} items` : `one user's ${MEMORY_ITEMS / 100} items`;
      record({
        figure: `memory.search hybrid (text + embedding) over ${scope} of ${MEMORY_ITEMS}, p50`,
        value: percentile(times, 50),
        unit: "ms",
        target: "<= 10",
        met: percentile(times, 50) <= 10,
      });
    }
  } finally {
    db.close();
    await nc.close();
    await service.stop();
  }
}

if (import.meta.main) {
  const workDir = await Deno.makeTempDir({ prefix: "rosey-db-bench-memory-" });
  const nats = await startNatsServer({ install: true });
  const figures: Figure[] = [];
  try {
    await memoryFigures({
      natsUrl: nats.url,
      workDir,
      record(figure) {
        figures.push(figure);
        console.log(`${figure.figure}: ${figure.value.toFixed(3)} ${figure.unit}`);
      },
    });
  } finally {
    await nats.stop();
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
  console.log("--");
  for (const f of figures) {
    const baseline = f.baseline ? ` (${f.baseline.name}: ${f.baseline.value.toFixed(3)})` : "";
    console.log(
      `${f.figure}: ${f.value.toFixed(3)} ${f.unit}${baseline}, target ${f.target}: ${f.met ? "met" : "not met"}`,
    );
  }
}
