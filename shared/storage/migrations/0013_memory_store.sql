-- Long-term memory for LLM chat apps (README "LLM memory"): items addressed by a namespace path and a key.
-- The namespace is the JSON text of its path (["u1","prefs"]), so a path prefix is a range of the unique index.
-- Their embeddings live in memory_embeddings, made at start-up for EMBEDDING_DIMENSIONS (shared/storage/embeddings.ts).
CREATE TABLE IF NOT EXISTS memory_items (
  id INTEGER PRIMARY KEY,
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  text TEXT,
  importance INTEGER CHECK (importance BETWEEN 1 AND 5),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  ttl_seconds INTEGER,
  -- updated_at (or the last refresh) + ttl_seconds; NULL never expires.
  expires_at INTEGER,
  UNIQUE (namespace, key)
);
CREATE INDEX IF NOT EXISTS idx_memory_items_expiry ON memory_items (expires_at) WHERE expires_at IS NOT NULL;

CREATE VIRTUAL TABLE IF NOT EXISTS memory_items_fts USING fts5 (
  text, content = 'memory_items', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS memory_items_fts_insert AFTER INSERT ON memory_items WHEN new.text IS NOT NULL BEGIN
  INSERT INTO memory_items_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS memory_items_fts_delete AFTER DELETE ON memory_items WHEN old.text IS NOT NULL BEGIN
  INSERT INTO memory_items_fts (memory_items_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER IF NOT EXISTS memory_items_fts_update AFTER UPDATE OF text ON memory_items BEGIN
  INSERT INTO memory_items_fts (memory_items_fts, rowid, text) SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL;
  INSERT INTO memory_items_fts (rowid, text) SELECT new.id, new.text WHERE new.text IS NOT NULL;
END;
