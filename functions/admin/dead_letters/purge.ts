import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { ServiceError } from "../../../shared/function/errors.ts";
import { DeadLetterFilter, whereOf } from "./_filter.ts";

export default defineRequest({
  description: "Delete dead letters by ids, subject or age (or all of them with all:true)",
  input: DeadLetterFilter.extend({ all: z.boolean().default(false) }),
  output: z.object({ purged: z.number() }),
  async handle(input, ctx) {
    if (!input.all && !input.ids && !input.subject && input.before === undefined) {
      throw new ServiceError(
        400,
        "Invalid input: name the dead letters to purge (ids, subject, before) or pass all:true",
      );
    }
    const { where, args } = whereOf(input, ctx.config.SUBJECT_PREFIX);
    const { changes } = await ctx.write((tx) => tx.run(`DELETE FROM dead_letters WHERE ${where}`, args));
    return { purged: changes };
  },
});
