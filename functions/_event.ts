/** Fields every rosey event shares, and its event time. */
import { name, text } from "../shared/function/text.ts";
import { unixSeconds } from "../shared/function/numbers.ts";
import type { FunctionContext } from "../shared/function/define.ts";

/** The event time in Unix seconds (older bots send floats), before the year 3000. */
export const Timestamp = unixSeconds().optional();

/** A non-empty user name. */
export const Username = name().trim().min(1, "must not be empty");

/** Chat text: non-empty, any printable character, no NUL (libSQL would cut the text at the first one). */
export const ChatText = text().min(1, "must not be empty");

/** The event's own `timestamp` when it has one, else the receive time; whole Unix seconds. */
export function eventTime(input: { timestamp?: number }, ctx: FunctionContext): number {
  return Math.floor(input.timestamp ?? ctx.receivedAt);
}

/** Most rows in one INSERT: its statement stays short enough to be prepared once and kept. */
const ROWS_PER_INSERT = 128;

/**
 * Inserts many rows, a few statements per call; `columns` and `table` are constants, never input.
 * Chunks are 128 rows, then halves down to one row, so that a table needs eight statement shapes
 * whatever the batch size, each prepared once per connection.
 */
export async function insertRows(
  db: { run(sql: string, args: (string | number | null)[]): Promise<unknown> },
  table: string,
  columns: string[],
  rows: (string | number | null)[][],
) {
  const row = `(${columns.map(() => "?").join(", ")})`;
  for (let start = 0, size = ROWS_PER_INSERT; start < rows.length;) {
    while (size > rows.length - start) size >>= 1;
    const placeholders = Array(size).fill(row).join(", ");
    await db.run(
      `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${placeholders}`,
      rows.slice(start, start + size).flat(),
    );
    start += size;
  }
}
