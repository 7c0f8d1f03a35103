/** Pausing and resuming an event: the same request with a different flag. */
import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { EventId, nowSeconds, ReminderEvent, requireEvent } from "../_model.ts";

export function definePause(description: string, paused: boolean) {
  return defineRequest({
    description,
    input: z.object({ event_id: EventId }),
    output: ReminderEvent,
    handle(input, ctx) {
      return ctx.write(async (tx) => {
        const event = await requireEvent(tx, input.event_id);
        const updated_at = nowSeconds();
        await tx.run("UPDATE reminder_events SET is_paused = ?, updated_at = ? WHERE id = ?", [
          Number(paused),
          updated_at,
          event.id,
        ]);
        return { ...event, is_paused: paused, updated_at };
      });
    },
  });
}
