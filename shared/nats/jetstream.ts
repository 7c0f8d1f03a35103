/**
 * Durable ingestion: a stream captures the event subjects (never a request subject, or its
 * requester would get the stream's PubAck as the reply), a durable pull consumer shared by all
 * instances feeds batches to the writer, and each batch is acknowledged only after it committed.
 */
import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JsMsg,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Config, streamName } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Route, RouteTable } from "../runtime/routes.ts";
import type { EventEntry, Writer } from "../storage/writer.ts";
import type { EventFunction } from "../function/define.ts";
import { appliedHooks, forgetApplied } from "./jetstream_applied.ts";

const SECOND_NS = 1_000_000_000;
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
/** Deliveries of one event before the server gives up: a bad event is dead-lettered at its first. */
export const MAX_DELIVER = 10;
/** Events fetched and committed together: the writer's own batch size. */
export const FETCH_BATCH = 1000;

/** Creates or updates the stream and the durable consumer from configuration. */
async function ensureStreamAndConsumer(
  nc: NatsConnection,
  routes: Route[],
  config: Config,
  log: Logger,
  ackWaitSeconds: number,
) {
  const jsm = await jetstreamManager(nc);
  const subjects = routes.filter((r) => r.fn.kind === "event").map((r) => r.fullSubject);
  const stream = {
    name: streamName(config),
    subjects,
    retention:
      { workqueue: RetentionPolicy.Workqueue, limits: RetentionPolicy.Limits, interest: RetentionPolicy.Interest }[
        config.JETSTREAM_RETENTION
      ],
    storage: StorageType.File,
    max_age: config.RETENTION.events * SECOND_NS,
  };
  const existing = await jsm.streams.info(stream.name).catch(() => undefined);
  if (existing && existing.config.retention !== stream.retention) {
    // The server cannot change a stream's retention in place; say so rather than pretend.
    log.warn("JETSTREAM_RETENTION differs from the existing stream's; keeping the stream's", {
      stream: stream.name,
      configured: stream.retention,
      existing: existing.config.retention,
    });
  }
  // An unchanged stream is left alone: instances restart while events are being published.
  const unchanged = existing && existing.config.max_age === stream.max_age &&
    sameSet(existing.config.subjects ?? [], stream.subjects);
  const info = !existing
    ? await jsm.streams.add(stream)
    : unchanged
    ? existing
    : await jsm.streams.update(stream.name, { subjects: stream.subjects, max_age: stream.max_age });
  const current = await jsm.consumers.info(stream.name, config.QUEUE_GROUP).catch(() => undefined);
  const consumer = {
    durable_name: config.QUEUE_GROUP,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ackWaitSeconds * SECOND_NS,
    max_deliver: MAX_DELIVER,
    max_ack_pending: FETCH_BATCH * 4,
  };
  const settings = {
    ack_wait: consumer.ack_wait,
    max_deliver: consumer.max_deliver,
    max_ack_pending: consumer.max_ack_pending,
  };
  if (!current) await jsm.consumers.add(stream.name, consumer);
  else if (Object.entries(settings).some(([key, value]) => current.config[key as keyof typeof settings] !== value)) {
    await jsm.consumers.update(stream.name, consumer.durable_name, settings);
  }
  return { jsm, streamKey: `${stream.name}@${info.created}` };
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Starts consuming; throws when the stream or consumer cannot be set up. */
export async function startJetStreamIngest(options: JetStreamIngestOptions): Promise<JetStreamIngest> {
  const { nc, config, log, signals, writer } = options;
  const { jsm, streamKey } = await ensureStreamAndConsumer(
    nc,
    options.routes.routes,
    config,
    log,
    options.ackWaitSeconds ?? ACK_WAIT_SECONDS,
  );
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

  /** A batch, and the error that cut it short: what arrived before it is written now, not redelivered 30 s later. */
  const fetchBatch = async (): Promise<{ messages: JsMsg[]; error?: Error }> => {
    const messages: JsMsg[] = [];
    try {
      for await (const m of await consumer.fetch({ max_messages: FETCH_BATCH, expires: 1000 })) {
        messages.push(m);
      }
    } catch (error) {
      return { messages, error: error as Error };
    }
    return { messages };
  };

  const loop = (async () => {
    let next: ReturnType<typeof fetchBatch> | undefined;
    for (let failures = 0; running;) {
      let unwritten: JsMsg[] = [];
      try {
        const { messages, error } = await (next ?? fetchBatch());
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
        const pause = Math.min(5000, 100 * 2 ** Math.min(failures, 6));
        // Not written: delivered again after the pause rather than after the whole ack wait.
        for (const m of unwritten) m.nak(pause);
        await new Promise((resolve) => setTimeout(resolve, pause));
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
