/**
 * Schemas for strings a function stores as columns. libSQL cuts a text value at its first NUL, so "g\0"
 * would be stored (and looked up) as "g"; names and ids also refuse the other control characters, which
 * no name needs and which make two names look alike. Opaque JSON values (metadata, settings) are stored
 * as JSON text, where NUL is escaped, and need none of this.
 */
import { z } from "zod";

/** A control character: C0, DEL or C1 (matching them is the point). */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1F\x7F-\x9F]/;

/**
 * A string stored in a text column: every printable character, newlines and tabs included, but no NUL.
 * Chain its limits as on `z.string()`: `text().min(1).max(4000)`.
 */
export function text(): z.ZodString {
  return refusing((value) => value.indexOf("\0"));
}

/** A name stored in a column (a user, a guild, an emoji): no control character at all. */
export function name(): z.ZodString {
  return refusing((value) => value.search(CONTROL));
}

/** An id stored or looked up in a column: no control character at all, so "g\0" never matches "g". */
export function id(): z.ZodString {
  return name();
}

/**
 * A string that refuses the character at the index `find` returns (-1: none), or else a lone surrogate,
 * naming it by its code point. A plain `refine`: this runs on every stored string of every event, and
 * the message is built only for a refused one (a `superRefine` costs about a quarter of the ingest rate).
 */
function refusing(find: (value: string) => number): z.ZodString {
  return z.string().refine((value) => find(value) < 0 && value.isWellFormed(), {
    error: (issue) => {
      const value = issue.input as string;
      const at = find(value);
      return `must not contain ${describe(value[at >= 0 ? at : value.search(LONE_SURROGATE)])}`;
    },
  });
}

/** A lone UTF-16 surrogate, should a schema be used without the JSON policy in front (shared/function/json_policy.ts). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `NUL (U+0000)`, `the control character U+001B`, `a lone UTF-16 surrogate (U+D800)` */
function describe(character: string): string {
  const code = `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
  if (character === "\0") return `NUL (${code})`;
  if (character >= "\uD800" && character <= "\uDFFF") return `a lone UTF-16 surrogate (${code})`;
  return `the control character ${code}`;
}
