/** Routes: each loaded function bound to its full subject, metric labels and $SRV statistics. */
import type { Config } from "../config.ts";
import { type EndpointStats, endpointStats } from "../nats/service_discovery.ts";
import type { LoadedFunction } from "./discover.ts";

/** The parameters of a subject without `[name]` tokens, shared by all of them. */
export const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;
/** A function bound to its full subject. */
export interface Route extends LoadedFunction {
  fullSubject: string;
  stats: EndpointStats;
  /** Metric labels of its requests, made once: the registry keeps their rendered form by identity. */
  labels: RouteLabels;
}

type RouteLabels = Record<"subject" | "ok" | "invalid" | "error" | "dead_letter", Record<string, string>>;

function routeLabels(subject: string): RouteLabels {
  return {
    subject: { subject },
    ok: { subject, outcome: "ok" },
    invalid: { subject, outcome: "invalid" },
    error: { subject, outcome: "error" },
    dead_letter: { subject, outcome: "dead_letter" },
  };
}

/** Builds the routes of the loaded functions under the configured prefix. */
export function routesOf(functions: LoadedFunction[], config: Config): Route[] {
  return functions.map((loaded) => {
    const fullSubject = `${config.SUBJECT_PREFIX}.${loaded.subject}`;
    const name = loaded.subject.replaceAll("*", "any").replaceAll(".", "-");
    return {
      ...loaded,
      fullSubject,
      stats: endpointStats(name, fullSubject, config.QUEUE_GROUP, { kind: loaded.fn.kind }),
      labels: routeLabels(loaded.subject),
    };
  });
}

/** The routes of one instance, found by the full subject of a message. */
export class RouteTable {
  readonly #bySubject = new Map<string, Route>();
  readonly #prefixTokens: number;

  constructor(readonly routes: Route[], prefix: string) {
    this.#prefixTokens = prefix.split(".").length;
    for (const route of routes) this.#bySubject.set(route.fullSubject, route);
  }

  /** The route serving a full subject, and its `[name]` parameters. */
  match(subject: string): { route: Route; params: Record<string, string> } | undefined {
    const route = this.route(subject);
    return route && { route, params: this.params(route, subject) };
  }

  /** The route serving a full subject. */
  route(subject: string): Route | undefined {
    return this.#bySubject.get(subject) ?? this.routes.find((r) => this.#matches(r, subject));
  }

  /** The `[name]` values of a subject that `route` serves. */
  params(route: Route, subject: string): Record<string, string> {
    if (route.params.size === 0) return NO_PARAMS;
    const tokens = subject.split(".");
    const params: Record<string, string> = {};
    for (const [index, name] of route.params) params[name] = tokens[this.#prefixTokens + index];
    return params;
  }

  #matches(route: Route, subject: string): boolean {
    const tokens = subject.split(".").slice(this.#prefixTokens);
    const pattern = route.subject.split(".");
    return tokens.length === pattern.length && pattern.every((t, i) => t === "*" || t === tokens[i]);
  }
}
