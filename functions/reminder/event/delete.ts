import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { EventId, requireEvent } from "../_model.ts";

export default defineRequest({
  description: "Delete an event with its reactions and reminder log",
  input: z.object({ event_id: EventId }),
  output: z.object({ deleted: z.number() }),
  handle(input, ctx) {
    return ctx.write(async (tx) => {
      await requireEvent(tx, input.event_id);
      const { changes } = await tx.run("DELETE FROM reminder_events WHERE id = ?", [input.event_id]);
      return { deleted: changes };
    });
  },
});
