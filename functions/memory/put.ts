import { z } from "zod";
import { text } from "../../shared/function/text.ts";
import { defineRequest } from "../../shared/function/define.ts";
import { requireDeliverable } from "../../shared/function/fit_items.ts";
import { Embedding, vectorOf } from "../../shared/function/vectors.ts";
import { type Item, Key, Namespace, namespaceText, sweepExpired } from "./_item.ts";

/** Ten years: a longer TTL is a mistake rather than a plan. */
const MAX_TTL_SECONDS = 10 * 365 * 86_400;

export default defineRequest({
  description:
    "Store a memory under a namespace path and key, replacing the item there (text is full-text searched, embedding searched by meaning; ttl_seconds counts from this put)",
  input: z.object({
    namespace: Namespace,
    key: Key,
    value: z.record(z.string(), z.unknown()).describe("The memory itself, a JSON object (filters match its fields)"),
    text: text().min(1).max(20_000).optional().describe("What memory.search's query matches"),
    embedding: Embedding.optional().describe("What memory.search's embedding matches (EMBEDDING_DIMENSIONS numbers)"),
    importance: z.number().int().min(1).max(5).optional().describe("1–5; ranks equal scores"),
    ttl_seconds: z.number().int().min(1).max(MAX_TTL_SECONDS).optional().describe("Expires this long after the put"),
  }),
  output: z.object({ key: z.string(), created: z.boolean() }),
  handle(input, ctx) {
    const vector = input.embedding && vectorOf(ctx.config, input.embedding);
    const now = ctx.receivedAt;
    const expiresAt = input.ttl_seconds === undefined ? null : now + input.ttl_seconds;
    const item: Item = {
      namespace: input.namespace,
      key: input.key,
      value: input.value,
      text: input.text ?? null,
      importance: input.importance ?? null,
      created_at: now,
      updated_at: now,
      expires_at: expiresAt,
    };
    // memory.get returns it whole: one that never fits a reply is refused now.
    requireDeliverable(item, ctx.replyBytes, "Memory item");
    const namespace = namespaceText(input.namespace);
    return ctx.write(async (tx) => {
      await sweepExpired(tx, now);
      // One that expired is gone: this put makes it anew.
      await tx.run("DELETE FROM memory_items WHERE namespace = ? AND key = ? AND expires_at <= ?", [
        namespace,
        input.key,
        now,
      ]);
      const existed = await tx.first("SELECT 1 FROM memory_items WHERE namespace = ? AND key = ?", [
        namespace,
        input.key,
      ]);
      const [{ id }] = await tx.query<{ id: number }>(
        `INSERT INTO memory_items (namespace, key, value, text, importance, created_at, updated_at, ttl_seconds, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, text = excluded.text,
           importance = excluded.importance, updated_at = excluded.updated_at, ttl_seconds = excluded.ttl_seconds,
           expires_at = excluded.expires_at
         RETURNING id`,
        [
          namespace,
          input.key,
          JSON.stringify(input.value),
          item.text,
          item.importance,
          now,
          now,
          input.ttl_seconds ?? null,
          expiresAt,
        ],
      );
      if (vector) {
        await tx.run(
          `INSERT INTO memory_embeddings (item_id, embedding) VALUES (?, ?)
             ON CONFLICT (item_id) DO UPDATE SET embedding = excluded.embedding`,
          [id, vector],
        );
      } else if (existed && ctx.config.EMBEDDING_DIMENSIONS > 0) {
        // A put replaces the whole item: an embedding of what it held before no longer describes it.
        await tx.run("DELETE FROM memory_embeddings WHERE item_id = ?", [id]);
      }
      return { key: input.key, created: !existed };
    });
  },
});
