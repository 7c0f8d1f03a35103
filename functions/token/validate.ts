import { z } from "zod";
import { id } from "../../shared/function/text.ts";
import { defineRequest } from "../../shared/function/define.ts";
import { hashToken } from "../../shared/storage/token_hash.ts";

export default defineRequest({
  description: "Whether a token is valid (exists, not revoked); records its use",
  input: z.object({ token: id().min(1, "must not be empty").max(200) }),
  output: z.object({ valid: z.boolean() }),
  async handle(input, ctx) {
    const hash = await hashToken(input.token);
    const { changes } = await ctx.write((tx) =>
      tx.run("UPDATE api_tokens SET last_used = ? WHERE token = ? AND coalesce(revoked, 0) = 0", [ctx.receivedAt, hash])
    );
    return { valid: changes > 0 };
  },
});
