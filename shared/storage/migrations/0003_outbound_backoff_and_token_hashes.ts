/**
 * Columns the old service lacked (when an outbound message was last tried, when a token was
 * revoked, a token's visible prefix), and plain-text API tokens replaced by their SHA-256 hash.
 * The old tokens keep validating: validation hashes what it is given.
 */
import type { Sql } from "../../function/sql.ts";
import { hashToken, TOKEN_PREFIX_LENGTH } from "../token_hash.ts";

export default async function (tx: Sql) {
  await tx.run("ALTER TABLE outbound_messages ADD COLUMN last_attempt_at INTEGER");
  await tx.run("ALTER TABLE api_tokens ADD COLUMN revoked_at INTEGER");
  await tx.run("ALTER TABLE api_tokens ADD COLUMN token_prefix TEXT");
  await tx.run("CREATE INDEX IF NOT EXISTS idx_api_tokens_prefix ON api_tokens (token_prefix)");
  await tx.run("CREATE INDEX IF NOT EXISTS idx_user_stats_chat_lines ON user_stats (total_chat_lines DESC)");
  const tokens = await tx.query<{ token: string }>("SELECT token FROM api_tokens");
  for (const { token } of tokens) {
    await tx.run("UPDATE api_tokens SET token = ?, token_prefix = ? WHERE token = ?", [
      await hashToken(token),
      token.slice(0, TOKEN_PREFIX_LENGTH),
      token,
    ]);
  }
}
