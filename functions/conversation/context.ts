import { z } from "zod";
import { count } from "../../shared/function/numbers.ts";
import { defineRequest } from "../../shared/function/define.ts";
import type { Row } from "../../shared/function/sql.ts";
import { LIST_ENVELOPE_BYTES } from "../../shared/function/fit_items.ts";
import { ConversationId, Message, MESSAGE_COLUMNS, messageOf, requireConversation } from "./_model.ts";
import { newestSummary, Summary } from "./summary/_summary.ts";
import memorySearch from "../memory/search.ts";
import { NamespacePrefix } from "../memory/_item.ts";
import { Embedding } from "../../shared/function/vectors.ts";

/** A recalled memory as the context returns it: memory.search's item. */
const Memory = memorySearch.output.shape.items.element;

/** A message's tokens: `metadata.tokens` when the caller stored a count there, else ⌈characters / 4⌉. */
const TOKENS = `CASE WHEN json_type(metadata, '$.tokens') = 'integer' AND json_extract(metadata, '$.tokens') >= 0
  THEN json_extract(metadata, '$.tokens') ELSE (length(content) + 3) / 4 END`;
/**
 * Rows read per step, newest first: the first step is sized for the budget at 25 tokens a message (short
 * chat turns), so one query usually covers it; each further step is twice as long.
 */
const TOKENS_PER_STEP_ROW = 25;
const FIRST_STEP = 32;
const LAST_STEP = 1024;
const utf8 = new TextEncoder();

export default defineRequest({
  description:
    "What goes into a prompt within max_tokens less reserve_tokens: the newest summary, memories recalled by meaning (recall), and the newest messages the summary does not cover, oldest first",
  input: z.object({
    conversation_id: ConversationId,
    max_tokens: z.number().int().min(1).max(10_000_000),
    /** Tokens kept free for the model's answer (and the caller's own instructions). */
    reserve_tokens: count().default(0),
    /** Memories to recall by meaning (memory.search), counted in the budget after the summary. */
    recall: z.object({
      embedding: Embedding,
      limit: z.number().int().min(1).max(50).default(5),
      /** Default: the conversation's user id, the memory store's convention for a user's memories. */
      namespace_prefix: NamespacePrefix.optional(),
    }).optional(),
  }).refine((input) => input.reserve_tokens < input.max_tokens, {
    path: ["reserve_tokens"],
    message: "must be less than max_tokens",
  }),
  readOnly: true,
  output: z.object({
    summary: Summary.optional(),
    /** Recalled memories that fit, best first; present when recall was asked for. */
    memories: z.array(Memory).optional(),
    messages: z.array(Message),
    /** Tokens of the summary and messages returned, by the same count as the budget. */
    token_count: z.number(),
    /** Whether anything the context would hold was left out: older uncovered messages, or a summary too large. */
    truncated: z.boolean(),
  }),
  async handle(input, ctx) {
    const conversation = await requireConversation(ctx.db, input.conversation_id);
    const budget = input.max_tokens - input.reserve_tokens;
    let used = 0, truncated = false;
    let bytesLeft = ctx.replyBytes - LIST_ENVELOPE_BYTES;
    const found = await newestSummary(ctx.db, input.conversation_id);
    let summary: Summary | undefined;
    if (found) {
      const { through_seq: _, ...shown } = found;
      const tokens = found.token_count ?? Math.ceil([...found.summary].length / 4);
      const bytes = utf8.encode(JSON.stringify(shown)).length;
      if (tokens <= budget && bytes <= bytesLeft) {
        summary = shown;
        used = tokens;
        bytesLeft -= bytes;
      } else truncated = true;
    }
    let memories: z.infer<typeof Memory>[] | undefined;
    if (input.recall) {
      const search = memorySearch.input.parse({
        namespace_prefix: input.recall.namespace_prefix ?? [conversation.user_id],
        embedding: input.recall.embedding,
        limit: input.recall.limit,
      });
      memories = [];
      // Best first, each while it fits: a memory's tokens are ⌈characters / 4⌉ of its text (else its value).
      for (const memory of (await memorySearch.handle(search, ctx)).items) {
        const tokens = Math.ceil([...(memory.text ?? JSON.stringify(memory.value))].length / 4);
        const bytes = utf8.encode(JSON.stringify(memory)).length + 1;
        if (used + tokens > budget || bytes > bytesLeft) {
          truncated = true;
          break;
        }
        memories.push(memory as z.infer<typeof Memory>);
        used += tokens;
        bytesLeft -= bytes;
      }
    }
    // Messages the summary covers are left out, whether or not the summary itself fit.
    const floor = found?.through_seq ?? 0;
    // First the tokens alone, newest first, to find the oldest message that fits; then those messages.
    let oldest = Number.MAX_SAFE_INTEGER, newest = 0, before = Number.MAX_SAFE_INTEGER;
    let step = Math.min(LAST_STEP, Math.max(FIRST_STEP, Math.ceil(budget / TOKENS_PER_STEP_ROW)));
    count: while (true) {
      const rows = await ctx.db.query<{ seq: number; tokens: number }>(
        `SELECT seq, ${TOKENS} AS tokens FROM conversation_messages
          WHERE conversation_id = ? AND seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
        [input.conversation_id, floor, before, step],
      );
      for (const { seq, tokens } of rows) {
        if (used + tokens > budget) {
          truncated = true;
          break count;
        }
        used += tokens;
        oldest = seq;
        newest ||= seq;
      }
      if (rows.length < step) break;
      before = rows.at(-1)!.seq;
      step = Math.min(step * 2, LAST_STEP);
    }
    const rows = oldest === Number.MAX_SAFE_INTEGER ? [] : await ctx.db.query<Row & { seq: number; tokens: number }>(
      `SELECT ${MESSAGE_COLUMNS}, ${TOKENS} AS tokens FROM conversation_messages
        WHERE conversation_id = ? AND seq BETWEEN ? AND ? ORDER BY seq DESC`,
      // Up to the newest counted: a message saved between the two reads was not.
      [input.conversation_id, oldest, newest],
    );
    // Within the reply's bytes too: the newest that fit (a budget in the millions could outgrow it).
    const newestFirst: z.infer<typeof Message>[] = [];
    for (const { tokens: _, ...columns } of rows) {
      const message = messageOf(columns);
      const bytes = utf8.encode(JSON.stringify(message)).length + 1;
      if (bytes > bytesLeft) {
        truncated = true;
        used -= rows.slice(newestFirst.length).reduce((sum, r) => sum + r.tokens, 0);
        break;
      }
      newestFirst.push(message);
      bytesLeft -= bytes;
    }
    return {
      ...(summary ? { summary } : {}),
      ...(memories ? { memories } : {}),
      messages: newestFirst.reverse(),
      token_count: used,
      truncated,
    };
  },
});
