/**
 * The checkpoint thread's entry point (shared/storage/checkpoints.ts): a connection of its own that
 * copies the WAL's committed pages into the database file with passive checkpoints, which never take
 * the write lock, so that the copying and its fsync happen beside the writer rather than inside one
 * of its commits.
 */
import Database from "libsql";
import type { CheckpointStart } from "./checkpoints.ts";

const port = self as unknown as {
  postMessage(message: { type: "failed"; error: string }): void;
  onmessage: ((event: MessageEvent<CheckpointStart>) => void) | null;
};

let db: Database.Database | undefined;

/**
 * WAL frames beyond which a pass also restarts the log. Passive checkpoints alone never let a writer
 * that commits every few milliseconds start the WAL over (it restarts only once everything was copied
 * before it began), so under a steady flood the file would grow without end.
 */
const RESTART_FRAMES = 16384;

let passive: Database.Statement | undefined, restart: Database.Statement | undefined;

function pass(intervalMs: number) {
  try {
    passive ??= db!.prepare("PRAGMA wal_checkpoint(PASSIVE)");
    restart ??= db!.prepare("PRAGMA wal_checkpoint(RESTART)");
    const { log } = passive.get() as { log: number };
    // What is left to copy is a pass's worth: the writer waits that long for the lock, outside the event loop.
    if (log > RESTART_FRAMES) restart.get();
  } catch (error) {
    // A busy or locked database (another connection checkpointing or recovering) is no fault: the
    // next pass copies what this one could not.
    const { code, message } = error as { code?: string; message: string };
    if (!/BUSY|LOCKED/.test(code ?? "") && !/locked|busy/i.test(message)) {
      return port.postMessage({ type: "failed", error: message });
    }
  }
  setTimeout(() => pass(intervalMs), intervalMs);
}

port.onmessage = ({ data }) => {
  try {
    db = new Database(data.path, { encryptionKey: data.encryptionKey } as Database.Options);
    // A restart waits this long for the writer to finish its transaction; busy otherwise, tried again.
    db.exec("PRAGMA busy_timeout = 100");
    pass(data.intervalMs);
  } catch (error) {
    port.postMessage({ type: "failed", error: (error as Error).message });
  }
};
