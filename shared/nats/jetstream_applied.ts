/**
 * What the JetStream consumer remembers of the messages it applied, in the transaction that applied
 * them, so that a message delivered again is skipped: stream sequences (a redelivery after a lost
 * ack or a crash) and publisher message ids (an event sent again after the server forgot its id).
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { Sql } from "../function/sql.ts";
import type { BatchHooks } from "../storage/writer.ts";

/** What identifies a fetched message: its stream sequence, and the publisher's message id if it set one. */
export interface DeliveredMessage {
  seq: number;
  /** `Nats-Msg-Id`. */
  msgId?: string;
}

/** Messages of a batch applied before: their sequences, and the message ids with the sequence of each. */
export interface AppliedBefore {
  seqs: number[];
  ids: { msgId: string; seq: number }[];
}

/**
 * Which messages of a batch to skip. One with a message id is skipped when that id was applied
 * before, under whatever sequence: the server stores an id sent again as a new message once it has
 * forgotten it (after a restart, for an id whose message a work queue ack removed). Its sequence
 * alone decides only when it was recorded without an id (by a version before ids were recorded);
 * a sequence recorded under another id was reused for a different message. One without an id is
 * skipped when its sequence was applied before. A repeat within the batch is skipped too (a message
 * redelivered while its first delivery was still being fetched comes twice).
 */
export function skipFlags(messages: DeliveredMessage[], applied: AppliedBefore): boolean[] {
  const seqs = new Set(applied.seqs);
  const ids = new Set(applied.ids.map((r) => r.msgId));
  const seqsWithId = new Set(applied.ids.map((r) => r.seq));
  return messages.map(({ seq, msgId }) => {
    const skip = msgId ? ids.has(msgId) || (seqs.has(seq) && !seqsWithId.has(seq)) : seqs.has(seq);
    seqs.add(seq);
    if (msgId) {
      ids.add(msgId);
      seqsWithId.add(seq);
    }
    return skip;
  });
}

/** The writer's hooks for one fetched batch of stream `streamKey`: skip what was applied, record the rest. */
export function appliedHooks(streamKey: string, messages: JsMsg[]): BatchHooks {
  const delivered = messages.map((m) => ({ seq: m.seq, msgId: m.headers?.get("Nats-Msg-Id") || undefined }));
  const seqs = delivered.map((m) => m.seq);
  const withId = delivered.filter((m): m is Required<DeliveredMessage> => m.msgId !== undefined);
  return {
    async alreadyApplied(tx) {
      const seqRows = await tx.query<{ seq: number }>(
        `SELECT seq FROM jetstream_applied WHERE stream = ? AND seq IN (${marks(seqs.length)})`,
        [streamKey, ...seqs],
      );
      const idRows = withId.length === 0 ? [] : await tx.query<{ msg_id: string; seq: number }>(
        `SELECT msg_id, seq FROM jetstream_applied_ids WHERE stream = ? AND (msg_id IN (${
          marks(withId.length)
        }) OR seq IN (${marks(seqs.length)}))`,
        [streamKey, ...withId.map((m) => m.msgId), ...seqs],
      );
      return skipFlags(delivered, {
        seqs: seqRows.map((r) => r.seq),
        ids: idRows.map((r) => ({ msgId: r.msg_id, seq: r.seq })),
      });
    },
    async recordApplied(tx) {
      const now = Math.floor(Date.now() / 1000);
      await tx.run(
        `INSERT OR IGNORE INTO jetstream_applied (stream, seq, applied_at) VALUES ${rows(seqs.length, 3)}`,
        seqs.flatMap((seq) => [streamKey, seq, now]),
      );
      if (withId.length === 0) return;
      await tx.run(
        `INSERT OR IGNORE INTO jetstream_applied_ids (stream, msg_id, seq, applied_at) VALUES ${
          rows(withId.length, 4)
        }`,
        withId.flatMap((m) => [streamKey, m.msgId, m.seq, now]),
      );
    },
  };
}

/** Forgets what stream `streamKey` applied below sequence `below` before Unix time `before`. */
export async function forgetApplied(tx: Sql, streamKey: string, { below, before }: { below: number; before: number }) {
  for (const table of ["jetstream_applied", "jetstream_applied_ids"]) {
    await tx.run(`DELETE FROM ${table} WHERE stream = ? AND seq < ? AND applied_at < ?`, [streamKey, below, before]);
  }
}

function marks(n: number): string {
  return Array(n).fill("?").join(", ");
}

function rows(n: number, columns: number): string {
  return Array(n).fill(`(${marks(columns)})`).join(", ");
}
