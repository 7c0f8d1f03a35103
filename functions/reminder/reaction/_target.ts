/** Finds the event a reaction is about, by id or by the message it watches. */
import { z } from "zod";
import { name } from "../../../shared/function/text.ts";
import { unixSeconds } from "../../../shared/function/numbers.ts";
import { ServiceError } from "../../../shared/function/errors.ts";
import type { Sql } from "../../../shared/function/sql.ts";
import { EventId, Snowflake } from "../_model.ts";

export const ReactionInput = z.object({
  event_id: EventId.optional(),
  message_id: Snowflake.optional(),
  user_id: Snowflake,
  emoji: name().trim().min(1, "must not be empty").max(100),
  timestamp: unixSeconds().optional(),
}).refine((r) => r.event_id !== undefined || r.message_id !== undefined, "needs event_id or message_id");

/** The event id a reaction names; a 404 (and so a not_found dead letter) when there is none. */
export async function eventIdOf(db: Sql, input: { event_id?: number; message_id?: string }): Promise<number> {
  const [row] = input.event_id !== undefined
    ? await db.query<{ id: number }>("SELECT id FROM reminder_events WHERE id = ?", [input.event_id])
    : await db.query<{ id: number }>("SELECT id FROM reminder_events WHERE message_id = ?", [input.message_id!]);
  if (!row) throw new ServiceError(404, `Unknown event: ${input.event_id ?? `message "${input.message_id}"`}`);
  return row.id;
}
