/** The reminder store's shapes and the lookups its functions share. */
import { z } from "zod";
import { id } from "../../shared/function/text.ts";
import { rowId } from "../../shared/function/numbers.ts";
import { ServiceError } from "../../shared/function/errors.ts";
import type { Sql } from "../../shared/function/sql.ts";

export const Snowflake = id().trim().min(1, "must not be empty").max(100);
export const EventId = rowId();

export const Guild = z.object({
  guild_id: z.string(),
  name: z.string().nullable(),
  settings: z.record(z.string(), z.unknown()),
  created_at: z.number(),
  updated_at: z.number(),
});

export const Member = z.object({
  id: z.number(),
  user_id: z.string(),
  guild_id: z.string(),
  username: z.string().nullable(),
  is_bot: z.boolean(),
  last_seen: z.number().nullable(),
});

export const ReminderEvent = z.object({
  id: z.number(),
  message_id: z.string(),
  channel_id: z.string(),
  guild_id: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  interval_minutes: z.number(),
  is_paused: z.boolean(),
  last_reminder: z.number().nullable(),
  required_reactions: z.array(z.string()),
  created_at: z.number(),
  updated_at: z.number(),
});
export type ReminderEvent = z.infer<typeof ReminderEvent>;

/** One run of a reminder, as `reminder.log.*` store and return it. */
export const LogEntry = z.object({
  id: z.number(),
  event_id: z.number(),
  scheduled_at: z.number(),
  sent_at: z.number().nullable(),
  users_notified: z.number(),
  status: z.enum(["pending", "sent", "failed"]),
  error_message: z.string().nullable(),
});

export const LOG_COLUMNS = "id, event_id, scheduled_at, sent_at, users_notified, status, error_message";

export const EVENT_COLUMNS =
  "id, message_id, channel_id, guild_id, title, description, interval_minutes, is_paused, last_reminder, required_reactions, created_at, updated_at";

/** An event row with its flags and JSON decoded. */
export function eventOf(row: Record<string, unknown>): ReminderEvent {
  return {
    ...(row as ReminderEvent),
    is_paused: row.is_paused === 1,
    required_reactions: JSON.parse(row.required_reactions as string),
  };
}

/** The event, or a 404 naming it. */
export async function requireEvent(db: Sql, id: number): Promise<ReminderEvent> {
  const [row] = await db.query(`SELECT ${EVENT_COLUMNS} FROM reminder_events WHERE id = ?`, [id]);
  if (!row) throw new ServiceError(404, `Unknown event: ${id}`);
  return eventOf(row);
}

/** A 404 unless the guild exists. */
export async function requireGuild(db: Sql, guildId: string): Promise<void> {
  const rows = await db.query("SELECT 1 FROM reminder_guilds WHERE guild_id = ?", [guildId]);
  if (rows.length === 0) throw new ServiceError(404, `Unknown guild: "${guildId}"`);
}

/** Unix seconds now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
