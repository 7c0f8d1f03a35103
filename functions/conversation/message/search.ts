import { z } from "zod";
import { id, text } from "../../../shared/function/text.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { Embedding, vectorOf } from "../../../shared/function/vectors.ts";
import { Role } from "../_model.ts";
import { similarMessages } from "./_similar.ts";
import { fuseRanks, type Matched } from "../../../shared/function/rank_fusion.ts";

/** Each word of the query as a quoted FTS5 term, so no input is read as query syntax. */
function ftsQuery(query: string): string {
  return query.split(/\s+/).filter(Boolean).map((word) => `"${word.replaceAll('"', '""')}"`).join(" ");
}

/** Each list a hybrid search fuses holds this many candidates at least (more when the limit is higher). */
const HYBRID_CANDIDATES = 50;

const Hit = z.object({
  conversation_id: z.string(),
  message_id: z.string(),
  role: Role,
  snippet: z.string(),
  rank: z.number().nullable().describe("bm25 of the text match, lower is better; null for a vector-only match"),
  created_at: z.number(),
  matched: z.array(z.enum(["text", "vector"])).describe("Which searches found the message"),
  similarity: z.number().optional().describe("Cosine similarity to the embedding, when the vector search found it"),
  score: z.number().optional().describe("Reciprocal rank fusion of both lists (with an embedding): higher is better"),
});
type Hit = z.input<typeof Hit>;

export default defineRequest({
  description:
    "Full-text search over a user's messages (all words must match), best match first, with a snippet; with an embedding, fused with the nearest messages by reciprocal rank",
  input: z.object({
    user_id: id().min(1),
    query: text().trim().min(1, "must not be empty").max(500),
    limit: z.number().int().min(1).max(100).default(20),
    embedding: Embedding.optional().describe("The query's embedding: hybrid search (EMBEDDING_DIMENSIONS numbers)"),
  }),
  readOnly: true,
  output: z.array(Hit),
  async handle(input, ctx) {
    const vector = input.embedding && vectorOf(ctx.config, input.embedding);
    const candidates = vector ? Math.max(HYBRID_CANDIDATES, input.limit) : input.limit;
    const texts = await ctx.db.query<Omit<Hit, "matched">>(
      `SELECT m.conversation_id, m.id AS message_id, m.role,
              snippet(conversation_messages_fts, 0, '[', ']', '…', 12) AS snippet,
              bm25(conversation_messages_fts) AS rank, m.created_at
         FROM conversation_messages_fts
         JOIN conversation_messages m ON m.seq = conversation_messages_fts.rowid
         JOIN conversations c ON c.id = m.conversation_id
        WHERE conversation_messages_fts MATCH ? AND c.user_id = ? AND c.status != 'DELETED'
        ORDER BY rank, m.seq LIMIT ?`,
      [ftsQuery(input.query), input.user_id, candidates],
    );
    if (!vector) return texts.map((hit): Hit => ({ ...hit, matched: ["text"] }));
    const near = await similarMessages(ctx.db, { user_id: input.user_id }, vector, candidates);
    const vectors = await ctx.db.query<Omit<Hit, "matched">>(
      `SELECT m.conversation_id, m.id AS message_id, m.role, m.content AS snippet, NULL AS rank, m.created_at
         FROM json_each(?) j JOIN conversation_messages m ON m.seq = j.value ORDER BY j.key`,
      [JSON.stringify(near.map(({ seq }) => seq))],
    );
    const hits = new Map<string, Hit>();
    for (const hit of texts) hits.set(hit.message_id, { ...hit, matched: [] });
    vectors.forEach((hit, i) => {
      const known = hits.get(hit.message_id);
      const base = known ?? { ...hit, snippet: opening(hit.snippet), matched: [] };
      hits.set(hit.message_id, { ...base, similarity: near[i].score });
    });
    const lists: Record<Matched, string[]> = {
      text: texts.map((hit) => hit.message_id),
      vector: vectors.map((hit) => hit.message_id),
    };
    return fuseRanks(lists).slice(0, input.limit).map(({ key, score, matched }) => ({
      ...hits.get(key)!,
      matched,
      score,
    }));
  },
});

/** The first words of a message found by meaning alone, as a snippet (text matches get FTS5's). */
function opening(content: string): string {
  const words = content.split(/\s+/).filter(Boolean);
  return words.length > 12 ? `${words.slice(0, 12).join(" ")}…` : words.join(" ");
}
