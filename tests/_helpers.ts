/** Test helpers: a real nats-server on a free loopback port and a real service with a real database. */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { loadConfig, type Tuning, TUNING_VARIABLE } from "../shared/config.ts";
import { createLogger, type Logger, silentLogger } from "../shared/log.ts";
import { freePort, type NatsServer, startNatsServer } from "../shared/nats/local_server.ts";
import { type Service, startService } from "../shared/service.ts";

export const FIXTURE_FUNCTIONS = "tests/fixtures/functions";

/** Starts a nats-server for one test; dispose it with `await using`. */
export function startNats(options: { storeDir?: string; port?: number } = {}): Promise<NatsServer> {
  return startNatsServer({ ...options, install: true });
}

/** A service in this process, connected to `nats`, with a client connection beside it. */
export interface TestService extends AsyncDisposable {
  service: Service;
  nc: NatsConnection;
  nats: NatsServer;
}

/** Options for {@linkcode startTestService}. */
export interface TestServiceOptions {
  env?: Record<string, string>;
  /** Internal tuning (startService's third parameter) over the test defaults. */
  tuning?: Tuning;
  log?: Logger;
  /** Reuse a running nats-server instead of starting one. */
  nats?: NatsServer;
}

/** Starts nats-server (unless given) and a service on `:memory:` serving the fixture functions by default. */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const nats = options.nats ?? await startNats();
  const env: Record<string, string> = {
    NATS_URL: nats.url,
    HTTP_PORT: "0",
    ...options.env,
  };
  if (!env.DATABASE_PATH && !env.DATABASE_URL) env.DATABASE_URL = ":memory:";
  const log = options.log ??
    (Deno.env.get("TEST_LOG") ? createLogger({ level: "DEBUG", format: "pretty" }) : silentLogger);
  const service = await startService(loadConfig(env), log, {
    functionsDir: FIXTURE_FUNCTIONS,
    ...options.tuning,
  });
  await service.started;
  const nc = await connect({ servers: nats.url });
  return {
    service,
    nc,
    nats,
    async [Symbol.asyncDispose]() {
      await nc.close();
      await service.stop();
      if (!options.nats) await nats.stop();
    },
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const encoder = new TextEncoder();

/** Encodes a value as a JSON payload. */
export function json(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Sends a request and returns the decoded reply with its ADR-32 error headers. */
export async function request(nc: NatsConnection, subject: string, body: unknown = {}, timeout = 5000) {
  const payload = body instanceof Uint8Array ? body : json(body);
  const msg = await nc.request(subject, payload, { timeout });
  return {
    data: msg.data.length > 0 ? msg.json<Record<string, unknown>>() : undefined,
    errorCode: msg.headers?.get("Nats-Service-Error-Code") || undefined,
    error: msg.headers?.get("Nats-Service-Error") || undefined,
  };
}

/** Fetches a path of the service's HTTP server. */
export function http(service: Service, path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${service.httpUrl}${path}`, init);
}

/** A temporary directory removed on dispose. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "rosey-db-test-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}) };
}

/** Rows in `table` (0 while it does not exist yet). `table` is a test constant, never input. */
export async function countRows(service: Service, table: string): Promise<number> {
  const db = service.db();
  if (!db) return 0;
  const exists = await db.read.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]);
  if (exists.length === 0) return 0;
  const [{ n }] = await db.read.query<{ n: number }>(`SELECT count(*) AS n FROM "${table}"`);
  return n;
}

/** Starts a service serving the real `functions/` on `:memory:` (or `env.DATABASE_URL`). */
export function startRosey(
  env: Record<string, string> = {},
  nats?: NatsServer,
  tuning: Tuning = {},
): Promise<TestService> {
  return startTestService({
    env: { MAINTENANCE_INTERVAL: "0", ...env },
    tuning: { functionsDir: "functions", ...tuning },
    nats,
  });
}

/** Publishes each payload as an event on `rosey.db.<subject>` and flushes. */
export async function publish(t: TestService, subject: string, ...payloads: unknown[]): Promise<void> {
  for (const payload of payloads) t.nc.publish(`rosey.db.${subject}`, json(payload));
  await t.nc.flush();
}

/** A successful request's reply on `rosey.db.<subject>`; throws with the service's error otherwise. */
export async function ask<T = unknown>(t: TestService, subject: string, body: unknown = {}): Promise<T> {
  const reply = await request(t.nc, `rosey.db.${subject}`, body);
  if (reply.errorCode) throw new Error(`${subject} failed with ${reply.errorCode}: ${reply.error}`);
  return reply.data as T;
}

/**
 * Rows of a query on the service's database, read after every event published before the
 * call is committed (a request is answered only after the events received before it).
 */
export async function rows<T = Record<string, unknown>>(
  t: TestService,
  sql: string,
  args: (string | number)[] = [],
): Promise<T[]> {
  await ask(t, "status.get");
  return t.service.db()!.read.query<T>(sql, args);
}

/** Runs a statement through the service's writer once every event published before the call is committed. */
export async function writeSql(t: TestService, sql: string, args: (string | number | null)[] = []): Promise<void> {
  await ask(t, "status.get");
  await t.service.write((tx) => tx.run(sql, args));
}

/** Unix seconds now. */
export function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** `env` for a service started as a process, with `tuning` passed as the service reads it. */
export function tuningEnv(tuning: Tuning): Record<string, string> {
  return { [TUNING_VARIABLE]: JSON.stringify(tuning) };
}

/**
 * `shared/main.ts` as a child process with `args`, `env` and `tuning`, run in `cwd`, once its /ready
 * answers 200.
 */
export async function spawnService(
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
  tuning: Tuning = {},
) {
  const httpPort = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../shared/main.ts", import.meta.url).pathname, ...args],
    cwd,
    env: { HTTP_PORT: String(httpPort), LOG_LEVEL: "ERROR", ...tuningEnv(tuning), ...env },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const base = `http://127.0.0.1:${httpPort}`;
  await waitFor(
    async () => (await fetch(base + "/ready").catch(() => undefined))?.status === 200,
    20_000,
    "service ready",
  );
  return { child, base };
}
