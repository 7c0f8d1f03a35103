import { z } from "zod";
import { id } from "../../../shared/function/text.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { Embedding, MinScore, vectorOf } from "../../../shared/function/vectors.ts";
import { ConversationId, Message, MESSAGE_COLUMNS, messageOf } from "../_model.ts";
import { similarMessages } from "./_similar.ts";

export default defineRequest({
  description:
    "A user's or a conversation's messages nearest an embedding, best first, score the cosine similarity (deleted conversations left out)",
  input: z.object({
    user_id: id().min(1).optional(),
    conversation_id: ConversationId.optional(),
    embedding: Embedding.describe("The query's embedding, EMBEDDING_DIMENSIONS numbers"),
    limit: z.number().int().min(1).max(100).default(10),
    min_score: MinScore.optional().describe("Leave out messages less similar than this (−1…1)"),
  }).refine((input) => (input.user_id === undefined) !== (input.conversation_id === undefined), {
    path: ["user_id"],
    message: "give user_id or conversation_id, not both",
  }),
  readOnly: true,
  output: z.array(z.object({ message: Message, score: z.number() })),
  async handle(input, ctx) {
    const vector = vectorOf(ctx.config, input.embedding);
    const scope = input.user_id !== undefined
      ? { user_id: input.user_id }
      : { conversation_id: input.conversation_id! };
    const nearest = (await similarMessages(ctx.db, scope, vector, input.limit))
      .filter(({ score }) => input.min_score === undefined || score >= input.min_score);
    if (nearest.length === 0) return [];
    const rows = await ctx.db.query<Record<string, unknown>>(
      `SELECT seq, ${MESSAGE_COLUMNS} FROM conversation_messages WHERE seq IN (SELECT value FROM json_each(?))`,
      [JSON.stringify(nearest.map(({ seq }) => seq))],
    );
    const bySeq = new Map(rows.map(({ seq, ...row }) => [seq as number, messageOf(row)]));
    return nearest.map(({ seq, score }) => ({ message: bySeq.get(seq)!, score }));
  },
});
