-- Publisher message ids (Nats-Msg-Id) already applied, written in the transaction that applied them.
-- nats-server forgets the id of a message once a work queue ack removed it and it restarts (or its
-- duplicate window passes), so an event sent again under its id comes back under a new sequence:
-- the id, not the sequence, says it was applied. `seq` is the sequence it was applied under: a
-- sequence recorded with another id was reused by the server for a different message.
CREATE TABLE IF NOT EXISTS jetstream_applied_ids (
  stream TEXT NOT NULL,
  msg_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (stream, msg_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_jetstream_applied_ids_seq ON jetstream_applied_ids (stream, seq);
