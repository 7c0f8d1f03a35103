-- A plugin's key/value store (README "Plugin storage"). Names start with "_rosey_", which no plugin
-- table can take. `value` is the JSON text of the value. `revision` is the row's id: a set replaces
-- the row and AUTOINCREMENT never hands an id out twice, so a revision read before any later set or
-- delete of the key never matches again (compare-and-set). `expires_at` in Unix milliseconds, NULL
-- for a key that lives until deleted.
CREATE TABLE _rosey_kv (
  revision INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  value TEXT NOT NULL,
  expires_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX _rosey_kv_expiry ON _rosey_kv (expires_at) WHERE expires_at IS NOT NULL;
