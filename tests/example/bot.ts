/**
 * An example bot: simulates a channel against rosey-db through the typed client.
 * `deno task demo` runs it for DEMO_SECONDS (default 20) against NATS_URL (default the embedded
 * nats://127.0.0.1:4222), or directly on DATABASE_URL when no NATS server answers.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createRoseyClient, type RoseyClient } from "../../shared/client/mod.ts";
import { createLogger } from "../../shared/log.ts";

const USERS = ["alice", "bob", "carol", "dana", "émile", "frank"];
const LINES = ["hi all", "what's playing?", "brb", "lol", "good song ✓", "'; DROP TABLE users; --"];

/** Options for {@linkcode runDemoBot}. */
export interface DemoOptions {
  client: RoseyClient;
  seconds: number;
  /** Milliseconds between simulated channel ticks. */
  tickMs?: number;
  /** Milliseconds between outbound polls (2 s like the real bot). */
  pollMs?: number;
}

/** Runs the simulated channel and returns what it did. */
export async function runDemoBot({ client, seconds, tickMs = 250, pollMs = 2000 }: DemoOptions) {
  const online = new Set<string>();
  const done = { joins: 0, leaves: 0, lines: 0, sent: 0, failed: 0, polls: 0 };
  const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];
  await client.statusUpdate({ status: "connected" });
  await client.statusUpdate({
    status_data: { bot_name: "DemoBot", channel_name: "lobby", bot_start_time: Math.floor(Date.now() / 1000) },
  });

  const poll = setInterval(async () => {
    done.polls++;
    for (const message of await client.messagesOutboundGet({ limit: 10 })) {
      if (Math.random() < 0.8) {
        await client.messagesOutboundMarkSent({ message_id: message.id });
        done.sent++;
      } else {
        await client.messagesOutboundMarkFailed({ message_id: message.id, error: "rate limited" });
        done.failed++;
      }
    }
  }, pollMs);

  const end = Date.now() + seconds * 1000;
  for (let tick = 0; Date.now() < end; tick++) {
    const user = pick(USERS);
    if (!online.has(user)) {
      online.add(user);
      await client.userJoined({ username: user });
      done.joins++;
    } else if (Math.random() < 0.15) {
      online.delete(user);
      await client.userLeft({ username: user });
      done.leaves++;
    } else {
      await client.messageLog({ username: user, message: pick(LINES) });
      done.lines++;
      if (Math.random() < 0.3) await client.messagesOutboundEnqueue({ message: `reply to ${user}` });
    }
    if (tick % 8 === 0) {
      await client.statsUserCount({ chat_count: online.size, connected_count: online.size + 2 });
      await client.statsHighWater({ chat_count: online.size, connected_count: online.size + 2 });
      await client.statusUpdate({
        status_data: { current_chat_users: online.size, current_connected_users: online.size + 2 },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  clearInterval(poll);
  await client.statusUpdate({ status: "disconnected" });
  return { ...done, stats: await client.queryChannelStats() };
}

if (import.meta.main) {
  const log = createLogger({ level: "DEBUG", format: "pretty" });
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ servers: Deno.env.get("NATS_URL") ?? "nats://127.0.0.1:4222", timeout: 1000 });
  } catch {
    log.warn("No NATS server answered; the client runs the handlers directly on the local database");
  }
  const client = createRoseyClient({ nc, log });
  const result = await runDemoBot({ client, seconds: Number(Deno.env.get("DEMO_SECONDS") ?? 20) });
  console.log(JSON.stringify(result, null, 2));
  await client.close();
  await nc?.close();
}
