/** The writer's queue: entries in arrival order, undecoded events packed into shared buffers, taken in batches. */
import type { EventEntry, PackedEvents } from "./entries.ts";
import type { Entry } from "./entries.ts";

/**
 * Most events committed in one transaction. Large enough that a flood costs one commit per
 * thousand events; small enough that a batch (and the event loop it blocks) ends within tens of
 * milliseconds, so requests and socket reads get their turn between batches.
 */
export const BATCH_MAX = 1000;

/** A packed run grows by doubling up to this many bytes; the next event starts a new run. */
export const PACKED_BYTES_MAX = 256 * 1024;

/** Entries waiting to be committed, in arrival order; each gets a sequence number as it is queued. */
export class WriteQueue {
  #entries: Entry[] = [];
  /** Index of the first entry not yet committed; the array is compacted as it advances. */
  #head = 0;
  #enqueued = 0;
  #depth = 0;

  /** Events and writes queued and not yet committed. */
  get depth(): number {
    return this.#depth;
  }

  /** Sequence number of the last event or write queued. */
  get enqueued(): number {
    return this.#enqueued;
  }

  /** Queues one entry. */
  push(entry: Entry): void {
    entry.seq = ++this.#enqueued;
    this.#depth++;
    this.#entries.push(entry);
  }

  /**
   * Appends an undecoded event to the packed run at the tail of the queue, or starts a new run;
   * false when its payload is too large to pack (queue it as an entry of its own then).
   */
  pack(entry: Omit<EventEntry, "kind" | "input">): boolean {
    const entries = this.#entries;
    const tail = entries.length > this.#head ? entries[entries.length - 1] : undefined;
    let run = tail?.kind === "packed" && Array.isArray(tail.ends) && tail.fn === entry.fn &&
        tail.subject === entry.subject
      ? tail as PackedEvents & { ends: number[] }
      : undefined;
    const used = run ? run.ends[run.ends.length - 1] : 0;
    const needed = used + entry.raw.length;
    if (run && needed > run.bytes.length) {
      if (needed > PACKED_BYTES_MAX) run = undefined;
      else {
        const grown = new Uint8Array(Math.min(PACKED_BYTES_MAX, Math.max(needed, run.bytes.length * 2)));
        grown.set(run.bytes.subarray(0, used));
        run.bytes = grown;
      }
    }
    if (!run) {
      if (entry.raw.length > PACKED_BYTES_MAX / 4) return false;
      const { fn, subject, params } = entry;
      run = {
        kind: "packed",
        fn,
        subject,
        params,
        bytes: new Uint8Array(Math.max(256, entry.raw.length * 4)),
        first: 0,
        ends: [] as number[],
        taken: 0,
      };
      this.push(run);
      run.bytes.set(entry.raw, 0);
      run.ends.push(entry.raw.length);
      return true;
    }
    run.bytes.set(entry.raw, used);
    run.ends.push(needed);
    this.#enqueued++;
    this.#depth++;
    return true;
  }

  /** Queues a run packed elsewhere (the ingest thread's batches); it takes one sequence number per event. */
  pushPacked(run: Omit<PackedEvents, "kind" | "taken"> & { ends: Uint32Array }): void {
    if (run.ends.length === 0) return;
    this.push({ kind: "packed", ...run, taken: 0 });
    this.#enqueued += run.ends.length - 1;
    this.#depth += run.ends.length - 1;
  }

  /**
   * The next batch, left in the queue until {@linkcode WriteQueue.advance}: one work or batch
   * entry alone, or up to `max` events and dead letters in arrival order, packed runs unpacked.
   */
  take(max: number): Entry[] {
    const entries = this.#entries, head = entries[this.#head];
    if (head.kind === "work" || head.kind === "batch") return [head];
    const batch: Entry[] = [];
    for (let i = this.#head; i < entries.length && batch.length < max; i++) {
      const entry = entries[i];
      if (entry.kind === "work" || entry.kind === "batch") break;
      if (entry.kind !== "packed") {
        batch.push(entry);
        continue;
      }
      const { fn, subject, params, bytes, first, ends } = entry;
      for (let e = entry.taken; e < ends.length && batch.length < max; e++) {
        const raw = bytes.subarray(e === 0 ? first : ends[e - 1], ends[e]);
        batch.push({ kind: "event", fn, subject, params, raw, seq: entry.seq! + e });
      }
    }
    return batch;
  }

  /** Drops `count` committed events or entries from the head of the queue. */
  advance(count: number): void {
    this.#depth -= count;
    while (count > 0) {
      const entry = this.#entries[this.#head];
      if (entry.kind === "packed") {
        const taken = Math.min(count, entry.ends.length - entry.taken);
        entry.taken += taken;
        count -= taken;
        if (entry.taken < entry.ends.length) break;
      } else count--;
      this.#head++;
    }
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
