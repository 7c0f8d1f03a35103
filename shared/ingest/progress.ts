/**
 * How far ingest has got: events received and events committed, two counters in shared memory so
 * that the thread that receives events (and answers requests) and the thread that commits them can
 * be the same or two. A request waits until the commits reach the count of events received before
 * it (read-your-writes), never for those received after it.
 */

/** Slots of the shared counters. Counts wrap around at 2^31 and are compared by difference. */
const SLOT = { received: 0, committed: 1 } as const;
/** Longest single wait on the counter, so that waiters notice a release from another thread. */
const WAIT_SLICE_MS = 1000;

/** Counts of received and committed events, and the waits on them. */
export class IngestProgress {
  readonly #counts: Int32Array;
  #waiters: { target: number; resolve(): void }[] = [];
  #watching = false;
  #released = false;

  /** Counters of their own, or those of `buffer` (made by another thread's {@linkcode IngestProgress}). */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(2 * 4)) {
    this.#counts = new Int32Array(buffer);
  }

  /** Counts `events` received: they are on their way to the writer. */
  received(events: number): void {
    Atomics.add(this.#counts, SLOT.received, events);
  }

  /** Says that the first `upTo` events received are committed (`upTo` only grows, modulo 2^32). */
  committed(upTo: number): void {
    Atomics.store(this.#counts, SLOT.committed, upTo);
    // Waiters of this thread learn it now; those of the other thread when their wait wakes.
    this.#resolveReached();
    Atomics.notify(this.#counts, SLOT.committed);
  }

  /** Events received and not yet committed. */
  get depth(): number {
    return (Atomics.load(this.#counts, SLOT.received) - Atomics.load(this.#counts, SLOT.committed)) | 0;
  }

  /** Resolves once every event received before this call is committed, or the progress is released. */
  settled(): Promise<void> {
    const target = Atomics.load(this.#counts, SLOT.received);
    if (this.#released || reached(Atomics.load(this.#counts, SLOT.committed), target)) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push({ target, resolve });
      if (!this.#watching) this.#watch();
    });
  }

  /** No commit will come any more (the committing thread stopped or died): every wait ends now. */
  release(): void {
    this.#released = true;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
    Atomics.notify(this.#counts, SLOT.committed);
  }

  /** Resolves the waiters whose targets the commits have reached; targets only grow. */
  #resolveReached(): number {
    const committed = Atomics.load(this.#counts, SLOT.committed), waiters = this.#waiters;
    while (waiters.length > 0 && reached(committed, waiters[0].target)) waiters.shift()!.resolve();
    return committed;
  }

  /** Waits for commits made on another thread while anyone waits. */
  async #watch() {
    this.#watching = true;
    while (this.#waiters.length > 0) {
      const committed = this.#resolveReached();
      if (this.#waiters.length === 0) break;
      const wait = Atomics.waitAsync(this.#counts, SLOT.committed, committed, WAIT_SLICE_MS);
      if (!wait.async) continue;
      // A pending waitAsync does not keep the process alive (a client with nothing else to do would exit).
      const alive = setTimeout(() => {}, WAIT_SLICE_MS);
      await wait.value;
      clearTimeout(alive);
    }
    this.#watching = false;
  }
}

/** Whether a wrapping event count has reached `target`. */
function reached(count: number, target: number): boolean {
  return ((count - target) | 0) >= 0;
}
