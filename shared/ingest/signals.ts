/**
 * What the ingest pipeline tells the service: event outcomes, handler times and the state of its
 * parts, for metrics, $SRV statistics and /ready. One interface whether the pipeline runs on the
 * service's thread (called directly) or on the ingest thread (posted as typed messages).
 */
import type { Metrics } from "../metrics.ts";
import type { ConnectionState, NatsRole } from "../nats/connection.ts";
import type { JetStreamSignals } from "../nats/jetstream.ts";
import type { Router } from "../runtime/router.ts";
import type { OutcomeListener } from "../storage/writer/outcomes.ts";

/** The pipeline's signals; each method's arguments are plain data, so they can cross threads. */
export interface IngestSignals extends JetStreamSignals {
  /** An event's final outcome after commit: once per dead letter, once per subject for `count` stored. */
  outcome: OutcomeListener;
  /** A handler call (one event, or one `handleBatch` run) took `seconds`. */
  handled(subject: string, seconds: number, events: number): void;
  /** A write transaction found the database locked and will try again. */
  busyRetry(): void;
  /** A NATS connection of the pipeline changed state. */
  connection(role: NatsRole, state: ConnectionState): void;
  /** A start-up stage failed (with the reason) or passed (undefined). */
  stage(name: string, reason: string | undefined): void;
}

/** The names of the signals, for relaying them. */
const SIGNALS = [
  "outcome",
  "handled",
  "busyRetry",
  "connection",
  "stage",
  "jetstreamStarted",
  "jetstreamAcked",
] as const satisfies readonly (keyof IngestSignals)[];

/** One signal as a message: its name and its arguments, typed by {@linkcode IngestSignals}. */
export type SignalMessage = {
  [K in keyof IngestSignals]: [signal: K, args: Parameters<IngestSignals[K]>];
}[keyof IngestSignals];

/** Signals that are sent as messages, those of one turn of the event loop together. */
export function postedSignals(post: (messages: SignalMessage[]) => void): IngestSignals {
  let pending: SignalMessage[] = [];
  const send = (message: SignalMessage) => {
    if (pending.length === 0) {
      queueMicrotask(() => {
        const messages = pending;
        pending = [];
        post(messages);
      });
    }
    pending.push(message);
  };
  return Object.fromEntries(
    SIGNALS.map((name) => [name, (...args: unknown[]) => send([name, args] as SignalMessage)]),
  ) as unknown as IngestSignals;
}

/** Delivers posted signals to `signals`. */
export function deliverSignals(messages: SignalMessage[], signals: IngestSignals): void {
  for (const [name, args] of messages) (signals[name] as (...args: unknown[]) => void)(...args);
}

/** The service's own signals: metrics, the router's per-subject statistics and the start-up stages. */
export function serviceSignals(
  router: Router,
  metrics: Metrics,
  onStage: (name: string, reason: string | undefined) => void,
): IngestSignals {
  return {
    outcome: (...args) => router.recordEventOutcome(...args),
    handled: (...args) => router.recordEventHandled(...args),
    busyRetry: () => metrics.busyRetries.inc(),
    connection: (role, state) => metrics.recordConnection(role, state),
    stage: onStage,
    jetstreamStarted: (pending) => metrics.initJetStream(pending),
    jetstreamAcked: (batch) => metrics.recordJetStreamBatch(batch),
  };
}
