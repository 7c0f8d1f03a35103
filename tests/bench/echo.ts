/** Bench baseline: a bare NATS responder (`deno run -A echo.ts NATS_URL SUBJECT`) replying a fixed payload. */
import { connect } from "@nats-io/transport-node";

const [url, subject] = Deno.args;
const nc = await connect({ servers: url });
const reply = new TextEncoder().encode(
  JSON.stringify(Array.from({ length: 20 }, (_, i) => ({ id: i, timestamp: 0, username: "u", message: "m" }))),
);
nc.subscribe(subject, { callback: (_err, msg) => void msg.respond(reply) });
await nc.flush();
console.log("ready");
await nc.closed();
