/** Bench plumbing: the service and helper scripts as child processes on loopback, and percentiles. */
import type { Tuning } from "../../shared/config.ts";
import { freePort } from "../../shared/nats/local_server.ts";
import { tuningEnv } from "../_helpers.ts";

const HERE = new URL(".", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

/** A rosey-db process. */
export interface ServiceProcess {
  pid: number;
  httpUrl: string;
  /** Resident memory now, in bytes (VmRSS). */
  rss(): Promise<number>;
  /** Peak resident memory so far, in bytes (VmHWM). */
  peakRss(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `shared/main.ts` on `dbPath` with `env` and internal `tuning`, and waits until /ready answers 200. */
export async function startServiceProcess(
  natsUrl: string,
  dbPath: string,
  env: Record<string, string> = {},
  tuning: Tuning = {},
): Promise<ServiceProcess> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    // The same V8 flags as `deno task serve` and the container.
    args: ["run", "-A", "--v8-flags=--max-semi-space-size=4", `${ROOT}shared/main.ts`],
    cwd: ROOT,
    env: {
      NATS_URL: natsUrl,
      DATABASE_PATH: dbPath,
      HTTP_PORT: String(port),
      LOG_LEVEL: "ERROR",
      MAINTENANCE_INTERVAL: "0",
      ...tuningEnv(tuning),
      ...env,
    },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const httpUrl = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    const res = await fetch(`${httpUrl}/ready`).catch(() => undefined);
    await res?.body?.cancel();
    if (res?.status === 200) break;
    await sleep(50);
  }
  return {
    pid: child.pid,
    httpUrl,
    rss: () => statusKiB(child.pid, "VmRSS"),
    peakRss: () => statusKiB(child.pid, "VmHWM"),
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** A size from /proc/PID/status, in bytes. */
async function statusKiB(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) * 1024;
}

/** Runs one of the bench's helper scripts to completion and returns its last JSON line. */
export async function runScript<T>(script: string, args: string[]): Promise<T> {
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${HERE}${script}`, ...args],
    cwd: ROOT,
    stderr: "inherit",
  }).output();
  if (!success) throw new Error(`${script} failed`);
  return JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1)!);
}

/** Starts a helper script that prints "ready" and keeps running. */
export async function spawnScript(script: string, args: string[]): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${HERE}${script}`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${script} exited before it was ready`);
    seen += value;
  }
  reader.releaseLock();
  return child;
}

/** The p-th percentile (0..100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
