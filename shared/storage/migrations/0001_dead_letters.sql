-- Events that could not be applied: kept with their raw payload for listing, replay and purge.
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subject TEXT NOT NULL,
  payload BLOB NOT NULL,
  error_code TEXT NOT NULL,
  error TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_dead_letters_received_at ON dead_letters (received_at);
