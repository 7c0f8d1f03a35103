/** Bench publisher process: `deno run -A publish.ts NATS_URL SUBJECT COUNT` publishes COUNT chat events as fast as it can. */
import { connect } from "@nats-io/transport-node";

const [url, subject, countText] = Deno.args;
const count = Number(countText);
const nc = await connect({ servers: url });
const encoder = new TextEncoder();
const users = Array.from({ length: 50 }, (_, i) => `user${i}`);
const started = performance.now();
for (let i = 0; i < count; i++) {
  nc.publish(
    subject,
    encoder.encode(JSON.stringify({ username: users[i % users.length], message: `bench message ${i} with some text` })),
  );
  // Let the socket drain now and then, so the client's buffer stays bounded.
  if (i % 5000 === 4999) await nc.flush();
}
await nc.flush();
console.log(JSON.stringify({ published: count, seconds: (performance.now() - started) / 1000 }));
await nc.close();
