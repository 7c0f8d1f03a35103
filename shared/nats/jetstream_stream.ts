/**
 * The event stream and its durable consumer, made or brought in line with the configuration at
 * start-up: subjects, maximum age, replicas (JETSTREAM_REPLICAS) and the consumer's delivery settings.
 */
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Config, streamName } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Route } from "../runtime/routes.ts";

const SECOND_NS = 1_000_000_000;

/** Deliveries of one event before the server gives up: a bad event is dead-lettered at its first. */
export const MAX_DELIVER = 10;
/** Events fetched and committed together: the writer's own batch size. */
export const FETCH_BATCH = 1000;

/** What {@linkcode ensureStreamAndConsumer} needs beside the connection. */
export interface StreamSetupOptions {
  routes: Route[];
  config: Config;
  log: Logger;
  ackWaitSeconds: number;
}

/**
 * Creates or updates the stream and the durable consumer from configuration, and returns the stream's
 * key (its name and creation time: a stream deleted and made again starts its sequences anew).
 */
export async function ensureStreamAndConsumer(
  nc: NatsConnection,
  { routes, config, log, ackWaitSeconds }: StreamSetupOptions,
): Promise<{ jsm: JetStreamManager; streamKey: string }> {
  const jsm = await jetstreamManager(nc);
  const subjects = routes.filter((r) => r.fn.kind === "event").map((r) => r.fullSubject);
  const replicas = config.JETSTREAM_REPLICAS;
  const stream = {
    name: streamName(config),
    subjects,
    retention:
      { workqueue: RetentionPolicy.Workqueue, limits: RetentionPolicy.Limits, interest: RetentionPolicy.Interest }[
        config.JETSTREAM_RETENTION
      ],
    storage: StorageType.File,
    max_age: config.RETENTION.events * SECOND_NS,
    num_replicas: replicas,
  };
  const existing = await jsm.streams.info(stream.name).catch(absentOn(JetStreamApiCodes.StreamNotFound));
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
    (existing.config.num_replicas || 1) === replicas && sameSet(existing.config.subjects ?? [], stream.subjects);
  if (existing && (existing.config.num_replicas || 1) !== replicas) {
    log.info("Scaling the event stream to JETSTREAM_REPLICAS", {
      stream: stream.name,
      from: existing.config.num_replicas || 1,
      to: replicas,
    });
  }
  const info = !existing
    ? await jsm.streams.add(stream).catch(replicasProblem(replicas))
    : unchanged
    ? existing
    : await jsm.streams.update(stream.name, {
      subjects: stream.subjects,
      max_age: stream.max_age,
      num_replicas: replicas,
    }).catch(replicasProblem(replicas));
  const current = await jsm.consumers.info(stream.name, config.QUEUE_GROUP).catch(
    absentOn(JetStreamApiCodes.ConsumerNotFound),
  );
  const settings = {
    ack_wait: ackWaitSeconds * SECOND_NS,
    max_deliver: MAX_DELIVER,
    max_ack_pending: FETCH_BATCH * 4,
    num_replicas: replicas,
  };
  const consumer = {
    durable_name: config.QUEUE_GROUP,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ...settings,
  };
  // A consumer made before JETSTREAM_REPLICAS has 0 replicas: as many as its stream.
  const currentSetting = (key: keyof typeof settings) =>
    key === "num_replicas" ? current!.config.num_replicas || existing?.config.num_replicas || 1 : current!.config[key];
  if (!current) await jsm.consumers.add(stream.name, consumer);
  else if (Object.entries(settings).some(([key, value]) => currentSetting(key as keyof typeof settings) !== value)) {
    await jsm.consumers.update(stream.name, consumer.durable_name, settings);
  }
  return { jsm, streamKey: `${stream.name}@${info.created}` };
}

/** Says what to do when the servers cannot hold the stream's replicas (a single server, a smaller cluster). */
function replicasProblem(replicas: number) {
  return (error: Error): never => {
    if (replicas > 1 && /replica|clustered|insufficient resources/i.test(error.message)) {
      throw new Error(
        `cannot keep the event stream on ${replicas} servers (JETSTREAM_REPLICAS): ${error.message}; a NATS cluster of at least ${replicas} servers with JetStream is needed, or JETSTREAM_REPLICAS=1`,
      );
    }
    throw error;
  };
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * undefined for the API's "not found" (`code`), so that it is made; any other failure (a timeout
 * during a leader election) is thrown, so that start-up retries rather than add over a stream that exists.
 */
function absentOn(code: number) {
  return (error: unknown): undefined => {
    if (error instanceof JetStreamApiError && error.code === code) return undefined;
    throw error;
  };
}
