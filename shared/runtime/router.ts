/** The router: subscribes every function's subject and runs the per-message pipeline. */
import { headers, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { type Config, functionSettings } from "../config.ts";
import type { Database } from "../storage/db.ts";
import { decodeInput, validateInput } from "../function/decode.ts";
import { recordEndpoint } from "../nats/service_discovery.ts";
import { ServiceError, toServiceError } from "../function/errors.ts";
import type { EventFunction, FunctionSettings, RequestContext, RequestFunction } from "../function/define.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { matchesPattern, NO_PARAMS, type Route } from "./routes.ts";
import { Subscriptions } from "./subscriptions.ts";
import { fitReply, type FittedReply, SKIPPED_HEADER } from "./reply_size.ts";

/** nats-server's own default, for a connection whose INFO has not said. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
import type { EventEntry, Writer } from "../storage/writer.ts";

/**
 * Longest wait of a request for the events received before it. Never reached in normal work: a flood
 * of a million queued events commits within it (about 150 events per ms). It bounds the wait when
 * the writer cannot commit (a database held busy by another process, a disk that fails), and the
 * request then gets a 503 rather than a reply that might miss its own connection's events. A thread
 * that died releases its waiters at once (shared/ingest/thread.ts), without waiting for this bound.
 */
export const READ_YOUR_WRITES_BOUND_MS = 10_000;

/** What the router hands events to and waits on for read-after-write. */
export interface EventQueue {
  event(entry: Omit<EventEntry, "kind">): void;
  /** Events (and writes) queued and not yet committed. */
  readonly depth: number;
  /** Resolves once everything queued before this call is committed. */
  settled(): Promise<void>;
}

/** Options for {@linkcode Router}. */
export interface RouterOptions {
  config: Config;
  db: Database;
  writer: Writer;
  metrics: Metrics;
  log: Logger;
  /** Where received events go: the writer (the default) or the ingest thread (shared/ingest/thread.ts). */
  events?: EventQueue;
}

/** Subscribes routes and handles their messages until drained. */
export class Router {
  readonly routes: Route[];
  #subs: Subscriptions;
  #nc?: NatsConnection;
  #inFlight = new Set<Promise<void>>();
  #prefixTokens: number;
  #bySubject = new Map<string, Route>();
  #settings: FunctionSettings;

  constructor(routes: Route[], readonly options: RouterOptions) {
    this.routes = routes;
    this.#settings = functionSettings(options.config);
    this.#prefixTokens = options.config.SUBJECT_PREFIX.split(".").length;
    this.#subs = new Subscriptions({ queue: options.config.QUEUE_GROUP, log: options.log, metrics: options.metrics });
    for (const route of routes) {
      this.#bySubject.set(route.fullSubject, route);
      options.metrics.initSubject(route.subject, { kind: route.fn.kind });
    }
  }

  /** Requests received and not yet answered. */
  get requestsInFlight(): number {
    return this.#inFlight.size;
  }

  /** How many routes are subscribed. */
  get subscribed(): number {
    return this.#subs.active;
  }

  /** How many routes this router subscribes: with INGEST_MODE=jetstream, events come from the stream. */
  get expectedSubscriptions(): number {
    return this.#subscribesEvents() ? this.routes.length : this.routes.filter((r) => r.fn.kind === "request").length;
  }

  #subscribesEvents(): boolean {
    return this.options.config.INGEST_MODE !== "jetstream";
  }

  /** The route serving a full subject, and its `[name]` parameters. */
  match(subject: string): { route: Route; params: Record<string, string> } | undefined {
    const route = this.#routeOf(subject);
    return route && { route, params: this.#params(route, subject) };
  }

  /**
   * Subscribes every route in the queue group and waits until the server has them. Events and
   * requests share the connection: the server sends one publisher's messages in the order it
   * published them, so an event published before a request is received before it.
   */
  async start(nc: NatsConnection): Promise<void> {
    this.#nc = nc;
    for (const route of this.routes) {
      if (route.fn.kind === "event") {
        if (!this.#subscribesEvents()) continue;
        this.#subs.add(nc, route, (msg) => this.#onEvent(route, route.fn as EventFunction, msg));
      } else {
        this.#subs.add(nc, route, (msg) => this.#track(this.#onRequest(route, route.fn as RequestFunction, msg)));
      }
    }
    await nc.flush();
  }

  /** Why the server refuses some subscriptions (permissions), one line per subject; empty when none. */
  refusals(): string[] {
    return this.#subs.refusals();
  }

  /**
   * Read-your-writes: resolves once the events received before this request are committed (never
   * waiting for those received after it); undefined, at no cost, when nothing received is
   * uncommitted. Rejects with a 503 after {@linkcode READ_YOUR_WRITES_BOUND_MS}.
   */
  #eventsCommitted(): Promise<void> | undefined {
    const events = this.#events();
    if (events.depth === 0) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<never>((_, reject) =>
      timer = setTimeout(
        () =>
          reject(
            new ServiceError(
              503,
              `Events received before this request are not committed after ${READ_YOUR_WRITES_BOUND_MS / 1000} s`,
            ),
          ),
        READ_YOUR_WRITES_BOUND_MS,
      )
    );
    return Promise.race([events.settled(), bound]).finally(() => clearTimeout(timer));
  }

  #events(): EventQueue {
    return this.options.events ?? this.options.writer;
  }

  /** Stops taking messages, lets requests in flight answer and waits until every received event is committed. */
  async drain(): Promise<void> {
    await this.#subs.drain();
    await Promise.allSettled([...this.#inFlight]);
    await this.options.writer.settled();
  }

  /** Runs a request function in-process (the maintenance timer), with the same validation as over NATS. */
  async call(subject: string, input: unknown): Promise<unknown> {
    const route = this.routes.find((r) => r.subject === subject && r.fn.kind === "request");
    if (!route) throw new Error(`No request function serves "${subject}"`);
    const fn = route.fn as RequestFunction;
    return await fn.handle(validateInput(fn.input, input), this.#requestContext(route, route.fullSubject));
  }

  #requestContext(route: Route, subject: string, receivedAt = Math.floor(Date.now() / 1000)): RequestContext {
    const { db, writer, log } = this.options;
    return {
      db: db.read,
      write: (work, options) => writer.run(work, options),
      publish: (target, payload) => {
        if (!this.#nc || this.#nc.isClosed()) throw new ServiceError(503, "NATS is not connected");
        this.#nc.publish(target, payload);
      },
      subject,
      params: this.#params(route, subject),
      receivedAt,
      config: this.#settings,
      log,
    };
  }

  /** Counts an event's final outcome; called by the writer after commit. */
  recordEventOutcome(subject: string, outcome: "ok" | "dead_letter", code?: string, error?: string, count = 1): void {
    const route = this.#routeOf(subject);
    const label = outcome === "dead_letter" && (code === "invalid_input" || code === "too_large") ? "invalid" : outcome;
    this.options.metrics.messages.inc(route ? route.labels[label] : { subject, outcome: label }, count);
    if (outcome === "dead_letter") {
      this.options.metrics.deadLetters.inc({ subject: route?.subject ?? subject, code: code ?? "" });
    }
    if (!route || error === undefined) return;
    if (label === "invalid") recordEndpoint(route.stats, 0, error);
    else {
      // The failing handler call was already counted as a request by recordEventHandled.
      route.stats.num_errors++;
      route.stats.last_error = error;
    }
  }

  /** Adds handler time to the route's stats; called by the writer. */
  recordEventHandled(subject: string, seconds: number, events: number): void {
    const route = this.#routeOf(subject);
    if (!route) return;
    this.options.metrics.handlerSeconds.observe(seconds, route.labels.subject);
    this.options.metrics.batchSize.observe(events, route.labels.subject);
    recordEndpoint(route.stats, seconds, undefined, events);
  }

  #routeOf(subject: string): Route | undefined {
    return this.#bySubject.get(subject) ?? this.routes.find((r) => matchesPattern(r, subject, this.#prefixTokens));
  }

  #track(work: Promise<void>) {
    this.#inFlight.add(work);
    // A reply that cannot be sent at all (the connection closed under it) must not end the process.
    work.catch((error) => this.options.log.debug("Reply not sent", { error: (error as Error)?.message }))
      .finally(() => this.#inFlight.delete(work));
  }

  #params(route: Route, subject: string): Record<string, string> {
    if (route.params.size === 0) return NO_PARAMS;
    const tokens = subject.split(".");
    const params: Record<string, string> = {};
    for (const [index, name] of route.params) params[name] = tokens[this.#prefixTokens + index];
    return params;
  }

  #onEvent(route: Route, fn: EventFunction, msg: Msg) {
    // Decoding and validation happen when the writer forms the batch (shared/storage/writer.ts).
    // Without [name] tokens the subject is the route's own: no need to decode msg.subject per message.
    const subject = route.params.size === 0 ? route.fullSubject : msg.subject;
    this.#events().event({ fn, subject, params: this.#params(route, subject), raw: msg.data });
  }

  /** The handler's reply, cut to the connected server's max_payload (shared/runtime/reply_size.ts). */
  async #reply(route: Route, fn: RequestFunction, msg: Msg): Promise<FittedReply> {
    const input = decodeInput(fn.input, msg.data, this.options.config.MAX_PAYLOAD_BYTES);
    const value = await fn.handle(input, this.#requestContext(route, msg.subject));
    const reply = fitReply(value, JSON.stringify(value), this.#nc?.info?.max_payload ?? DEFAULT_MAX_PAYLOAD);
    if (reply.headers?.[SKIPPED_HEADER]) {
      this.options.log.warn("Reply items too large to ever send were left out", {
        subject: route.subject,
        skipped: Number(reply.headers[SKIPPED_HEADER]),
      });
    }
    return reply;
  }

  async #onRequest(route: Route, fn: RequestFunction, msg: Msg) {
    const { metrics, log } = this.options;
    const started = performance.now();
    let failure: ServiceError | undefined;
    try {
      const waiting = this.#eventsCommitted();
      if (waiting) await waiting;
      const reply = await this.#reply(route, fn, msg);
      if (!reply.headers) msg.respond(reply.body);
      else {
        const h = headers();
        for (const [name, value] of Object.entries(reply.headers)) h.set(name, value);
        msg.respond(reply.body, { headers: h });
      }
    } catch (error) {
      failure = toServiceError(error);
      if (failure.status >= 500) {
        log.error("Request failed", { subject: route.subject, error: (error as Error)?.message });
      }
      const h = headers();
      h.set("Nats-Service-Error", failure.message.replace(/[\r\n]+/g, " "));
      h.set("Nats-Service-Error-Code", String(failure.status));
      const body = fn.replyStyle === "rosey" ? failure.toRoseyBody() : failure.toBody();
      msg.respond(JSON.stringify(body), { headers: h });
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const outcome = !failure ? "ok" : failure.status === 400 || failure.status === 413 ? "invalid" : "error";
      metrics.messages.inc(route.labels[outcome]);
      metrics.handlerSeconds.observe(seconds, route.labels.subject);
      recordEndpoint(route.stats, seconds, failure?.message);
    }
  }
}
