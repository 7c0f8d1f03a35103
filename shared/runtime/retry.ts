/** Start-up stages that retry until they pass, saying why they have not passed yet. */
import type { Logger } from "../log.ts";

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

/**
 * Runs `attempt` until it succeeds, backing off from 250 ms to 5 s. Once stopping, an attempt under way
 * is abandoned at once (what it still yields goes to `release`) and the stage fails.
 */
export async function retryStage<T>(
  stage: string,
  attempt: () => Promise<T>,
  options: StageOptions,
  release: (late: T) => void = () => {},
): Promise<T> {
  for (let delay = 250;; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
    const pending = Promise.resolve().then(attempt);
    try {
      const { abandoned, settle } = abandonWhenStopping(options);
      // A remote database that accepts connections but never answers must not stall start-up unseen.
      const timeout = `no answer within ${STAGE_TIMEOUT_MS / 1000} s`;
      const result = await withTimeout(Promise.race([pending, abandoned]), STAGE_TIMEOUT_MS, timeout)
        .finally(settle);
      options.onPending(stage, undefined);
      return result;
    } catch (error) {
      // Timed out or abandoned: what the attempt still yields is not used.
      pending.then(release, () => {});
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

/** Rejects once `options.stopping()` turns true; `settle()` ends the watch. */
function abandonWhenStopping(options: StageOptions): { abandoned: Promise<never>; settle(): void } {
  let timer: ReturnType<typeof setInterval> | undefined;
  const abandoned = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (!options.stopping()) return;
      clearInterval(timer);
      reject(new Error("stopped while starting"));
    }, 50);
  });
  return { abandoned, settle: () => clearInterval(timer) };
}

/** `promise`, or a rejection with `message` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error(message)), ms));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
