/** API tokens are stored only as SHA-256 hashes; they are random, so no slow hash is needed. */

/** How many leading characters of a token are kept in clear, for previews and prefix revocation. */
export const TOKEN_PREFIX_LENGTH = 12;

/** Lower-case hex SHA-256 of a token. */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
