-- LLM memory II: conversation metadata and forks, rolling summaries, cold storage and erasure records.
ALTER TABLE conversations ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE conversations ADD COLUMN forked_from_conversation_id TEXT;
ALTER TABLE conversations ADD COLUMN forked_from_message_id TEXT;
-- Maintenance finds conversations inactive for CONVERSATION_ARCHIVE_DAYS by their last change.
CREATE INDEX IF NOT EXISTS idx_conversations_updated ON conversations (updated_at);

-- Summaries of a conversation's messages up to one of them; the newest is used, older ones are kept for audit.
CREATE TABLE IF NOT EXISTS conversation_summaries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL REFERENCES conversations (id),
  summary TEXT NOT NULL,
  through_message_id TEXT NOT NULL,
  -- The seq of through_message_id: messages up to it are covered by the summary.
  through_seq INTEGER NOT NULL,
  token_count INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_conversation_summaries_conversation ON conversation_summaries (conversation_id, id);

-- Conversations moved to cold storage: which compressed JSON Lines file under BACKUP_DIR holds each.
-- A file no row names is left over from an archival that did not commit; maintenance removes it.
CREATE TABLE IF NOT EXISTS conversation_cold (
  conversation_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  file TEXT NOT NULL,
  archived_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_conversation_cold_file ON conversation_cold (file);
CREATE INDEX IF NOT EXISTS idx_conversation_cold_user ON conversation_cold (user_id);

-- What conversation.user.erase removed: ids and counts only, never content.
CREATE TABLE IF NOT EXISTS conversation_erasures (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  erased_at INTEGER NOT NULL,
  conversation_ids TEXT NOT NULL,
  counts TEXT NOT NULL
);
