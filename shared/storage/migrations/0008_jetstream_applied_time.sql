-- When each sequence was applied: a nats-server that crashed can restore acknowledged messages it
-- had not yet synced, below the stream's first sequence, so rows are kept for a while as well.
ALTER TABLE jetstream_applied ADD COLUMN applied_at INTEGER NOT NULL DEFAULT 0;
