-- A plugin's migrations (README "Plugin storage", migrate.<plugin>.*): one row per version, as Rosey's
-- plugin_schema_migrations kept them, so its records can be moved here. `status` is 'applied' or
-- 'rolled_back' (Rosey's 'failed' and 'rollback_failed' only arrive with its records: a failed
-- migration here leaves no trace). `checksum` is the SHA-256 (hex) of the file with CRLF turned into LF.
-- Times are ISO 8601 UTC text.
CREATE TABLE _rosey_migrations (
  version INTEGER PRIMARY KEY CHECK (version >= 1),
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('applied', 'rolled_back', 'failed', 'rollback_failed')),
  applied_at TEXT NOT NULL,
  applied_by TEXT NOT NULL,
  execution_time_ms INTEGER NOT NULL,
  rolled_back_at TEXT,
  rolled_back_by TEXT
);

-- One migration run at a time per plugin, also across service instances sharing the database file:
-- the run's random `holder` token, who runs it (for the LOCK_TIMEOUT message) and until when the lease
-- holds (Unix milliseconds). A run renews it with each migration; a crashed run's lease runs out.
CREATE TABLE _rosey_migration_lock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  holder TEXT NOT NULL,
  held_by TEXT NOT NULL,
  acquired_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
