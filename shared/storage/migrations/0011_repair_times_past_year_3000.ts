/**
 * Times outside what a time field takes (Unix seconds from 1970 to before the year 3000,
 * shared/function/numbers.ts): those migration 0009 clamped to ±(2^53 - 1), and those earlier
 * versions stored before the bound existed (milliseconds sent as seconds, say). A row dated past the
 * year 3000 counts as the newest for good: it sorts last in stats.recent_chat.get, falls inside every
 * stats.user_count.history window and outlives every retention.
 * - nullable: NULL, as migration 0009 does;
 * - NOT NULL, too late: the time of this migration, the latest the row can truly have happened (a time
 *   that far ahead was never one a bot meant), so the row then ages like the rows around it;
 * - NOT NULL, negative: 0, the field's lower bound.
 * Counts are logged per table. Only the service's own time columns are read: plugin databases are
 * their own, and other integers mean something else.
 */
import { LATEST_UNIX_SECONDS } from "../../function/numbers.ts";
import type { Sql } from "../../function/sql.ts";
import type { Logger } from "../../log.ts";

/** The time columns of the service's tables, whatever wrote them. */
const TIME_COLUMNS: Record<string, string[]> = {
  user_stats: ["first_seen", "last_seen", "current_session_start"],
  user_actions: ["timestamp"],
  channel_stats: ["max_users_timestamp", "max_connected_timestamp", "last_updated"],
  user_count_history: ["timestamp"],
  recent_chat: ["timestamp"],
  current_status: ["bot_start_time", "last_updated"],
  outbound_messages: ["timestamp", "sent_timestamp", "last_attempt_at"],
  api_tokens: ["created_at", "last_used", "revoked_at"],
  conversations: ["created_at", "updated_at", "last_message_at", "archived_at"],
  conversation_messages: ["created_at"],
  reminder_guilds: ["created_at", "updated_at"],
  reminder_members: ["last_seen"],
  reminder_events: ["last_reminder", "created_at", "updated_at"],
  reminder_reactions: ["reacted_at"],
  reminder_logs: ["scheduled_at", "sent_at"],
  dead_letters: ["received_at"],
};

export default async function (tx: Sql, log: Logger) {
  const now = Math.floor(Date.now() / 1000);
  for (const [table, names] of Object.entries(TIME_COLUMNS)) {
    // A database adopted from the old service may lack a table or a column: nothing to repair there.
    const columns = await tx.query<{ name: string; notnull: number }>(
      `SELECT name, "notnull" FROM pragma_table_info(?)`,
      [table],
    );
    let repaired = 0;
    for (const column of columns.filter((c) => names.includes(c.name))) {
      // Names come from the constant above, checked against the table's own columns: never from input.
      const c = `"${column.name}"`;
      const number = `typeof(${c}) IN ('integer', 'real')`;
      const late = `${number} AND ${c} > ${LATEST_UNIX_SECONDS}`;
      const early = `${number} AND ${c} < 0`;
      const set = (value: string, where: string) =>
        tx.run(`UPDATE "${table}" SET ${c} = ${value} WHERE ${where}`).then((r) => r.changes);
      if (!column.notnull) repaired += await set("NULL", `(${late}) OR (${early})`);
      else repaired += await set(String(now), late) + await set("0", early);
    }
    if (repaired > 0) log.warn("Repaired times outside 1970 to the year 3000", { table, values: repaired });
  }
}
