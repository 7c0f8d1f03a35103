/** Internal tuning for tests and the benchmark: never a setting. */
import { z } from "zod";
import { ConfigError } from "./error.ts";

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * Internal tuning that users need not set: each part holds its own constant (with why that value).
 * Tests and the benchmark change them through `startService`'s third parameter, and a service they
 * start as a process through {@linkcode TUNING_VARIABLE}, which is no setting (not in --help or README).
 */
export interface Tuning {
  /** Directory of function files (default: this repository's functions/). */
  functionsDir?: string;
  /** Port of the local nats-server (default LOCAL_NATS_PORT (shared/config/names.ts)). */
  localNatsPort?: number;
  /** false writes events on the main thread even with a local file database. */
  ingestThread?: boolean;
  /** Linux nice steps of the ingest thread below the requests (default 0). */
  ingestNice?: number;
  /** See shared/nats/jetstream.ts ACK_WAIT_SECONDS. */
  ackWaitSeconds?: number;
}

/** Environment variable through which the test suite and the benchmark pass {@linkcode Tuning} as JSON. */
export const TUNING_VARIABLE = "ROSEY_DB_TEST_TUNING";

const TuningSchema = z.strictObject({
  functionsDir: z.string().min(1).optional(),
  localNatsPort: int(1, 65535).optional(),
  ingestThread: z.boolean().optional(),
  ingestNice: int(0, 19).optional(),
  ackWaitSeconds: int(1, 3600).optional(),
}) satisfies z.ZodType<Tuning>;

/** The tuning a test passed in {@linkcode TUNING_VARIABLE}; throws a ConfigError when it is malformed. */
export function tuningFromEnv(env: Record<string, string | undefined>): Tuning {
  const text = env[TUNING_VARIABLE];
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${TUNING_VARIABLE}: not JSON: ${(error as Error).message}`]);
  }
  const parsed = TuningSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((i) => `${TUNING_VARIABLE}: ${i.path.join(".")}: ${i.message}`));
}
