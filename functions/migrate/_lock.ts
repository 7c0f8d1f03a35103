/**
 * One migration run at a time per plugin: a lease row in the plugin's own database
 * (`_rosey_migration_lock`), so service instances sharing the file also take turns. It is taken and
 * released in short transactions of their own and renewed inside each migration's transaction.
 */
import type { Store } from "../../shared/function/define.ts";
import { ServiceError } from "../../shared/function/errors.ts";
import type { Sql } from "../../shared/function/sql.ts";

/** How long a lease holds unless renewed: a run that crashed frees the plugin after this. */
const LEASE_MS = 60_000;
/** How long a run waits for another one to finish before LOCK_TIMEOUT. */
const WAIT_MS = 2_000;
const POLL_MS = 100;

/** A lease held by this run. */
export interface MigrationLock {
  holder: string;
}

interface LockRow {
  holder: string;
  held_by: string;
  acquired_at: number;
  expires_at: number;
}

/** Takes the plugin's migration lock, waiting a little for another run; LOCK_TIMEOUT naming who holds it. */
export async function takeLock(store: Store, plugin: string, heldBy: string): Promise<MigrationLock> {
  const holder = crypto.randomUUID();
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const current = await store.write(async (tx) => {
      const now = Date.now();
      await tx.run("DELETE FROM _rosey_migration_lock WHERE expires_at <= ?", [now]);
      await tx.run(
        `INSERT INTO _rosey_migration_lock (id, holder, held_by, acquired_at, expires_at) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
        [holder, heldBy, now, now + LEASE_MS],
      );
      const [row] = await tx.query<LockRow>("SELECT * FROM _rosey_migration_lock WHERE id = 1");
      return row;
    });
    if (current.holder === holder) return { holder };
    if (Date.now() >= deadline) {
      throw new ServiceError(
        409,
        `Migration already in progress for plugin "${plugin}": held by ${current.held_by} since ${
          new Date(current.acquired_at).toISOString()
        }, at the latest until ${new Date(current.expires_at).toISOString()}`,
        [],
        "LOCK_TIMEOUT",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Inside a migration's transaction: checks that this run still holds the lease and extends it. A run
 * whose lease ran out (another took over) stops with LOCK_TIMEOUT before changing anything.
 */
export async function renewLock(tx: Sql, lock: MigrationLock, plugin: string): Promise<void> {
  const { changes } = await tx.run(
    "UPDATE _rosey_migration_lock SET expires_at = ? WHERE id = 1 AND holder = ?",
    [Date.now() + LEASE_MS, lock.holder],
  );
  if (changes === 0) {
    throw new ServiceError(
      409,
      `The migration lock of plugin "${plugin}" ran out and another run took it: stopped before the next migration`,
      [],
      "LOCK_TIMEOUT",
    );
  }
}

/** Releases the lease if this run still holds it. */
export async function releaseLock(store: Store, lock: MigrationLock): Promise<void> {
  await store.write((tx) => tx.run("DELETE FROM _rosey_migration_lock WHERE holder = ?", [lock.holder]));
}

/** Who runs a migration, for another run's LOCK_TIMEOUT message: the caller's applied_by and this process. */
export function runner(appliedBy: string): string {
  let host = "";
  try {
    host = `${Deno.hostname()} `;
  } catch {
    // No permission to read the host name: the process id alone.
  }
  return `"${appliedBy}" (${host}pid ${Deno.pid})`;
}
