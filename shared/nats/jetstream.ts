/**
 * Durable ingestion: a stream captures the event subjects (never a request subject, or its
 * requester would get the stream's PubAck as the reply), a durable pull consumer shared by all
 * instances feeds batches to the writer, and each batch is acknowledged only after it committed.
 */
import { type Consumer, jetstream, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Config, streamName } from "../config.ts";
import type { Logger } from "../log.ts";
import type { RouteTable } from "../runtime/routes.ts";
import type { EventEntry, Writer } from "../storage/writer.ts";
import type { EventFunction } from "../function/define.ts";
import { appliedHooks, forgetApplied } from "./jetstream_applied.ts";
import { ensureStreamAndConsumer, FETCH_BATCH } from "./jetstream_stream.ts";

/** How long an applied sequence is remembered at least: well beyond nats-server's sync interval. */
const APPLIED_KEPT_SECONDS = 3600;

/** A running ingest loop. */
export interface JetStreamIngest {
  /** Why the loop is not consuming right now, if it is not. */
  problem(): string | undefined;
  /** Finishes the batch in hand (committed and acked), then stops. */
  stop(): Promise<void>;
}

/** What the consumer reports, for metrics. */
export interface JetStreamSignals {
  /** Consuming began with `pending` events waiting in the stream. */
  jetstreamStarted(pending: number): void;
  /** A batch was acknowledged `seconds` after it arrived; `pending` events wait behind it. */
  jetstreamAcked(batch: { seconds: number; pending: number; redelivered: number; duplicates: number }): void;
}

/** Options for {@linkcode startJetStreamIngest}. */
export interface JetStreamIngestOptions {
  nc: NatsConnection;
  /** The event routes to capture, and the route (with parameters) of a message's subject. */
  routes: Pick<RouteTable, "routes" | "match">;
  writer: Writer;
  config: Config;
  log: Logger;
  signals: JetStreamSignals;
  /** Seconds before an unacknowledged event is delivered again (default {@linkcode ACK_WAIT_SECONDS}). */
  ackWaitSeconds?: number;
  /** Called with a fetched batch's size once the writer has it queued. */
  onQueued?(events: number): void;
}

/** Seconds before an unacknowledged event is delivered again: a fetched batch commits well within it. */
export const ACK_WAIT_SECONDS = 30;
export { FETCH_BATCH, MAX_DELIVER } from "./jetstream_stream.ts";

/**
 * Longest pause between failed fetches. While a cluster elects the consumer's new leader (5 to 10 s
 * after a server dies), a fetch fails every 1 to 1.5 s on missed heartbeats; a longer pause (5 s once)
 * only delayed the first fetch after the election by up to that much.
 */
const RETRY_PAUSE_MAX_MS = 1000;

