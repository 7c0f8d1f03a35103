/** Start-up stages that retry until they pass, saying why they have not passed yet. */
import type { Logger } from "./log.ts";

const RETRY_MAX_MS = 5000;
const STAGE_TIMEOUT_MS = 15_000;

/** What {@linkcode retryStage} reports to and asks of its caller. */
export interface StageOptions {
  log: Logger;
  /** The stage failed (reason) or passed (undefined). */
  onPending(stage: string, reason: string | undefined): void;
  /** Stops retrying: the last failure is thrown. */
  stopping(): boolean;
}

/** Runs `attempt` until it succeeds, backing off from 250 ms to 5 s. */
export async function retryStage<T>(stage: string, attempt: () => Promise<T>, options: StageOptions): Promise<T> {
  for (let delay = 250;; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
    try {
      // A remote database that accepts connections but never answers must not stall start-up unseen.
      const result = await withTimeout(attempt(), STAGE_TIMEOUT_MS, `no answer within ${STAGE_TIMEOUT_MS / 1000} s`);
      options.onPending(stage, undefined);
      return result;
    } catch (error) {
      if (options.stopping()) throw error;
      options.onPending(stage, (error as Error).message);
      options.log.error(`Start-up stage "${stage}" failed; retrying`, {
        error: (error as Error).message,
        retry_ms: delay,
      });
      for (let slept = 0; slept < delay && !options.stopping(); slept += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

/** `promise`, or a rejection with `message` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error(message)), ms));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
