/** The HTTP edge: health, readiness, Prometheus metrics, the function catalogue and the admin page. */
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { type Config, ConfigError } from "../config.ts";
import type { Metrics } from "../metrics.ts";
import type { Route } from "../runtime/routes.ts";
import { VERSION } from "../version.ts";
import { adminPage, type AdminPageOptions } from "./admin_page.ts";

/** Options for {@linkcode createHttpApp}. */
export interface HttpOptions {
  metrics: Metrics;
  /** Reasons the service is not ready; empty when it is. */
  notReady(): Promise<string[]>;
  routes(): Route[];
  metricsToken?: string;
  /** The admin page at /admin (ADMIN_TOKEN); without it /admin is 404. */
  admin?: AdminPageOptions;
}

/** Builds the Hono app; serve it with `Deno.serve(app.fetch)`. */
export function createHttpApp(options: HttpOptions): Hono {
  const app = new Hono();
  app.get("/health", (c) => c.json({ status: "ok", version: VERSION }));
  app.get("/ready", async (c) => {
    const reasons = await options.notReady();
    return reasons.length === 0 ? c.json({ status: "ready" }) : c.json({ status: "not_ready", reasons }, 503);
  });
  app.get("/metrics", bearerToken({ token: options.metricsToken }), (c) => {
    return c.text(options.metrics.render(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  });
  app.get("/functions", (c) => c.json(options.routes().map(describeRoute)));
  if (options.admin) {
    app.route(
      "/admin",
      adminPage({ ...options.admin, metrics: options.metrics, notReady: options.notReady, routes: options.routes }),
    );
  }
  return app;
}

/** One entry of `/functions`. */
export function describeRoute(route: Route) {
  const { fn } = route;
  return {
    subject: route.fullSubject,
    kind: fn.kind,
    description: fn.description,
    file: route.file,
    input: z.toJSONSchema(fn.input, { io: "input", unrepresentable: "any" }),
    ...(fn.kind === "request"
      ? {
        output: z.toJSONSchema(fn.output, { io: "output", unrepresentable: "any" }),
        read_only: fn.readOnly === true,
      }
      : {}),
  };
}

/** Options for {@linkcode bearerToken}. */
export interface BearerTokenOptions {
  /** When unset, every request passes. */
  token?: string;
}

/**
 * Requires `Authorization: Bearer <token>` when a token is configured; the scheme's case does not
 * matter (RFC 7235). Hono's bearerAuth is not used: it matches the scheme's case and takes only
 * token68 characters, which METRICS_TOKEN does not promise.
 */
export function bearerToken(options: BearerTokenOptions = {}): MiddlewareHandler {
  const expected = options.token ? new TextEncoder().encode(options.token) : undefined;
  return async function requireBearerToken(c, next) {
    if (expected && !sameBytes(new TextEncoder().encode(credentials(c.req.header("authorization"))), expected)) {
      return c.text("Unauthorized\n", 401, { "www-authenticate": "Bearer" });
    }
    await next();
  };
}

/** The credentials of a Bearer authorization header, or "" when it has none. */
function credentials(header = ""): string {
  const scheme = /^bearer +/i.exec(header);
  return scheme ? header.slice(scheme[0].length) : "";
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i];
  return diff === 0;
}

/** Serves HTTP, or a ConfigError naming the address when it cannot be bound (in use, not local, not allowed). */
export function serveHttp(config: Config, handler: Deno.ServeHandler): Deno.HttpServer<Deno.NetAddr> {
  try {
    return Deno.serve({ hostname: config.HTTP_HOST, port: config.HTTP_PORT, onListen: () => {} }, handler);
  } catch (error) {
    const address = `${config.HTTP_HOST}:${config.HTTP_PORT}`;
    const hint = error instanceof Deno.errors.AddrInUse
      ? "stop what uses it or set HTTP_PORT to a free port (0 picks one)"
      : "set HTTP_HOST to an address of this machine and HTTP_PORT to a port this user may bind";
    throw new ConfigError([`HTTP_PORT: cannot listen on ${address}: ${(error as Error).message}: ${hint}`]);
  }
}
