import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";

const HOUR = 3600;
const DAY = 24 * HOUR;

export default defineRequest({
  description: "Delete what has outlived its retention, then PRAGMA optimize; VACUUM only when asked",
  input: z.object({ vacuum: z.boolean().default(false) }),
  output: z.object({
    deleted: z.object({
      recent_chat: z.number(),
      user_count_history: z.number(),
      outbound_messages: z.number(),
      api_tokens: z.number(),
      dead_letters: z.number(),
    }),
    took_ms: z.number(),
  }),
  async handle(input, ctx) {
    const started = performance.now();
    const now = ctx.receivedAt;
    const c = ctx.config;
    const deleted = await ctx.write(async (tx) => {
      const remove = async (sql: string, cutoff: number) => (await tx.run(sql, [now - cutoff])).changes;
      return {
        recent_chat: await remove("DELETE FROM recent_chat WHERE timestamp < ?", c.RETENTION_RECENT_CHAT_HOURS * HOUR),
        user_count_history: await remove(
          "DELETE FROM user_count_history WHERE timestamp < ?",
          c.RETENTION_USER_COUNT_DAYS * DAY,
        ),
        outbound_messages: await remove(
          "DELETE FROM outbound_messages WHERE sent = 1 AND coalesce(sent_timestamp, timestamp) < ?",
          c.RETENTION_SENT_OUTBOUND_DAYS * DAY,
        ),
        api_tokens: await remove(
          "DELETE FROM api_tokens WHERE revoked = 1 AND coalesce(revoked_at, created_at) < ?",
          c.RETENTION_REVOKED_TOKENS_DAYS * DAY,
        ),
        dead_letters: await remove(
          "DELETE FROM dead_letters WHERE received_at < ?",
          c.RETENTION_DEAD_LETTERS_DAYS * DAY,
        ),
      };
    });
    await ctx.write((tx) => tx.run("PRAGMA optimize"));
    if (input.vacuum) await ctx.write((tx) => tx.run("VACUUM"), { transaction: false });
    return { deleted, took_ms: Math.round(performance.now() - started) };
  },
});
