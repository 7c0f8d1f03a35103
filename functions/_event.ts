/** Fields every rosey event shares, and its event time. */
import { z } from "zod";
import type { FunctionContext } from "../shared/function.ts";

/** Unix seconds; older bots send floats. */
export const Timestamp = z.number().finite().nonnegative().optional();

/** A non-empty user name. */
export const Username = z.string().trim().min(1, "must not be empty");

/** Chat text: non-empty, without NUL characters (libSQL would cut the text at the first one). */
export const ChatText = z.string().min(1, "must not be empty").refine(
  (s) => !s.includes("\0"),
  "must not contain NUL characters",
);

/** The event's own `timestamp` when it has one, else the receive time; whole Unix seconds. */
export function eventTime(input: { timestamp?: number }, ctx: FunctionContext): number {
  return Math.floor(input.timestamp ?? ctx.receivedAt);
}

/** Inserts many rows with one statement per chunk; `columns` and `table` are constants, never input. */
export async function insertRows(
  db: { run(sql: string, args: (string | number | null)[]): Promise<unknown> },
  table: string,
  columns: string[],
  rows: (string | number | null)[][],
) {
  const perChunk = Math.floor(30_000 / columns.length);
  for (let start = 0; start < rows.length; start += perChunk) {
    const chunk = rows.slice(start, start + perChunk);
    const placeholders = chunk.map(() => `(${columns.map(() => "?").join(", ")})`).join(", ");
    await db.run(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${placeholders}`, chunk.flat());
  }
}
