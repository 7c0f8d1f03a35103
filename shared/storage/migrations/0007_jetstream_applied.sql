-- Stream sequences already applied, written in the transaction that applied them, so that a
-- redelivered event (lost ack, crash before ack) is skipped instead of applied twice.
-- `stream` names the stream and its creation time: a recreated stream restarts its sequences.
CREATE TABLE IF NOT EXISTS jetstream_applied (
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (stream, seq)
) WITHOUT ROWID;
