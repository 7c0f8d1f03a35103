/** The router: subscribes every function's subject and runs the per-message pipeline. */
import { headers, type Msg, type NatsConnection } from "@nats-io/transport-node";
import type { Config } from "../config.ts";
import { recordEndpoint } from "../nats/service_discovery.ts";
import { ServiceError, toServiceError } from "../function/errors.ts";
import type { EventFunction, RequestFunction } from "../function/define.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { EventEntry } from "../storage/writer.ts";
import type { Route } from "./routes.ts";
import { RouteTable } from "./routes.ts";
import type { RequestRunner } from "./requests.ts";
import { Subscriptions } from "./subscriptions.ts";
import { fitReply, type FittedReply, replyRoom, SKIPPED_HEADER } from "./reply_size.ts";

/** nats-server's own default, for a connection whose INFO has not said. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** Options for {@linkcode Router}. */
export interface RouterOptions {
  config: Config;
  metrics: Metrics;
  log: Logger;
  /** Runs the request functions. */
  runner: RequestRunner;
  /** Where received events go: the ingest pipeline (shared/ingest/pipeline.ts). */
  events: { event(entry: Omit<EventEntry, "kind">): void };
}

/** Subscribes routes and handles their messages until drained. */
export class Router {
  /** The routes, found by subject. */
  readonly table: RouteTable;
  #subs: Subscriptions;
  #nc?: NatsConnection;
  #inFlight = new Set<Promise<void>>();

  constructor(routes: Route[], readonly options: RouterOptions) {
    this.table = new RouteTable(routes, options.config.SUBJECT_PREFIX);
    this.#subs = new Subscriptions({ queue: options.config.QUEUE_GROUP, log: options.log, metrics: options.metrics });
    for (const route of routes) options.metrics.initSubject(route.subject, { kind: route.fn.kind });
  }

  /** Every route of this instance. */
  get routes(): Route[] {
    return this.table.routes;
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

  /** Stops taking messages and lets requests in flight answer. */
  async drain(): Promise<void> {
    await this.#subs.drain();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Runs a request function in-process (the maintenance timer), with the same validation as over NATS. */
  async call(subject: string, input: unknown): Promise<unknown> {
    const route = this.routes.find((r) => r.subject === subject && r.fn.kind === "request");
    if (!route) throw new Error(`No request function serves "${subject}"`);
    return await this.options.runner.call(
      {
        fn: route.fn as RequestFunction,
        subject: route.fullSubject,
        params: this.table.params(route, route.fullSubject),
      },
      input,
    );
  }

  /** Publishes for a handler (`ctx.publish`) on the router's connection. */
  publish(subject: string, payload: Uint8Array): void {
    if (!this.#nc || this.#nc.isClosed()) throw new ServiceError(503, "NATS is not connected");
    this.#nc.publish(subject, payload);
  }

  /** Counts an event's final outcome; called by the writer after commit. */
  recordEventOutcome(subject: string, outcome: "ok" | "dead_letter", code?: string, error?: string, count = 1): void {
    const route = this.table.route(subject);
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
    const route = this.table.route(subject);
    if (!route) return;
    this.options.metrics.handlerSeconds.observe(seconds, route.labels.subject);
    this.options.metrics.batchSize.observe(events, route.labels.subject);
    recordEndpoint(route.stats, seconds, undefined, events);
  }

  #track(work: Promise<void>) {
    this.#inFlight.add(work);
    // A reply that cannot be sent at all (the connection closed under it) must not end the process.
    work.catch((error) => this.options.log.debug("Reply not sent", { error: (error as Error)?.message }))
      .finally(() => this.#inFlight.delete(work));
  }

  #onEvent(route: Route, fn: EventFunction, msg: Msg) {
    // Decoding and validation happen when the writer forms the batch (shared/storage/writer.ts).
    // Without [name] tokens the subject is the route's own: no need to decode msg.subject per message.
    const subject = route.params.size === 0 ? route.fullSubject : msg.subject;
    this.options.events.event({ fn, subject, params: this.table.params(route, subject), raw: msg.data });
  }

  /** The handler's reply, cut to the connected server's max_payload (shared/runtime/reply_size.ts). */
  async #reply(route: Route, fn: RequestFunction, msg: Msg): Promise<FittedReply> {
    const maxPayload = this.#nc?.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
    const call = {
      fn,
      subject: msg.subject,
      params: this.table.params(route, msg.subject),
      replyBytes: replyRoom(maxPayload),
      headers: msg.headers,
    };
    const value = await this.options.runner.answer(call, msg.data);
    const reply = fitReply(value, JSON.stringify(value), maxPayload, fn.cut);
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
