/** Entry point: `deno task serve`. Loads configuration, starts the service, stops it on SIGTERM/SIGINT. */
import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./log.ts";
import { startService } from "./service.ts";

async function main() {
  let config;
  try {
    config = loadConfig(Deno.env.toObject(), Deno.args);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`Invalid configuration: ${problem}`);
    Deno.exit(2);
  }
  const log = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  let service;
  try {
    service = await startService(config, log);
  } catch (error) {
    log.error("Cannot start", { error: (error as Error).message });
    Deno.exit(1);
  }
  // Stages that can recover (database, migrations, NATS) retry by themselves; anything else ends here.
  service.started.catch(() => Deno.exit(1));
  let stopping = false;
  const stop = async (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info("Stopping", { reason });
    const timer = setTimeout(() => {
      log.error("Graceful stop timed out; exiting", { timeout_ms: config.SHUTDOWN_TIMEOUT_MS });
      Deno.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    await service.stop();
    clearTimeout(timer);
    Deno.exit(code);
  };
  // Events are no longer written: stop taking requests too, and let the supervisor start a fresh process.
  service.failed.then((error) => stop(error.message, 1));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
}

if (import.meta.main) await main();
