/**
 * Replies that fit the server's max_payload. A reply above it would never reach the caller (the
 * publish fails), so a list is cut to what fits and says so in headers (with where the rest starts,
 * for a function that pages; the function says which end it keeps), an item that can never fit is
 * left out and counted, and any other reply that is too large is a 413 naming the limit. A reply that
 * is an object bounds its own lists by `ctx.replyBytes` (shared/function/fit_items.ts).
 */
import { ServiceError } from "../function/errors.ts";
import type { ReplyCut } from "../function/define.ts";

/** Room kept for the reply's headers (ADR-32 and the truncation headers are far smaller). */
const HEADER_ROOM = 1024;

/** Set on a list reply cut to fit; the caller asks again for the rest (a smaller limit, a later page). */
export const TRUNCATED_HEADER = "Rosey-Truncated";
/** How many items of a list reply were left out because each alone exceeds the limit. */
export const SKIPPED_HEADER = "Rosey-Skipped-Too-Large";
/** Where the rest of a cut list reply starts, for a function that pages (`ReplyCut.nextCursor`). */
export const NEXT_CURSOR_HEADER = "Rosey-Next-Cursor";

/** A reply's body and the headers it needs, if any. */
export interface FittedReply {
  body: string;
  headers?: Record<string, string>;
}

const utf8 = new TextEncoder();

/** The bytes a reply's body may take on a server with `maxPayload`: what a handler bounds a list reply by. */
export function replyRoom(maxPayload: number): number {
  return maxPayload - HEADER_ROOM;
}

/** UTF-8 bytes of `text`, counted only when it could exceed `limit` (at most 3 bytes per UTF-16 unit). */
function exceeds(text: string, limit: number): boolean {
  return text.length * 3 > limit && utf8.encode(text).length > limit;
}

/**
 * `json` (the JSON of `value`) when it fits `maxPayload`, else what of it fits (see the module summary),
 * cut as `cut` says: from the end by default, from the start with `keep: "last"`.
 */
export function fitReply(value: unknown, json: string, maxPayload: number, cut: ReplyCut = {}): FittedReply {
  const limit = replyRoom(maxPayload);
  if (!exceeds(json, limit)) return { body: json };
  if (!Array.isArray(value)) {
    throw new ServiceError(
      413,
      `Reply too large: over the server's max_payload of ${maxPayload} bytes: ask for fewer items or a page at a time`,
    );
  }
  const fromEnd = cut.keep === "last";
  const kept: string[] = [];
  let size = 2, skipped = 0, truncated = false, lastKept: unknown;
  for (const item of fromEnd ? value.toReversed() : value) {
    const text = JSON.stringify(item) ?? "null";
    const bytes = utf8.encode(text).length + 1;
    if (bytes + 2 > limit) {
      skipped++;
      continue;
    }
    if (size + bytes > limit) {
      truncated = true;
      break;
    }
    kept.push(text);
    lastKept = item;
    size += bytes;
  }
  const headers: Record<string, string> = {};
  if (truncated) headers[TRUNCATED_HEADER] = "true";
  if (truncated && cut.nextCursor && lastKept !== null && typeof lastKept === "object") {
    headers[NEXT_CURSOR_HEADER] = cut.nextCursor(lastKept as Record<string, unknown>);
  }
  if (skipped > 0) headers[SKIPPED_HEADER] = String(skipped);
  if (fromEnd) kept.reverse();
  return { body: `[${kept.join(",")}]`, headers };
}
