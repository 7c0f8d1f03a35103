/** NATS service discovery (ADR-32): answers `$SRV.PING|INFO|STATS` for this instance. */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";

export const SERVICE_NAME = "rosey-db";
export const SERVICE_VERSION = "0.1.0";

/** Per-endpoint counters, in the shape of an ADR-32 stats endpoint. */
export interface EndpointStats {
  name: string;
  subject: string;
  queue_group: string;
  metadata: Record<string, string>;
  num_requests: number;
  num_errors: number;
  last_error: string;
  /** Nanoseconds. */
  processing_time: number;
  average_processing_time: number;
}

/** Creates the stats record of one endpoint. */
export function endpointStats(
  name: string,
  subject: string,
  queueGroup: string,
  metadata: Record<string, string>,
): EndpointStats {
  return {
    name,
    subject,
    queue_group: queueGroup,
    metadata,
    num_requests: 0,
    num_errors: 0,
    last_error: "",
    processing_time: 0,
    average_processing_time: 0,
  };
}

/** Adds one handled message (or a batch of `count`) to an endpoint's stats. */
export function recordEndpoint(stats: EndpointStats, seconds: number, error?: string, count = 1): void {
  stats.num_requests += count;
  stats.processing_time += Math.round(seconds * 1e9);
  stats.average_processing_time = Math.round(stats.processing_time / stats.num_requests);
  if (error !== undefined) {
    stats.num_errors += count;
    stats.last_error = error;
  }
}

/** Options for {@linkcode serveDiscovery}. */
export interface DiscoveryOptions {
  id: string;
  description: string;
  endpoints: EndpointStats[];
  metadata?: Record<string, string>;
}

/** Subscribes the nine `$SRV` subjects; returns the subscriptions. */
export function serveDiscovery(nc: NatsConnection, options: DiscoveryOptions): Subscription[] {
  const started = new Date().toISOString();
  const base = { name: SERVICE_NAME, id: options.id, version: SERVICE_VERSION, metadata: options.metadata ?? {} };
  const replies: Record<string, () => unknown> = {
    PING: () => ({ type: "io.nats.micro.v1.ping_response", ...base }),
    INFO: () => ({
      type: "io.nats.micro.v1.info_response",
      ...base,
      description: options.description,
      endpoints: options.endpoints.map(({ name, subject, queue_group, metadata }) => ({
        name,
        subject,
        queue_group,
        metadata,
      })),
    }),
    STATS: () => ({
      type: "io.nats.micro.v1.stats_response",
      ...base,
      started,
      endpoints: options.endpoints.map(({ metadata: _, ...stats }) => stats),
    }),
  };
  const subs: Subscription[] = [];
  for (const [verb, reply] of Object.entries(replies)) {
    for (
      const subject of [`$SRV.${verb}`, `$SRV.${verb}.${SERVICE_NAME}`, `$SRV.${verb}.${SERVICE_NAME}.${options.id}`]
    ) {
      subs.push(nc.subscribe(subject, { callback: (_err, msg) => void msg.respond(JSON.stringify(reply())) }));
    }
  }
  return subs;
}
