import { z } from "zod";
import { id } from "../../shared/function/text.ts";
import { defineRequest } from "../../shared/function/define.ts";
import { Conversation, CONVERSATION_COLUMNS, Cursor } from "./_model.ts";

export default defineRequest({
  description: "A user's conversations, newest activity first, a page at a time (deleted ones are never listed)",
  input: z.object({
    user_id: id().min(1),
    status: z.enum(["ACTIVE", "ARCHIVED", "CLOSED"]).optional(),
    limit: z.number().int().min(1).max(100).default(20),
    /** The `next_before` of the previous page. */
    before: Cursor.optional(),
  }),
  readOnly: true,
  output: z.object({ conversations: z.array(Conversation), next_before: z.string().nullable() }),
  async handle(input, ctx) {
    const rows = await ctx.db.query<z.infer<typeof Conversation> & { activity: number }>(
      `SELECT ${CONVERSATION_COLUMNS}, activity FROM conversations
        WHERE user_id = ?1 AND status != 'DELETED' AND (?2 IS NULL OR status = ?2) AND activity < ?3
        ORDER BY activity DESC LIMIT ?4`,
      [
        input.user_id,
        input.status ?? null,
        input.before ? Number(input.before) : Number.MAX_SAFE_INTEGER,
        input.limit + 1,
      ],
    );
    const page = rows.slice(0, input.limit);
    return {
      conversations: page.map(({ activity: _, ...conversation }) => conversation),
      next_before: rows.length > input.limit ? String(page.at(-1)!.activity) : null,
    };
  },
});
