import { z } from "zod";
import { id } from "../../shared/function/text.ts";
import { defineRequest } from "../../shared/function/define.ts";
import { hashToken, TOKEN_PREFIX_LENGTH } from "../../shared/storage/token_hash.ts";

export default defineRequest({
  description:
    `Revoke a token by its value or by a prefix of at least 8 characters (compared on its first ${TOKEN_PREFIX_LENGTH})`,
  input: z.union([
    z.object({ token: id().min(1).max(200) }),
    z.object({ token_prefix: id().min(8, "must be at least 8 characters").max(200) }),
  ]),
  output: z.object({ revoked: z.number() }),
  async handle(input, ctx) {
    const given = "token" in input ? input.token : input.token_prefix;
    const prefix = "token_prefix" in input ? input.token_prefix.slice(0, TOKEN_PREFIX_LENGTH) : null;
    const { changes } = await ctx.write(async (tx) =>
      tx.run(
        `UPDATE api_tokens SET revoked = 1, revoked_at = ?1
          WHERE coalesce(revoked, 0) = 0 AND (token = ?2 OR (?3 IS NOT NULL AND substr(token_prefix, 1, length(?3)) = ?3))`,
        [ctx.receivedAt, await hashToken(given), prefix],
      )
    );
    return { revoked: changes };
  },
});
