/**
 * WAL checkpoints on a thread of their own. SQLite checkpoints in the commit that takes the WAL past
 * 1000 pages: on the writer's connection that is a native call of tens to hundreds of milliseconds
 * (the copy and an fsync) during which the service's event loop stands still. A message saved with
 * an embedding writes ~30 pages of the vector index, so it hit one every few dozen saves, and other
 * requests waited (README "LLM memory", measured by tests/bench/memory.ts). With this thread the
 * writer's connection never checkpoints; the thread runs a passive checkpoint every
 * {@linkcode CHECKPOINT_INTERVAL_MS}, which copies what is committed without taking the write lock.
 */
import type { Logger } from "../log.ts";

/** How often the thread checkpoints: at most this long's writes wait in the WAL. */
export const CHECKPOINT_INTERVAL_MS = 100;

/** What the thread is started with. */
export interface CheckpointStart {
  type: "start";
  path: string;
  encryptionKey?: string;
  intervalMs: number;
}

/** A running checkpoint thread. */
export interface Checkpoints {
  stop(): void;
}

/**
 * Starts checkpointing the database file at `path` on its own thread. `failed` is called once if the
 * thread cannot go on (the caller turns the connection's own checkpoints back on).
 */
export function startCheckpoints(
  options: { path: string; encryptionKey?: string; log: Logger; failed(): void },
): Checkpoints {
  const worker = new Worker(new URL("./checkpoint_worker.ts", import.meta.url).href, { type: "module" });
  let stopped = false;
  const fail = (error: string) => {
    if (stopped) return;
    stopped = true;
    worker.terminate();
    options.log.error("Checkpoint thread failed; the writer checkpoints itself again", { error });
    options.failed();
  };
  worker.onmessage = ({ data }: MessageEvent<{ type: "failed"; error: string }>) => fail(data.error);
  worker.onerror = (event) => {
    event.preventDefault();
    fail(event.message);
  };
  const start: CheckpointStart = {
    type: "start",
    path: options.path,
    encryptionKey: options.encryptionKey,
    intervalMs: CHECKPOINT_INTERVAL_MS,
  };
  worker.postMessage(start);
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      // Ending the thread drops its connection; a checkpoint cut short leaves the WAL as it was, valid.
      worker.terminate();
    },
  };
}
