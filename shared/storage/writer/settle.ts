/** Read barriers: promises that resolve once everything queued before them is committed. */

/** Tracks the last committed sequence number and who waits for which one. */
export class SettleBarrier {
  #committed = 0;
  #waiters: { seq: number; resolve(): void }[] = [];

  /** Resolves once sequence number `seq` is committed; at once if it already is. */
  until(seq: number): Promise<void> {
    if (this.#committed >= seq) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ seq, resolve }));
  }

  /** Records that everything up to `seq` is committed and wakes those waiting for it, never later ones. */
  commit(seq: number): void {
    this.#committed = seq;
    if (this.#waiters.length === 0) return;
    const still = [];
    for (const waiter of this.#waiters) {
      if (waiter.seq <= seq) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }
}
