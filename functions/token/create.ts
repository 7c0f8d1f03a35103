import { z } from "zod";
import { text } from "../../shared/function/text.ts";
import { defineRequest } from "../../shared/function/define.ts";
import { hashToken, TOKEN_PREFIX_LENGTH } from "../../shared/storage/token_hash.ts";

/** 32 random bytes, base64url without padding: 43 characters. */
function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export default defineRequest({
  description: "Create an API token; it is shown once, only its hash is stored",
  input: z.object({ description: text().max(500).optional() }),
  output: z.object({ token: z.string() }),
  async handle(input, ctx) {
    const token = newToken();
    const hash = await hashToken(token);
    await ctx.write((tx) =>
      tx.run("INSERT INTO api_tokens (token, token_prefix, description, created_at, revoked) VALUES (?, ?, ?, ?, 0)", [
        hash,
        token.slice(0, TOKEN_PREFIX_LENGTH),
        input.description ?? null,
        ctx.receivedAt,
      ])
    );
    return { token };
  },
});
