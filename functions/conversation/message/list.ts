import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { fitItems, LIST_ENVELOPE_BYTES } from "../../../shared/function/fit_items.ts";
import { unixSeconds } from "../../../shared/function/numbers.ts";
import { ConversationId, Cursor, Message, MESSAGE_COLUMNS, messageOf, requireConversation, Role } from "../_model.ts";

export default defineRequest({
  // A page also ends early where the reply would pass the server's max_payload: next_after says where.
  description:
    "A conversation's messages in order, a page at a time, optionally of one role and saved between since and until",
  input: z.object({
    conversation_id: ConversationId,
    role: Role.optional(),
    /** Saved at or after this, Unix seconds. */
    since: unixSeconds().optional(),
    /** Saved at or before this, Unix seconds. */
    until: unixSeconds().optional(),
    limit: z.number().int().min(1).max(500).default(50),
    /** The `next_after` of the previous page. */
    after: Cursor.optional(),
  }),
  readOnly: true,
  output: z.object({
    messages: z.array(Message),
    next_after: z.string().nullable(),
    /** Messages of this page left out because each alone is larger than a reply can be; absent when none. */
    skipped_too_large: z.number().optional(),
  }),
  async handle(input, ctx) {
    await requireConversation(ctx.db, input.conversation_id);
    const rows = await ctx.db.query<Record<string, unknown> & { seq: number }>(
      `SELECT ${MESSAGE_COLUMNS}, seq FROM conversation_messages
        WHERE conversation_id = ?1 AND seq > ?2 AND (?3 IS NULL OR role = ?3)
          AND (?4 IS NULL OR created_at >= ?4) AND (?5 IS NULL OR created_at <= ?5)
        ORDER BY seq LIMIT ?6`,
      [
        input.conversation_id,
        input.after ? Number(input.after) : 0,
        input.role ?? null,
        input.since ?? null,
        input.until ?? null,
        input.limit + 1,
      ],
    );
    const page = rows.slice(0, input.limit);
    const fit = fitItems(page.map(({ seq: _, ...row }) => messageOf(row)), ctx.replyBytes - LIST_ENVELOPE_BYTES);
    if (fit.skipped > 0) {
      ctx.log.warn("Messages too large to ever send were left out", {
        conversation_id: input.conversation_id,
        skipped: fit.skipped,
      });
    }
    const more = fit.cut || rows.length > input.limit;
    return {
      messages: fit.kept,
      next_after: more ? String(page[fit.passed - 1].seq) : null,
      ...(fit.skipped > 0 ? { skipped_too_large: fit.skipped } : {}),
    };
  },
});
