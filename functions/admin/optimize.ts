import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";

export default defineRequest({
  description: "PRAGMA optimize: refresh the query planner's statistics where they are stale",
  input: z.object({}),
  output: z.object({ took_ms: z.number() }),
  async handle(_input, ctx) {
    const started = performance.now();
    await ctx.write((tx) => tx.run("PRAGMA optimize"), { transaction: false });
    return { took_ms: Math.round(performance.now() - started) };
  },
});
