import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { rowId } from "../../../shared/function/numbers.ts";
import { DeadLetterFilter, whereOf } from "./_filter.ts";

const utf8 = new TextDecoder();

export default defineRequest({
  description: "Dead letters, newest first: subject, payload as text, error code and message",
  input: DeadLetterFilter.extend({
    limit: z.number().int().min(1).max(1000).default(100),
    before_id: rowId().optional(),
  }),
  readOnly: true,
  output: z.array(z.object({
    id: z.number(),
    subject: z.string(),
    payload: z.string(),
    payload_bytes: z.number(),
    error_code: z.string(),
    error: z.string(),
    received_at: z.number(),
  })),
  // Cut to the server's max_payload: the rest is the page before the last one sent.
  cut: { nextCursor: (lastKept) => String(lastKept.id) },
  async handle(input, ctx) {
    const { where, args } = whereOf(input, ctx.config.SUBJECT_PREFIX);
    const rows = await ctx.db.query<
      { id: number; subject: string; payload: ArrayBuffer; error_code: string; error: string; received_at: number }
    >(
      `SELECT id, subject, payload, error_code, error, received_at FROM dead_letters
        WHERE ${where} AND id < ? ORDER BY id DESC LIMIT ?`,
      [...args, input.before_id ?? Number.MAX_SAFE_INTEGER, input.limit],
    );
    return rows.map((row) => ({
      id: row.id,
      subject: row.subject,
      payload: utf8.decode(row.payload),
      payload_bytes: row.payload.byteLength,
      error_code: row.error_code,
      error: row.error,
      received_at: row.received_at,
    }));
  },
});
