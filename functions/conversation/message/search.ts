import { z } from "zod";
import { id, text } from "../../../shared/function/text.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { Role } from "../_model.ts";

/** Each word of the query as a quoted FTS5 term, so no input is read as query syntax. */
function ftsQuery(query: string): string {
  return query.split(/\s+/).filter(Boolean).map((word) => `"${word.replaceAll('"', '""')}"`).join(" ");
}

export default defineRequest({
  description: "Full-text search over a user's messages (all words must match), best match first, with a snippet",
  input: z.object({
    user_id: id().min(1),
    query: text().trim().min(1, "must not be empty").max(500),
    limit: z.number().int().min(1).max(100).default(20),
  }),
  readOnly: true,
  output: z.array(z.object({
    conversation_id: z.string(),
    message_id: z.string(),
    role: Role,
    snippet: z.string(),
    rank: z.number(),
    created_at: z.number(),
  })),
  handle(input, ctx) {
    return ctx.db.query(
      `SELECT m.conversation_id, m.id AS message_id, m.role,
              snippet(conversation_messages_fts, 0, '[', ']', '…', 12) AS snippet,
              bm25(conversation_messages_fts) AS rank, m.created_at
         FROM conversation_messages_fts
         JOIN conversation_messages m ON m.seq = conversation_messages_fts.rowid
         JOIN conversations c ON c.id = m.conversation_id
        WHERE conversation_messages_fts MATCH ? AND c.user_id = ? AND c.status != 'DELETED'
        ORDER BY rank, m.seq LIMIT ?`,
      [ftsQuery(input.query), input.user_id, input.limit],
    );
  },
});
