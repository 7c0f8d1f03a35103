-- Conversation store for LLM chat apps: conversations per user and their append-only messages.
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  title TEXT,
  status TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'ARCHIVED', 'CLOSED', 'DELETED')),
  message_count INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_message_at INTEGER,
  archived_at INTEGER,
  -- Increases on every change, unique across conversations: the order and cursor of "newest activity first".
  activity INTEGER NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS idx_conversations_user_activity ON conversations (user_id, activity);

CREATE TABLE IF NOT EXISTS conversation_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  conversation_id TEXT NOT NULL REFERENCES conversations (id),
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
  content TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  request_id TEXT GENERATED ALWAYS AS (json_extract(metadata, '$.request_id')) VIRTUAL,
  source TEXT GENERATED ALWAYS AS (json_extract(metadata, '$.source')) VIRTUAL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_conversation_messages_conversation ON conversation_messages (conversation_id, seq);
CREATE INDEX IF NOT EXISTS idx_conversation_messages_request ON conversation_messages (request_id);
CREATE INDEX IF NOT EXISTS idx_conversation_messages_source ON conversation_messages (conversation_id, source);

CREATE VIRTUAL TABLE IF NOT EXISTS conversation_messages_fts USING fts5 (
  content, content = 'conversation_messages', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS conversation_messages_fts_insert AFTER INSERT ON conversation_messages BEGIN
  INSERT INTO conversation_messages_fts (rowid, content) VALUES (new.seq, new.content);
END;
CREATE TRIGGER IF NOT EXISTS conversation_messages_fts_delete AFTER DELETE ON conversation_messages BEGIN
  INSERT INTO conversation_messages_fts (conversation_messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
END;
