import { z } from "zod";
import { id } from "../../shared/function/text.ts";
import { defineRequest } from "../../shared/function/define.ts";
import { unixSeconds } from "../../shared/function/numbers.ts";
import type { SqlValue } from "../../shared/function/sql.ts";
import { Conversation, CONVERSATION_COLUMNS, conversationOf, Cursor } from "./_model.ts";

/** A metadata key a filter may name: any text but the quote and backslash, which would end its JSON path. */
const MetadataKey = id().min(1).max(200).regex(/^[^"\\]+$/, 'must not contain " or \\');
const MetadataValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export default defineRequest({
  description:
    "A user's conversations, newest activity first, a page at a time (deleted ones are never listed); filters: status, metadata values, last activity between since and until",
  input: z.object({
    user_id: id().min(1),
    status: z.enum(["ACTIVE", "ARCHIVED", "CLOSED"]).optional(),
    /** Top-level metadata values each listed conversation has, compared by JSON type and value. */
    metadata: z.record(MetadataKey, MetadataValue).refine((m) => Object.keys(m).length <= 20, "at most 20 keys")
      .optional(),
    /** Last change (updated_at) at or after this, Unix seconds. */
    since: unixSeconds().optional(),
    /** Last change (updated_at) at or before this, Unix seconds. */
    until: unixSeconds().optional(),
    limit: z.number().int().min(1).max(100).default(20),
    /** The `next_before` of the previous page. */
    before: Cursor.optional(),
  }),
  readOnly: true,
  output: z.object({ conversations: z.array(Conversation), next_before: z.string().nullable() }),
  async handle(input, ctx) {
    const args: SqlValue[] = [
      input.user_id,
      input.status ?? null,
      input.before ? Number(input.before) : Number.MAX_SAFE_INTEGER,
      input.since ?? null,
      input.until ?? null,
    ];
    let filters = "";
    for (const [key, value] of Object.entries(input.metadata ?? {})) {
      const [type, sqlValue] = jsonTyped(value);
      const path = `$."${key}"`;
      filters += ` AND json_type(metadata, ?) IS ? AND json_extract(metadata, ?) IS ?`;
      args.push(path, type, path, sqlValue);
    }
    args.push(input.limit + 1);
    const rows = await ctx.db.query<Record<string, unknown> & { activity: number }>(
      `SELECT ${CONVERSATION_COLUMNS}, activity FROM conversations
        WHERE user_id = ? AND status != 'DELETED' AND (?2 IS NULL OR status = ?2) AND activity < ?
          AND (?4 IS NULL OR updated_at >= ?4) AND (?5 IS NULL OR updated_at <= ?5)${filters}
        ORDER BY activity DESC LIMIT ?`,
      args,
    );
    const page = rows.slice(0, input.limit);
    return {
      conversations: page.map(({ activity: _, ...row }) => conversationOf(row)),
      next_before: rows.length > input.limit ? String(page.at(-1)!.activity) : null,
    };
  },
});

/** The `json_type` SQLite gives a JSON value, and the SQL value `json_extract` reads it as. */
function jsonTyped(value: string | number | boolean | null): [string, SqlValue] {
  if (value === null) return ["null", null];
  if (typeof value === "boolean") return [value ? "true" : "false", value ? 1 : 0];
  if (typeof value === "number") return [Number.isInteger(value) ? "integer" : "real", value];
  return ["text", value];
}
