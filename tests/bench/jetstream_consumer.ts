/**
 * Bench baseline of durable ingest: `deno run -A jetstream_consumer.ts NATS_URL COUNT` makes a stream as
 * the service's is (work queue, file storage), starts publish.ts on its subject and consumes with a bare
 * pull consumer that fetches, acks and discards, as fast as it can; prints the end-to-end rate. It is
 * what JetStream itself costs, so the service's durable ingest is measured against it.
 */
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

const [url, countText] = Deno.args;
const count = Number(countText);
const STREAM = "BENCH_BASELINE";
const SUBJECT = "bench.baseline.chat";
/** As many events a fetch as the service asks for (shared/nats/jetstream_stream.ts FETCH_BATCH). */
const FETCH = 1000;

const nc = await connect({ servers: url });
const jsm = await jetstreamManager(nc);
await jsm.streams.delete(STREAM).catch(() => {});
await jsm.streams.add({
  name: STREAM,
  subjects: [SUBJECT],
  retention: RetentionPolicy.Workqueue,
  storage: StorageType.File,
});
await jsm.consumers.add(STREAM, {
  durable_name: "baseline",
  ack_policy: AckPolicy.Explicit,
  max_ack_pending: FETCH * 4,
});
const consumer = await jetstream(nc).consumers.get(STREAM, "baseline");

const started = performance.now();
const publisher = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL("./publish.ts", import.meta.url).pathname, url, SUBJECT, String(count)],
  stdout: "null",
  stderr: "inherit",
}).output();
let consumed = 0;
while (consumed < count) {
  const batch = await consumer.fetch({ max_messages: FETCH, expires: 1000 });
  for await (const message of batch) {
    message.ack();
    consumed++;
  }
}
await nc.flush();
const seconds = (performance.now() - started) / 1000;
await publisher;
await jsm.streams.delete(STREAM);
await nc.close();
console.log(JSON.stringify({ consumed, seconds, rate: count / seconds }));
