/**
 * What every decoded payload must be, whatever its subject, before its schema sees it: JSON that
 * can be stored and read back exactly as sent. Checked once, where input is decoded.
 */
import type { InputIssue } from "./errors.ts";

/** Deepest nesting of objects and arrays: SQLite's JSON functions refuse deeper (and no bot needs 10). */
export const MAX_JSON_DEPTH = 64;

/**
 * The problems of a parsed JSON value, each with its path; empty when there are none:
 * - integers beyond ±2^53 (JSON.parse has already rounded them, or made them Infinity; libSQL could not
 *   read them back),
 * - nesting deeper than {@linkcode MAX_JSON_DEPTH},
 * - strings or keys with a lone surrogate,
 * - the key `__proto__`, which a copy of the object would silently drop.
 * At most `limit` problems are collected: one is enough to refuse the payload.
 */
export function jsonPolicyIssues(value: unknown, limit = 5): InputIssue[] {
  const issues: InputIssue[] = [];
  // One path stack for the walk, copied only into an issue: most payloads have none.
  const path: (string | number)[] = [];
  const report = (message: string, key?: string) =>
    issues.push({ path: key === undefined ? [...path] : [...path, key], message });
  const visit = (node: unknown): void => {
    if (issues.length >= limit) return;
    if (typeof node === "number") {
      // JSON.parse reads a number beyond ±1.8e308 (400 digits, say) as ±Infinity: too large as well.
      if (!Number.isSafeInteger(node) && (Number.isInteger(node) || !Number.isFinite(node))) {
        report("integer beyond ±2^53 (9007199254740991): it cannot be kept exactly");
      }
    } else if (typeof node === "string") {
      // A lone surrogate is no Unicode text: stored, it would come back as U+FFFD.
      if (!node.isWellFormed()) report("text with a lone UTF-16 surrogate");
    } else if (node !== null && typeof node === "object") {
      if (path.length >= MAX_JSON_DEPTH) return void report(`nested deeper than ${MAX_JSON_DEPTH} levels`);
      if (Array.isArray(node)) {
        for (let index = 0; index < node.length; index++) {
          path.push(index);
          visit(node[index]);
          path.pop();
        }
        return;
      }
      for (const key of Object.keys(node)) {
        if (key === "__proto__") report('the key "__proto__" is not accepted', key);
        else if (!key.isWellFormed()) report("a key with a lone UTF-16 surrogate");
        else {
          path.push(key);
          visit((node as Record<string, unknown>)[key]);
          path.pop();
        }
      }
    }
  };
  visit(value);
  return issues;
}