/** Starts consuming; throws when the stream or consumer cannot be set up. */
export async function startJetStreamIngest(options: JetStreamIngestOptions): Promise<JetStreamIngest> {
  const { nc, config, log, signals, writer } = options;
  const { jsm, streamKey } = await ensureStreamAndConsumer(nc, {
    routes: options.routes.routes,
    config,
    log,
    ackWaitSeconds: options.ackWaitSeconds ?? ACK_WAIT_SECONDS,
  });
  const consumer: Consumer = await jetstream(nc).consumers.get(streamName(config), config.QUEUE_GROUP);
  let running = true;
  let problem: string | undefined;
  let batches = 0;
  // Zero from the start, so that dashboards show the series before the first redelivery.
  signals.jetstreamStarted((await consumer.info(true)).num_pending);
  log.info("Consuming events from JetStream", { stream: streamName(config), consumer: config.QUEUE_GROUP });

  const applyBatch = async (messages: JsMsg[], fetchedAt: number) => {
    const entries: EventEntry[] = [];
    let redelivered = 0, duplicates = 0;
    for (const m of messages) {
      const match = options.routes.match(m.subject);
      // The stream captures event subjects only, so every message has a route.
      entries.push({
        kind: "event",
        fn: match!.route.fn as EventFunction,
        subject: m.subject,
        params: match!.params,
        raw: m.data,
      });
      if (m.redelivered) redelivered++;
    }
    const applied = writer.applyBatch(entries, appliedHooks(streamKey, messages));
    options.onQueued?.(entries.length);
    const outcomes = await applied;
    messages.forEach((m, i) => {
      // A poison event is in dead_letters now: terminate it rather than have it delivered again.
      if (outcomes[i] === "dead_letter") m.term();
      else m.ack();
      if (outcomes[i] === "duplicate") duplicates++;
    });
    signals.jetstreamAcked({
      seconds: (performance.now() - fetchedAt) / 1000,
      pending: messages.at(-1)!.info.pending,
      redelivered,
      duplicates,
    });
  };

  // A sequence (and a message id) can come again while it is in the stream, or while a copy redelivered before its ack
  // was processed is still in a fetched batch, or after nats-server crashed and restored what it
  // had not synced (acknowledgements included; it syncs every 2 minutes by default). So a row goes
  // only once its sequence is below the stream's first sequence seen at the previous pruning, 200
  // batches ago, and it is older than APPLIED_KEPT_SECONDS.
  let prunableBelow = 0;
  const prune = async () => {
    const { state } = await jsm.streams.info(streamName(config));
    const below = prunableBelow;
    prunableBelow = state.first_seq;
    if (below === 0) return;
    const before = Math.floor(Date.now() / 1000) - APPLIED_KEPT_SECONDS;
    await writer.run((tx) => forgetApplied(tx, streamKey, { below, before }));
  };

  /**
   * A batch, and the error that cut it short: what arrived before it is written now, not redelivered
   * 30 s later. A fetch that fails has waited `tookMs` for it (two missed heartbeats, 1 to 1.5 s, while
   * the consumer has no leader).
   */
  const fetchBatch = async (): Promise<{ messages: JsMsg[]; error?: Error; tookMs: number }> => {
    const messages: JsMsg[] = [];
    const started = performance.now();
    try {
      for await (const m of await consumer.fetch({ max_messages: FETCH_BATCH, expires: 1000 })) {
        messages.push(m);
      }
    } catch (error) {
      return { messages, error: error as Error, tookMs: performance.now() - started };
    }
    return { messages, tookMs: performance.now() - started };
  };

  const loop = (async () => {
    let next: ReturnType<typeof fetchBatch> | undefined;
    for (let failures = 0; running;) {
      let unwritten: JsMsg[] = [];
      let fetchWaitedMs = 0;
      try {
        const { messages, error, tookMs } = await (next ?? fetchBatch());
        // Cut short by the consumer's new leader, which takes the next pull at once; or after two missed
        // heartbeats, which took longer than the pause.
        if (error) fetchWaitedMs = /leadership change/i.test(error.message) ? Infinity : tookMs;
        // The next batch travels while this one is written; after a failure, only after the pause.
        next = running && !error ? fetchBatch() : undefined;
        unwritten = messages;
        if (messages.length > 0) await applyBatch(messages, performance.now());
        unwritten = [];
        if (error) throw error;
        if (++batches % 200 === 0) await prune();
        failures = 0;
        problem = undefined;
      } catch (error) {
        failures++;
        problem = (error as Error).message;
        log.warn("JetStream fetch failed; retrying", { error: problem });
        const pause = Math.min(RETRY_PAUSE_MAX_MS, 50 * 2 ** Math.min(failures, 5));
        // Not written: delivered again after the pause rather than after the whole ack wait.
        for (const m of unwritten) m.nak(pause);
        // A fetch that failed as the consumer's leader changed, or by waiting for heartbeats, asks again at once.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, pause - fetchWaitedMs)));
      }
    }
    // Stopping: what was already fetched is written and acknowledged, not left to redelivery.
    const rest = (await next)?.messages;
    if (rest?.length) {
      await applyBatch(rest, performance.now()).catch((error) =>
        log.warn("Last JetStream batch not written; it will be delivered again", { error: (error as Error).message })
      );
    }
  })();

  return {
    problem: () => problem,
    async stop() {
      running = false;
      await loop;
    },
  };
}
