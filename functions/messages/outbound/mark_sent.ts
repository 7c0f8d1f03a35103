import { z } from "zod";
import { defineEvent } from "../../../shared/function/define.ts";
import { rowId } from "../../../shared/function/numbers.ts";
import { eventTime, Timestamp } from "../../_event.ts";
import { requireUpdated } from "./_row.ts";

export default defineEvent({
  description: "An outbound message was delivered: mark it sent",
  input: z.object({ message_id: rowId(), timestamp: Timestamp }),
  async handle(input, ctx) {
    const { changes } = await ctx.db.run("UPDATE outbound_messages SET sent = 1, sent_timestamp = ? WHERE id = ?", [
      eventTime(input, ctx),
      input.message_id,
    ]);
    requireUpdated(changes, input.message_id);
  },
});
