/** A local nats-server child process, for the embedded defaults and for tests. */

/** Options for {@linkcode startNatsServer}. */
export interface NatsServerOptions {
  /** 0 picks a free loopback port. */
  port?: number;
  /** Enables JetStream with its store under this directory. */
  storeDir?: string;
  /** Install nats-server from Debian's packages when it is missing and we are root. */
  install?: boolean;
  /**
   * Runs it in a process group of its own, so that a Ctrl-C in the terminal reaches only the service,
   * which drains and then stops it last (if the service is killed outright, the server outlives it).
   */
  detached?: boolean;
  /** More nats-server arguments (authorization, say). */
  args?: string[];
}

/** A running nats-server; `stop()` ends it (SIGTERM, then SIGKILL). */
export interface NatsServer {
  url: string;
  port: number;
  process: Deno.ChildProcess;
  stop(signal?: Deno.Signal): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The nats-server executable, installing it from Debian's packages when allowed; throws with what to run otherwise. */
export async function findNatsServer(install = false): Promise<string> {
  const found = await which("nats-server");
  if (found) return found;
  const hint = "nats-server is not installed: run `sudo apt-get install -y nats-server` or set NATS_URL";
  if (!install) throw new Error(hint);
  if (Deno.uid() !== 0) throw new Error(hint);
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", "nats-server"]]) {
    const { success } = await new Deno.Command("apt-get", {
      args,
      stdout: "null",
      stderr: "inherit",
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).output();
    if (!success) throw new Error(`${hint} (apt-get ${args.join(" ")} failed)`);
  }
  const installed = await which("nats-server");
  if (!installed) throw new Error(hint);
  return installed;
}

async function which(name: string): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/sbin", "/usr/bin", "/usr/local/bin"])) {
    const path = `${dir}/${name}`;
    try {
      const info = await Deno.stat(path);
      if (info.isFile && (info.mode ?? 0o111) & 0o111) return path;
    } catch { /* not here */ }
  }
  return undefined;
}

/** Lowest port `freePort` picks: above the well-known and commonly configured ports. */
const LOWEST_PICKED_PORT = 10_000;
const picked = new Set<number>();

/**
 * A free TCP port on 127.0.0.1 for a server that another process will start. It is picked below the
 * kernel's ephemeral range: a port the kernel hands out for `port: 0` could go to some other socket
 * between this call and that server's bind, and something else would answer on it.
 */
export function freePort(): number {
  const highest = ephemeralRangeStart() - 1;
  for (let tries = 0; tries < 100 && highest > LOWEST_PICKED_PORT; tries++) {
    const port = LOWEST_PICKED_PORT + Math.floor(Math.random() * (highest - LOWEST_PICKED_PORT + 1));
    if (!picked.has(port) && canListen(port)) {
      picked.add(port);
      return port;
    }
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Linux's first ephemeral port (32768 where it cannot be read). */
function ephemeralRangeStart(): number {
  try {
    const [low] = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").trim().split(/\s+/);
    return Number(low) || 32768;
  } catch {
    return 32768;
  }
}

function canListen(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/** Starts nats-server on 127.0.0.1 and resolves once it accepts connections. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = await findNatsServer(options.install);
  const port = options.port || freePort();
  const args = ["-a", "127.0.0.1", "-p", String(port)];
  if (options.storeDir) args.push("-js", "-sd", options.storeDir);
  args.push(...options.args ?? []);
  const process = new Deno.Command(binary, { args, stdout: "null", stderr: "piped", detached: options.detached })
    .spawn();
  const stderr = collect(process.stderr);
  const exited = process.status.then(() => true);
  for (let waited = 0; !(await accepts(port)); waited += 25) {
    if (await Promise.race([exited, delay(25).then(() => false)])) {
      throw new Error(`nats-server exited at start-up: ${(await stderr()).trim().split("\n").slice(-3).join(" | ")}`);
    }
    if (waited > 10_000) {
      process.kill("SIGKILL");
      throw new Error(`nats-server did not listen on port ${port} within 10 s`);
    }
  }
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    try {
      process.kill(signal);
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        process.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 5000);
    await process.status;
    clearTimeout(timer);
  };
  return { url: `nats://127.0.0.1:${port}`, port, process, stop, [Symbol.asyncDispose]: () => stop() };
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export async function accepts(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

function delay(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function collect(stream: ReadableStream<Uint8Array>): () => Promise<string> {
  let text = "";
  const done = stream.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (text = (text + chunk).slice(-4096)) }),
  );
  return async () => {
    await Promise.race([done, delay(100)]);
    return text;
  };
}

// `deno run shared/nats/local_server.ts` makes sure nats-server is installed, as the test task does first.
if (import.meta.main) console.log(`nats-server: ${await findNatsServer(true)}`);
