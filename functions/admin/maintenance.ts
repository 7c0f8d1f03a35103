import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";
import { archiveInactive } from "../conversation/_cold_storage.ts";

export default defineRequest({
  description:
    "Delete what has outlived its retention, move conversations inactive for CONVERSATION_ARCHIVE_DAYS to cold storage, then PRAGMA optimize; VACUUM only when asked",
  input: z.object({ vacuum: z.boolean().default(false) }),
  output: z.object({
    deleted: z.object({
      recent_chat: z.number(),
      user_count_history: z.number(),
      outbound_messages: z.number(),
      api_tokens: z.number(),
      dead_letters: z.number(),
    }),
    /** Conversations moved to cold storage (absent when CONVERSATION_ARCHIVE_DAYS is 0). */
    cold_storage: z.object({ archived: z.number(), files: z.number(), leftovers_removed: z.number() }).optional(),
    took_ms: z.number(),
  }),
  async handle(input, ctx) {
    const started = performance.now();
    const now = ctx.receivedAt;
    const keep = ctx.config.RETENTION;
    const deleted = await ctx.write(async (tx) => {
      const remove = async (sql: string, cutoff: number) => (await tx.run(sql, [now - cutoff])).changes;
      return {
        recent_chat: await remove("DELETE FROM recent_chat WHERE timestamp < ?", keep.recent_chat),
        user_count_history: await remove(
          "DELETE FROM user_count_history WHERE timestamp < ?",
          keep.user_counts,
        ),
        outbound_messages: await remove(
          "DELETE FROM outbound_messages WHERE sent = 1 AND coalesce(sent_timestamp, timestamp) < ?",
          keep.sent_outbound,
        ),
        api_tokens: await remove(
          "DELETE FROM api_tokens WHERE revoked = 1 AND coalesce(revoked_at, created_at) < ?",
          keep.revoked_tokens,
        ),
        dead_letters: await remove(
          "DELETE FROM dead_letters WHERE received_at < ?",
          keep.dead_letters,
        ),
      };
    });
    const archiveDays = ctx.config.CONVERSATION_ARCHIVE_DAYS;
    const coldStorage = archiveDays ? await archiveInactive(ctx, now - archiveDays * 86_400) : undefined;
    await ctx.write((tx) => tx.run("PRAGMA optimize"));
    if (input.vacuum) await ctx.write((tx) => tx.run("VACUUM"), { transaction: false });
    return {
      deleted,
      ...(coldStorage ? { cold_storage: coldStorage } : {}),
      took_ms: Math.round(performance.now() - started),
    };
  },
});
