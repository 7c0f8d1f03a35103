/**
 * Lists inside an object reply, bounded by `ctx.replyBytes`: the router cuts only bare arrays, so a
 * function whose reply is an object stops its list where the reply would stop fitting and says where
 * the rest starts in its own shape (a cursor).
 */
import { ServiceError } from "./errors.ts";

/** What of a list fits: the items kept, in order, and where the cut fell. */
export interface FittedItems<T> {
  kept: T[];
  /** Items left out because each alone is larger than any reply can be (written under a larger limit). */
  skipped: number;
  /** Items gone through, kept or skipped: the rest starts after them. All of them when nothing was cut. */
  passed: number;
  /** Whether items were left for a later reply. */
  cut: boolean;
}

const utf8 = new TextEncoder();

/** The leading items of `items` whose JSON, comma-separated, takes at most `bytes`; see {@linkcode FittedItems}. */
export function fitItems<T>(items: readonly T[], bytes: number): FittedItems<T> {
  const kept: T[] = [];
  let size = 0, skipped = 0, passed = 0;
  for (const item of items) {
    const itemBytes = utf8.encode(JSON.stringify(item)).length + 1;
    if (itemBytes > bytes) skipped++;
    else if (size + itemBytes > bytes) return { kept, skipped, passed, cut: true };
    else {
      kept.push(item);
      size += itemBytes;
    }
    passed++;
  }
  return { kept, skipped, passed, cut: false };
}

/**
 * Bytes a list reply takes around one item (brackets, comma, a cursor, counts): an item fits a reply
 * when its JSON takes no more than `ctx.replyBytes` less this.
 */
export const LIST_ENVELOPE_BYTES = 256;

/**
 * Refuses an item about to be stored whose JSON, as replies return it, could never be part of a reply
 * on the connected server (`replyBytes` is `ctx.replyBytes`): a 413 naming the limit, thrown before
 * anything is stored, rather than an item every later read leaves out. `what` names it ("Message").
 */
export function requireDeliverable(item: unknown, replyBytes: number, what: string): void {
  const limit = replyBytes - LIST_ENVELOPE_BYTES;
  const json = JSON.stringify(item);
  if (json.length <= limit / 3) return; // at most 3 UTF-8 bytes per UTF-16 unit: no need to encode
  const bytes = utf8.encode(json).length;
  if (bytes <= limit) return;
  throw new ServiceError(
    413,
    `${what} too large: ${bytes} bytes as JSON, over the ${limit} bytes one item may take in a reply on the connected server (its max_payload less room for headers)`,
  );
}
