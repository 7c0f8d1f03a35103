import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";

export default defineRequest({
  description: "API tokens as previews (first 8 characters), never the tokens themselves",
  input: z.object({ include_revoked: z.boolean().default(false) }),
  readOnly: true,
  output: z.array(z.object({
    token_preview: z.string(),
    description: z.string().nullable(),
    created_at: z.number(),
    last_used: z.number().nullable(),
    revoked: z.number(),
  })),
  handle(input, ctx) {
    return ctx.db.query(
      `SELECT substr(token_prefix, 1, 8) || '...' AS token_preview, description, created_at, last_used,
              coalesce(revoked, 0) AS revoked
         FROM api_tokens WHERE ?1 OR coalesce(revoked, 0) = 0 ORDER BY created_at, rowid`,
      [input.include_revoked ? 1 : 0],
    );
  },
});
