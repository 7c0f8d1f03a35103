-- The old DESC index cannot serve "newest first, ties by id" without a sort of the whole table;
-- an ascending index on timestamp (rowid implied) is read backwards for exactly that order.
DROP INDEX IF EXISTS idx_recent_chat_timestamp;
CREATE INDEX IF NOT EXISTS idx_recent_chat_time ON recent_chat (timestamp);
