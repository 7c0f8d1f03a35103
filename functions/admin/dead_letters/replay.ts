import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { ServiceError } from "../../../shared/function/errors.ts";
import { DeadLetterFilter, whereOf } from "./_filter.ts";

export default defineRequest({
  description:
    "Publish dead letters again on their subjects (after a fix) and remove them; a failure dead-letters anew",
  input: DeadLetterFilter.extend({ limit: z.number().int().min(1).max(10_000).default(1000) }),
  output: z.object({ replayed: z.number() }),
  async handle(input, ctx) {
    if (!input.ids && !input.subject && input.before === undefined) {
      throw new ServiceError(400, "Invalid input: name the dead letters to replay (ids, subject or before)");
    }
    const { where, args } = whereOf(input, ctx.config.SUBJECT_PREFIX);
    const rows = await ctx.db.query<{ id: number; subject: string; payload: ArrayBuffer }>(
      `SELECT id, subject, payload FROM dead_letters WHERE ${where} ORDER BY id LIMIT ?`,
      [...args, input.limit],
    );
    for (const row of rows) ctx.publish(row.subject, new Uint8Array(row.payload));
    await ctx.write(async (tx) => {
      for (const row of rows) await tx.run("DELETE FROM dead_letters WHERE id = ?", [row.id]);
    });
    return { replayed: rows.length };
  },
});
