import { z } from "zod";
import { text } from "../../../shared/function/text.ts";
import { defineEvent } from "../../../shared/function/define.ts";
import { rowId } from "../../../shared/function/numbers.ts";
import { eventTime, Timestamp } from "../../_event.ts";
import { requireUpdated } from "./_row.ts";

export default defineEvent({
  description: "Delivery failed: count the retry and keep the error; a permanent failure also closes the message",
  input: z.object({
    message_id: rowId(),
    error: text().min(1, "must not be empty"),
    permanent: z.boolean().default(false),
    timestamp: Timestamp,
  }),
  async handle(input, ctx) {
    const t = eventTime(input, ctx);
    const { changes } = await ctx.db.run(
      `UPDATE outbound_messages SET retry_count = coalesce(retry_count, 0) + 1, last_error = ?1, last_attempt_at = ?2,
          sent = CASE WHEN ?3 THEN 1 ELSE sent END,
          sent_timestamp = CASE WHEN ?3 THEN ?2 ELSE sent_timestamp END
        WHERE id = ?4`,
      [input.error, t, input.permanent ? 1 : 0, input.message_id],
    );
    requireUpdated(changes, input.message_id);
  },
});
