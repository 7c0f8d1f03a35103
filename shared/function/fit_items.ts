/**
 * Lists inside an object reply, bounded by `ctx.replyBytes`: the router cuts only bare arrays, so a
 * function whose reply is an object stops its list where the reply would stop fitting and says where
 * the rest starts in its own shape (a cursor).
 */

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
