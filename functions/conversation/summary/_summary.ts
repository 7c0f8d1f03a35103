/** A conversation's rolling summaries: the shape, and the newest one that conversation.context and summary.get read. */
import { z } from "zod";
import type { Sql } from "../../../shared/function/sql.ts";

export const Summary = z.object({
  id: z.number(),
  conversation_id: z.string(),
  summary: z.string(),
  /** The last message the summary covers: it and every message before it. */
  through_message_id: z.string(),
  /** The caller's count, or null (conversation.context then counts ⌈characters / 4⌉). */
  token_count: z.number().nullable(),
  created_at: z.number(),
});
export type Summary = z.infer<typeof Summary>;

/** The newest summary of a conversation with the seq of the last message it covers, or undefined. */
export async function newestSummary(
  db: Sql,
  conversationId: string,
): Promise<(Summary & { through_seq: number }) | undefined> {
  // `query`, not `first`: a row `first` reads carries the driver's `_metadata` beside the columns.
  const [summary] = await db.query<Summary & { through_seq: number }>(
    `SELECT id, conversation_id, summary, through_message_id, token_count, created_at, through_seq
      FROM conversation_summaries WHERE conversation_id = ? ORDER BY id DESC LIMIT 1`,
    [conversationId],
  );
  return summary;
}
