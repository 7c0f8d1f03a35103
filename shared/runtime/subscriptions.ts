/**
 * The router's subscriptions, one per route, and what the server says of them. A subscription the
 * server refuses (a permissions violation) arrives as an error on its callback, asynchronously; it is
 * reported (log, /ready, metrics) and tried again until the server allows it, without a restart.
 */
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Route } from "./routes.ts";

/** How long a refused subscription waits before it is tried again: a permission change is an operator's act. */
export const RESUBSCRIBE_MS = 5000;

/** What {@linkcode Subscriptions} needs. */
export interface SubscriptionsOptions {
  queue: string;
  log: Logger;
  metrics: Metrics;
}

/** Subscriptions of routes in one queue group, with the refusals the server sent. */
export class Subscriptions {
  #subs = new Map<Route, Subscription>();
  #refused = new Map<Route, string>();
  /** Refusals received per route: a retry is accepted when none came during it. */
  #refusalCount = new Map<Route, number>();
  #retries = new Set<ReturnType<typeof setTimeout>>();
  #closing = false;

  constructor(readonly options: SubscriptionsOptions) {}

  /** Subscribes `route`, handing each message to `handle`; a refusal is retried every {@linkcode RESUBSCRIBE_MS}. */
  add(nc: NatsConnection, route: Route, handle: (msg: Msg) => void): void {
    const sub = nc.subscribe(route.fullSubject, {
      queue: this.options.queue,
      callback: (error, msg) => error ? this.#refuse(nc, route, handle, error) : handle(msg),
    });
    this.#subs.set(route, sub);
  }

  /** How many routes are subscribed and not refused. */
  get active(): number {
    let count = 0;
    for (const [route, sub] of this.#subs) if (!sub.isClosed() && !this.#refused.has(route)) count++;
    return count;
  }

  /** Why the server refuses subscriptions, one line per refused subject. */
  refusals(): string[] {
    return [...this.#refused].map(([route, why]) => `subscription to ${route.fullSubject} refused: ${why}`);
  }

  /** Stops retrying and drains every subscription: messages received are still handled. */
  async drain(): Promise<void> {
    this.#closing = true;
    for (const timer of this.#retries) clearTimeout(timer);
    this.#retries.clear();
    await Promise.allSettled([...this.#subs.values()].map((sub) => sub.drain()));
  }

  #refuse(nc: NatsConnection, route: Route, handle: (msg: Msg) => void, error: Error): void {
    const why = error.message;
    if (this.#refused.get(route) !== why) {
      this.options.log.error("Subscription refused by the server; retrying", {
        subject: route.fullSubject,
        error: why,
        retry_ms: RESUBSCRIBE_MS,
      });
    }
    this.#refused.set(route, why);
    this.#refusalCount.set(route, (this.#refusalCount.get(route) ?? 0) + 1);
    this.options.metrics.subscriptionRefused.set(1, route.labels.subject);
    const sub = this.#subs.get(route);
    if (sub && !sub.isClosed()) sub.unsubscribe();
    if (this.#closing) return;
    const timer = setTimeout(() => {
      this.#retries.delete(timer);
      void this.#retry(nc, route, handle);
    }, RESUBSCRIBE_MS);
    this.#retries.add(timer);
  }

  /** Subscribes again; the server answers a SUB before the PONG of a flush, so a refusal has come by then. */
  async #retry(nc: NatsConnection, route: Route, handle: (msg: Msg) => void): Promise<void> {
    if (this.#closing || nc.isClosed()) return;
    const before = this.#refused.get(route);
    const refusals = this.#refusalCount.get(route);
    this.add(nc, route, handle);
    try {
      await nc.flush();
    } catch {
      // Disconnected: the client subscribes again itself on reconnect; the next refusal says so.
    }
    if (this.#refusalCount.get(route) !== refusals || this.#closing) return;
    this.#refused.delete(route);
    this.options.metrics.subscriptionRefused.set(0, route.labels.subject);
    this.options.log.info("Subscription accepted by the server", { subject: route.fullSubject, was: before });
  }
}
