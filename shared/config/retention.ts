/** RETENTION: how long each kind of data is kept, in one setting of `name=age` pairs. */
import type { z } from "zod";

/** Seconds in one unit of a RETENTION age. */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Defaults of RETENTION (the wire contract's figures): ages of what maintenance deletes, the JetStream
 * stream's maximum age (events=0 keeps events forever) and how many backups admin.backup keeps.
 */
const RETENTION_DEFAULTS = {
  recent_chat: "150h",
  user_counts: "30d",
  sent_outbound: "7d",
  revoked_tokens: "90d",
  dead_letters: "30d",
  events: "7d",
  backups: "7",
};
export const RETENTION_DEFAULT = Object.entries(RETENTION_DEFAULTS).map(([name, value]) => `${name}=${value}`).join(
  ",",
);

/** RETENTION read: each age in seconds, `backups` a count. */
export type Retention = Record<Exclude<keyof typeof RETENTION_DEFAULTS, "backups">, number> & { backups: number };

/** Reads RETENTION's `name=value` pairs over the defaults; every bad pair is one issue. */
export function parseRetention(text: string, ctx: z.RefinementCtx): Retention {
  const values: Record<string, string> = { ...RETENTION_DEFAULTS };
  for (const pair of text.split(",").map((part) => part.trim()).filter(Boolean)) {
    const [name, value = ""] = pair.split("=", 2).map((part) => part.trim());
    if (!(name in RETENTION_DEFAULTS)) {
      ctx.addIssue({
        code: "custom",
        message: `unknown name "${name}" (known: ${Object.keys(RETENTION_DEFAULTS).join(", ")})`,
      });
    } else if (name === "backups" ? !/^[1-9][0-9]*$/.test(value) : !/^[0-9]+[smhd]$/.test(value)) {
      const expected = name === "backups" ? "a count of at least 1" : "an age such as 30d, 150h, 90m or 45s";
      ctx.addIssue({ code: "custom", message: `${name}: expected ${expected}, got "${value}"` });
    } else if (name !== "backups" && name !== "events" && parseInt(value) === 0) {
      ctx.addIssue({ code: "custom", message: `${name}: must keep something, got "${value}"` });
    } else {
      values[name] = value;
    }
  }
  const seconds = (value: string) => parseInt(value) * UNIT_SECONDS[value.at(-1)!];
  return {
    recent_chat: seconds(values.recent_chat),
    user_counts: seconds(values.user_counts),
    sent_outbound: seconds(values.sent_outbound),
    revoked_tokens: seconds(values.revoked_tokens),
    dead_letters: seconds(values.dead_letters),
    events: seconds(values.events),
    backups: parseInt(values.backups),
  };
}
