/**
 * What the import knows of Rosey 882c482's own tables: which hold no plugin storage, and which its
 * shipped plugins' migrations made. Rosey ran plugin migrations on its main database and recorded
 * nothing of the tables they made, so a migration-made table names its plugin only through such
 * knowledge, the plugin's migration files (PLUGINS_DIR), its name, or `--table NAME=PLUGIN`.
 */

/** Tables of Rosey's own that are no plugin's data: the bot's (which rosey-db adopts), Alembic's, the plugin bookkeeping. */
export const ROSEY_SERVICE_TABLES = new Set([
  "user_stats",
  "user_actions",
  "channel_stats",
  "user_count_history",
  "recent_chat",
  "current_status",
  "outbound_messages",
  "api_tokens",
  "alembic_version",
  "plugin_kv_storage",
  "plugin_table_schemas",
  "plugin_schema_migrations",
]);

/**
 * Tables Rosey's Alembic migration 934c07f455db made for its playlist plugin, which reads them through
 * Rosey's database object, never through plugin storage: left where they are, and reported.
 */
export const ROSEY_NOT_PLUGIN_STORAGE: Record<string, string> = {
  playlist_queue: "the playlist plugin reads it through Rosey's database object, not plugin storage",
  playlist_history: "the playlist plugin reads it through Rosey's database object, not plugin storage",
  playlist_user_stats: "the playlist plugin reads it through Rosey's database object, not plugin storage",
};

/** Tables made by the migrations of Rosey's shipped plugins (and its Alembic migration for trivia), by plugin. */
export const ROSEY_PLUGIN_MIGRATION_TABLES: Record<string, { plugin: string; by: string }> = {
  quotes: { plugin: "quote-db", by: "Rosey's quote-db migration 001_create_quotes_table" },
  countdowns: { plugin: "countdown", by: "Rosey's countdown migration 001_create_countdowns_table" },
  trivia_user_stats: { plugin: "trivia", by: "Rosey's Alembic migration d1e2f3a4b5c6" },
  trivia_channel_stats: { plugin: "trivia", by: "Rosey's Alembic migration d1e2f3a4b5c6" },
  trivia_games: { plugin: "trivia", by: "Rosey's Alembic migration d1e2f3a4b5c6" },
  trivia_achievements: { plugin: "trivia", by: "Rosey's Alembic migration d1e2f3a4b5c6" },
  trivia_category_stats: { plugin: "trivia", by: "Rosey's Alembic migration d1e2f3a4b5c6" },
};

/** The name a migration-made table is kept under when a registered table takes its name (quote-db's `quotes`). */
export function unreadName(table: string, taken: (name: string) => boolean): string {
  const base = `${table}_from_migrations`.slice(0, 90);
  let name = base;
  for (let n = 2; taken(name); n++) name = `${base}_${n}`;
  return name;
}
