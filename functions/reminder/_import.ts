/**
 * The reminder bot's legacy JSON storage: an object keyed by announcement message id. Applied in
 * one transaction; running it again changes nothing.
 */
import { z } from "zod";
import { id, name, text } from "../../shared/function/text.ts";
import { unixSeconds } from "../../shared/function/numbers.ts";
import { IntervalMinutes } from "./event/_fields.ts";
import { checkInput } from "../../shared/function/decode.ts";
import type { Sql } from "../../shared/function/sql.ts";

/** Discord ids: strings, or numbers only while they are exact (JSON numbers lose digits past 2^53). */
const Id = z.union([
  id().trim().min(1),
  z.number().nonnegative().refine(Number.isSafeInteger, "too large to be exact (or not whole): write it as a string"),
])
  .transform(String);

export const LegacyEvent = z.strictObject({
  channel_id: Id,
  guild_id: Id,
  title: text().trim().min(1),
  description: text().nullable().optional(),
  /** Minutes between reminders, within what reminder.event.create takes. */
  interval: IntervalMinutes,
  paused: z.boolean().default(false),
  /** Unix seconds, or null before the first reminder. */
  last_reminder: unixSeconds().nullable().default(null),
  required_reactions: z.array(name().min(1)).default([]),
  /** Users who reacted, by emoji. */
  reactions: z.record(name().min(1), z.array(Id)).default({}),
});

export const LegacyFile = z.record(z.string().regex(/^\d+$/, "message ids are digits"), LegacyEvent);

/** What an import did. */
export interface ImportCounts {
  guilds_created: number;
  events_created: number;
  events_updated: number;
  events_unchanged: number;
  reactions_added: number;
}

/**
 * Parses the file's text. A file that breaks the format throws an AggregateError with one error per
 * problem, each naming the key and line at fault, so that one run lists them all.
 */
export function parseLegacy(text: string): z.infer<typeof LegacyFile> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = Number(/position (\d+)/.exec(message)?.[1]);
    const line = Number.isFinite(position)
      ? text.slice(0, position).split("\n").length
      : Number(/line (\d+)/.exec(message)?.[1]);
    throw new Error(`Invalid JSON${line ? ` at line ${line}` : ""}: ${message}`);
  }
  const parsed = checkInput(LegacyFile, data);
  if ("data" in parsed) return parsed.data;
  const problems = parsed.issues.map((issue) => ({ line: lineOf(text, data, issue.path), ...issue }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
    .map(({ path, line, message }) => {
      const key = path.map((p) => typeof p === "number" ? `[${p}]` : `[${JSON.stringify(p)}]`).join("");
      return new Error(`Invalid event at ${key || "the top level"}${line ? ` (line ${line})` : ""}: ${message}`);
    });
  throw new AggregateError(
    problems,
    `${problems.length} problem${problems.length > 1 ? "s" : ""} in the file: ${
      problems.map((p) => p.message).join("; ")
    }`,
  );
}

/** The line of the deepest key of `path` that the file has (the line of its object when a key is missing). */
function lineOf(text: string, data: unknown, path: (string | number)[]): number | undefined {
  let at = -1;
  let value = data;
  for (const key of path) {
    if (typeof key !== "string" || typeof value !== "object" || value === null || !Object.hasOwn(value, key)) break;
    // The first `"key":` after its parent's key: the keys of one object precede those of the next.
    const pattern = new RegExp(`${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*:`, "g");
    pattern.lastIndex = at + 1;
    const match = pattern.exec(text);
    if (!match) break;
    at = match.index;
    value = (value as Record<string, unknown>)[key];
  }
  return at < 0 ? undefined : text.slice(0, at).split("\n").length;
}

/** Applies the events inside the caller's transaction; `onProgress` hears after each event how many are done. */
export async function applyLegacy(
  tx: Sql,
  events: z.infer<typeof LegacyFile>,
  now: number,
  onProgress?: (done: number, total: number) => void,
): Promise<ImportCounts> {
  const counts: ImportCounts = {
    guilds_created: 0,
    events_created: 0,
    events_updated: 0,
    events_unchanged: 0,
    reactions_added: 0,
  };
  const entries = Object.entries(events);
  for (const [done, [messageId, event]] of entries.entries()) {
    onProgress?.(done, entries.length);
    counts.guilds_created += (await tx.run(
      "INSERT OR IGNORE INTO reminder_guilds (guild_id, settings, created_at, updated_at) VALUES (?, '{}', ?, ?)",
      [event.guild_id, now, now],
    )).changes;
    const fields = [
      event.channel_id,
      event.guild_id,
      event.title,
      event.description ?? null,
      event.interval,
      Number(event.paused),
      event.last_reminder === null ? null : Math.floor(event.last_reminder),
      JSON.stringify(event.required_reactions),
    ];
    const [existing] = await tx.query<{ id: number; same: number }>(
      `SELECT id, (channel_id IS ?1 AND guild_id IS ?2 AND title IS ?3 AND description IS ?4 AND interval_minutes IS ?5
                   AND is_paused IS ?6 AND last_reminder IS ?7 AND required_reactions IS ?8) AS same
         FROM reminder_events WHERE message_id = ?9`,
      [...fields, messageId],
    );
    let eventId: number;
    if (!existing) {
      const result = await tx.run(
        `INSERT INTO reminder_events (channel_id, guild_id, title, description, interval_minutes, is_paused, last_reminder,
           required_reactions, message_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [...fields, messageId, now, now],
      );
      eventId = result.lastInsertRowid!;
      counts.events_created++;
    } else {
      eventId = existing.id;
      if (existing.same) counts.events_unchanged++;
      else {
        await tx.run(
          `UPDATE reminder_events SET channel_id = ?, guild_id = ?, title = ?, description = ?, interval_minutes = ?, is_paused = ?,
             last_reminder = ?, required_reactions = ?, updated_at = ? WHERE id = ?`,
          [...fields, now, eventId],
        );
        counts.events_updated++;
      }
    }
    for (const [emoji, users] of Object.entries(event.reactions)) {
      for (const user of users) {
        counts.reactions_added += (await tx.run(
          "INSERT OR IGNORE INTO reminder_reactions (event_id, user_id, emoji, reacted_at) VALUES (?, ?, ?, ?)",
          [eventId, user, emoji, now],
        )).changes;
      }
    }
  }
  onProgress?.(entries.length, entries.length);
  return counts;
}
