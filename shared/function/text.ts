/**
 * Schemas for strings a function stores as columns. libSQL cuts a text value at its first NUL, so "g\0"
 * would be stored (and looked up) as "g"; names and ids also refuse the other control characters, which
 * no name needs and which make two names look alike. Opaque JSON values (metadata, settings) are stored
 * as JSON text, where NUL is escaped, and need none of this.
 */
import { z } from "zod";

/** The NUL character; a lone surrogate too, should a schema be used without the JSON policy in front. */
const NUL = /[\0\p{Cs}]/u;

/** A control character (C0, DEL, C1) or a lone surrogate. */
const CONTROL = /[\p{Cc}\p{Cs}]/u;

/**
 * A string stored in a text column: every printable character, newlines and tabs included, but no NUL.
 * Chain its limits as on `z.string()`: `text().min(1).max(4000)`.
 */
export function text(): z.ZodString {
  return z.string().superRefine(refuse(NUL));
}

/** A name stored in a column (a user, a guild, an emoji): no control character at all. */
export function name(): z.ZodString {
  return z.string().superRefine(refuse(CONTROL));
}

/** An id stored or looked up in a column: no control character at all, so "g\0" never matches "g". */
export function id(): z.ZodString {
  return name();
}

/** A check that refuses the first character matching `pattern`, naming it by its code point. */
function refuse(pattern: RegExp) {
  return (value: string, ctx: z.RefinementCtx) => {
    const found = pattern.exec(value);
    if (found) ctx.addIssue({ code: "custom", message: `must not contain ${describe(found[0])}`, input: value });
  };
}

/** `NUL (U+0000)`, `the control character U+001B`, `a lone UTF-16 surrogate (U+D800)` */
function describe(character: string): string {
  const code = `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
  if (character === "\0") return `NUL (${code})`;
  if (/\p{Cs}/u.test(character)) return `a lone UTF-16 surrogate (${code})`;
  return `the control character ${code}`;
}
