/** README "NATS permissions": the nats-server configuration it shows, which deploy/nats.conf holds too. */
import assert from "node:assert/strict";

/** The configuration between the README's nats-config markers. */
export async function readmeNatsConfig(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("../../../README.md", import.meta.url));
  const block = /<!-- nats-config:start -->\n```conf\n([\s\S]*?)```\n<!-- nats-config:end -->/.exec(readme);
  assert.ok(block, "README.md has a ```conf block between the nats-config markers");
  return block[1];
}

/** Passwords for the users the configuration reads from nats-server's environment (it inherits ours). */
export const PASSWORDS = {
  "rosey-db": "service-secret",
  bot: "bot-secret",
  "quote-db": "quote-db-secret",
  operator: "operator-secret",
} as const;

/** Sets the environment variables the configuration names, so nats-server started by us reads them. */
export function setPasswords(): void {
  Deno.env.set("ROSEY_DB_PASSWORD", PASSWORDS["rosey-db"]);
  Deno.env.set("BOT_PASSWORD", PASSWORDS.bot);
  Deno.env.set("QUOTE_DB_PASSWORD", PASSWORDS["quote-db"]);
  Deno.env.set("OPERATOR_PASSWORD", PASSWORDS.operator);
}
