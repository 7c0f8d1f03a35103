import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";

export default defineRequest({
  description: "PRAGMA integrity_check and foreign_key_check",
  input: z.object({}),
  output: z.object({ ok: z.boolean(), problems: z.array(z.string()), foreign_key_violations: z.number() }),
  async handle(_input, ctx) {
    const rows = await ctx.db.query<{ integrity_check: string }>("PRAGMA integrity_check");
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== "ok");
    const violations = await ctx.db.query("PRAGMA foreign_key_check");
    return {
      ok: problems.length === 0 && violations.length === 0,
      problems,
      foreign_key_violations: violations.length,
    };
  },
});
