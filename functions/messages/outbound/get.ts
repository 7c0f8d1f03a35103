import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";

export const OutboundMessage = z.object({
  id: z.number(),
  timestamp: z.number(),
  message: z.string(),
  retry_count: z.number(),
  last_error: z.string().nullable(),
});

export default defineRequest({
  description: "Unsent outbound messages that are due for (re)delivery, oldest first",
  input: z.object({
    limit: z.number().int().min(1).max(500).default(50),
    max_retries: z.number().int().min(1).max(100).default(3),
  }),
  output: z.array(OutboundMessage),
  readOnly: true,
  handle(input, ctx) {
    // Backoff: after n failures a message is due again 2^n minutes after its last attempt.
    return ctx.db.query(
      `SELECT id, timestamp, message, coalesce(retry_count, 0) AS retry_count, last_error FROM outbound_messages
        WHERE sent = 0 AND coalesce(retry_count, 0) < ?1
          AND (coalesce(retry_count, 0) = 0 OR coalesce(last_attempt_at, 0) + (1 << retry_count) * 60 <= ?2)
        ORDER BY timestamp, id LIMIT ?3`,
      [input.max_retries, ctx.receivedAt, input.limit],
    );
  },
});
