/**
 * Two client workloads for the benchmark: read-your-writes trials under a flood of events, and a
 * realistic bot (steady chat events, polls, user lookups, an LLM app saving and reading messages).
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { percentile, sleep } from "./_harness.ts";

const encoder = new TextEncoder();
const json = (value: unknown) => encoder.encode(JSON.stringify(value));
/** Events the flooding connection publishes between two of its own requests, which pace it. */
const FLOOD_BURST = 1000;

/**
 * `message.log` for a fresh user then `query.user_stats` for that user on one connection, `trials`
 * times, while a second connection floods `message.log` (paced by one request per burst); returns
 * the misses and the trial requests' p99.
 */
export async function readYourWrites(natsUrl: string, trials: number): Promise<{ misses: number; p99: number }> {
  const [nc, flooder] = await Promise.all([connect({ servers: natsUrl }), connect({ servers: natsUrl })]);
  let flooding = true;
  const flood = (async () => {
    const payload = json({ username: "flood", message: "flood line" });
    while (flooding) {
      for (let i = 0; i < FLOOD_BURST; i++) flooder.publish("rosey.db.message.log", payload);
      await flooder.request("rosey.db.query.user_stats", json({ username: "flood" }), { timeout: 30_000 });
    }
  })();
  let misses = 0;
  const times: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const username = `ryw_${trial}_${crypto.randomUUID().slice(0, 8)}`;
    nc.publish("rosey.db.message.log", json({ username, message: "mine" }));
    const started = performance.now();
    const reply = await nc.request("rosey.db.query.user_stats", json({ username }), { timeout: 30_000 });
    times.push(performance.now() - started);
    const stats = reply.data.length > 0 ? reply.json<{ found?: boolean; total_chat_lines?: number }>() : {};
    if (!stats.found || stats.total_chat_lines !== 1) misses++;
  }
  flooding = false;
  await flood;
  await Promise.all([nc.close(), flooder.close()]);
  return { misses, p99: percentile(times, 99) };
}

/** Chat events per second of the bot workload: a busy channel. */
const EVENTS_PER_SECOND = 300;
const USERS = 50;

/**
 * A bot for `seconds`: chat events (message.log, user.joined/left) at {@linkcode EVENTS_PER_SECOND},
 * `messages.outbound.get` and `status.get` every second, `query.user_stats` for varied users 20
 * times a second, and an LLM app calling `conversation.message.last` after each
 * `conversation.message.save`. Returns the requests' mean and p99 latency in ms.
 */
export async function botWorkload(natsUrl: string, seconds: number): Promise<{ mean: number; p99: number }> {
  const [bot, llm] = await Promise.all([connect({ servers: natsUrl }), connect({ servers: natsUrl })]);
  const times: number[] = [];
  const ask = async (nc: NatsConnection, subject: string, body: unknown) => {
    const started = performance.now();
    const reply = await nc.request(`rosey.db.${subject}`, json(body), { timeout: 30_000 });
    times.push(performance.now() - started);
    if (reply.headers?.get("Nats-Service-Error-Code")) throw new Error(`${subject} failed: ${reply.string()}`);
    return reply.json<Record<string, unknown>>();
  };
  const user = () => `user${Math.floor(Math.random() * USERS)}`;
  const until = performance.now() + seconds * 1000;
  const running = () => performance.now() < until;
  const chat = (async () => {
    // Ten ticks a second, each publishing a tenth of the second's events.
    for (let tick = 0; running(); tick++) {
      for (let i = 0; i < EVENTS_PER_SECOND / 10; i++) {
        const kind = i % 15;
        const subject = kind === 0 ? "user.joined" : kind === 1 ? "user.left" : "message.log";
        bot.publish(`rosey.db.${subject}`, json({ username: user(), message: `line ${tick}.${i}` }));
      }
      await sleep(100);
    }
  })();
  const polls = (async () => {
    while (running()) {
      await Promise.all([ask(bot, "messages.outbound.get", {}), ask(bot, "status.get", {})]);
      await sleep(1000);
    }
  })();
  const lookups = (async () => {
    while (running()) {
      await ask(bot, "query.user_stats", { username: user() });
      await sleep(50);
    }
  })();
  const app = (async () => {
    const { id } = await ask(llm, "conversation.create", { user_id: "bench" });
    while (running()) {
      await ask(llm, "conversation.message.save", { conversation_id: id, role: "user", content: "hello" });
      await ask(llm, "conversation.message.last", { conversation_id: id, n: 20 });
      await sleep(100);
    }
  })();
  await Promise.all([chat, polls, lookups, app]);
  await Promise.all([bot.close(), llm.close()]);
  return { mean: times.reduce((a, b) => a + b, 0) / times.length, p99: percentile(times, 99) };
}
