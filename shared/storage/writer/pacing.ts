/** How the writer paces itself: retry delays, giving way to another writer, and yielding to I/O between batches. */

/** Longest wait before retrying a batch the database itself failed (unreachable, disk full). */
const RETRY_MAX_MS = 5000;

/** Longest wait between two batches for another writer, so that neither starves. */
const GIVE_WAY_MAX_MS = 250;

/** Delay before the next try after `failures` failed tries in a row: doubling from 100 ms up to 5 s. */
export function retryDelay(failures: number): number {
  return Math.min(RETRY_MAX_MS, 50 * 2 ** Math.min(failures, 10));
}

/** Waits while another writer of the same database wants the lock, at most {@linkcode GIVE_WAY_MAX_MS}. */
export async function giveWay(othersWriting: (() => boolean) | undefined): Promise<void> {
  const since = performance.now();
  while (othersWriting?.() && performance.now() - since < GIVE_WAY_MAX_MS) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * Lets the event loop read its sockets before the next batch. Deno polls sockets only on a loop
 * turn that waits for an operation: setImmediate never waits (under a flood the requests' socket
 * went unread for 0.4–0.9 s). An operation that completes at once, such as hashing one byte,
 * costs about 0.15 ms; a timer waits at least a tick (about 2 ms here), which on a busy machine
 * also hands the CPU to nats-server and the requesters, so it is used while requests are waiting.
 */
export function yieldToIo(requestsWaiting: boolean): Promise<unknown> {
  if (requestsWaiting) return new Promise((resolve) => setTimeout(resolve, 0));
  return crypto.subtle.digest("SHA-256", ONE_BYTE);
}

const ONE_BYTE = new Uint8Array(1);
