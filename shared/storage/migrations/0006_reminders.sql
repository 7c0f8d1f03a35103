-- Reminder store for Discord-style bots: guilds, members, announcement events, reactions, reminder log.
CREATE TABLE IF NOT EXISTS reminder_guilds (
  guild_id TEXT PRIMARY KEY,
  name TEXT,
  settings TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reminder_members (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  guild_id TEXT NOT NULL REFERENCES reminder_guilds (guild_id) ON DELETE CASCADE,
  username TEXT,
  is_bot INTEGER NOT NULL DEFAULT 0,
  last_seen INTEGER,
  UNIQUE (guild_id, user_id)
);
CREATE TABLE IF NOT EXISTS reminder_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL UNIQUE,
  channel_id TEXT NOT NULL,
  guild_id TEXT NOT NULL REFERENCES reminder_guilds (guild_id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  description TEXT,
  interval_minutes INTEGER NOT NULL CHECK (interval_minutes > 0),
  is_paused INTEGER NOT NULL DEFAULT 0,
  last_reminder INTEGER,
  required_reactions TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_reminder_events_guild ON reminder_events (guild_id);
CREATE TABLE IF NOT EXISTS reminder_reactions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id INTEGER NOT NULL REFERENCES reminder_events (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  emoji TEXT NOT NULL,
  reacted_at INTEGER NOT NULL,
  UNIQUE (event_id, user_id, emoji)
);
CREATE TABLE IF NOT EXISTS reminder_logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id INTEGER NOT NULL REFERENCES reminder_events (id) ON DELETE CASCADE,
  scheduled_at INTEGER NOT NULL,
  sent_at INTEGER,
  users_notified INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  error_message TEXT
);
CREATE INDEX IF NOT EXISTS idx_reminder_logs_event ON reminder_logs (event_id, id);
