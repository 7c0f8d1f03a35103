/** Reciprocal rank fusion: one ranking from several, each item scored Σ 1/(k + rank) over the lists it is in. */

/** Which search found an item. */
export type Matched = "text" | "vector";

/** The constant of the original paper (Cormack et al., 2009): damps the weight of the very first ranks. */
export const RRF_K = 60;

/**
 * The keys of `lists` (each best first) fused, best first, with their score and the lists they are in.
 * Ties keep the order of first appearance (text before vector).
 */
export function fuseRanks<K>(lists: Record<Matched, K[]>): { key: K; score: number; matched: Matched[] }[] {
  const fused = new Map<K, { key: K; score: number; matched: Matched[] }>();
  for (const kind of ["text", "vector"] as const) {
    lists[kind].forEach((key, index) => {
      const entry = fused.get(key) ?? { key, score: 0, matched: [] };
      entry.score += 1 / (RRF_K + index + 1);
      entry.matched.push(kind);
      fused.set(key, entry);
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score);
}
