/** Entry point: `deno task serve`. Loads configuration, starts the service, stops it on SIGTERM/SIGINT. */
import {
  type Config,
  ConfigError,
  databaseFilePath,
  loadConfig,
  removedSettingWarnings,
  type Tuning,
  tuningFromEnv,
  usage,
} from "./config.ts";
import { setupProblems } from "./config/checks.ts";
import { createLogger } from "./log.ts";
import { startService } from "./service.ts";
import { VERSION } from "./version.ts";

/** Longest graceful stop: a batch commits in far less, and compose.yaml's stop_grace_period (40 s) is longer. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

/** Exit status of a set-up mistake that no retry can fix. */
const EXIT_CONFIG = 2;

async function main() {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(usage());
    return;
  }
  if (Deno.args.includes("--version")) {
    console.log(`rosey-db ${VERSION}`);
    return;
  }
  const { config, tuning } = await loadValidConfig();
  const log = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  log.info("Starting rosey-db", { version: VERSION });
  for (const warning of removedSettingWarnings(Deno.env.toObject(), config)) log.warn(warning);
  let service;
  try {
    service = await startService(config, log, tuning);
  } catch (error) {
    if (error instanceof ConfigError) exitConfig(error.problems);
    log.error("Cannot start", { error: (error as Error).message });
    Deno.exit(1);
  }
  let stopping = false;
  // Stages that can recover (database, migrations, NATS) retry by themselves; anything else ends here.
  service.started.catch((error) => {
    if (stopping) return;
    // A set-up mistake found once the database is open (EMBEDDING_DIMENSIONS against the stored one).
    if (error instanceof ConfigError) exitConfig(error.problems);
    Deno.exit(1);
  });
  const stop = async (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info("Stopping", { reason });
    const timer = setTimeout(() => {
      log.error("Graceful stop timed out; exiting", { timeout_ms: SHUTDOWN_TIMEOUT_MS });
      Deno.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    await service.stop();
    clearTimeout(timer);
    Deno.exit(code);
  };
  // Events are no longer written: stop taking requests too, and let the supervisor start a fresh process.
  service.failed.then((error) => stop(error.message, 1));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
}

/** The configuration, or exit status 2 with one line per problem (bad values, unusable paths and files). */
async function loadValidConfig(): Promise<{ config: Config; tuning: Tuning }> {
  try {
    const env = Deno.env.toObject();
    const config = loadConfig(env, Deno.args);
    const tuning = tuningFromEnv(env);
    const problems = await setupProblems(config, databaseFilePath(config));
    if (problems.length > 0) exitConfig(problems);
    return { config, tuning };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    exitConfig(error.problems);
  }
}

function exitConfig(problems: string[]): never {
  for (const problem of problems) console.error(`Invalid configuration: ${problem}`);
  return Deno.exit(EXIT_CONFIG);
}

if (import.meta.main) await main();
