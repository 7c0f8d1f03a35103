/**
 * Replies of read-only request functions (`cacheReplies: true`), encoded, kept per subject and
 * payload together with the version (database changes and second of the clock) they were read at.
 * A reply is reused only while that version has not moved, so it is what a fresh read would return.
 */

/** Replies larger than this are not kept: the cache's memory stays bounded by entries × this. */
const KEPT_REPLY_BYTES = 64 * 1024;

interface Entry {
  version: string;
  body: Uint8Array;
}

/** A bounded map of replies; the oldest entry makes room for a new one. */
export class ReplyCache {
  #entries = new Map<string, Entry>();

  constructor(readonly maxEntries: number) {}

  /** The reply kept for `key`, if it was read at `version`. */
  get(key: string, version: string): Uint8Array | undefined {
    const entry = this.#entries.get(key);
    return entry?.version === version ? entry.body : undefined;
  }

  set(key: string, version: string, body: Uint8Array): void {
    if (this.maxEntries === 0 || body.length > KEPT_REPLY_BYTES) return;
    if (!this.#entries.has(key) && this.#entries.size >= this.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, { version, body });
  }

  get size(): number {
    return this.#entries.size;
  }
}
