/** Shared set-up of the writer's part tests: a migrated :memory: database and a recording event function. */
import { z } from "zod";
import { loadConfig } from "../../../../shared/config.ts";
import { type Database, openDatabase } from "../../../../shared/storage/db.ts";
import { loadMigrations, migrate } from "../../../../shared/storage/migrate.ts";
import { silentLogger } from "../../../../shared/log.ts";
import { defineEvent } from "../../../../shared/function/define.ts";
import { ServiceError } from "../../../../shared/function/errors.ts";
import type { EventEntry } from "../../../../shared/storage/writer.ts";

export const config = loadConfig({ DATABASE_URL: ":memory:" });
export const log = silentLogger;

/** A migrated in-memory database (with `dead_letters`) plus a `seen` table the test functions write to. */
export async function testDatabase(): Promise<Database & AsyncDisposable> {
  const db = await openDatabase(config, log);
  await migrate(db, await loadMigrations(), log);
  await db.transaction((tx) => tx.run("CREATE TABLE seen (id INTEGER PRIMARY KEY, subject TEXT, n INTEGER)"));
  return Object.assign(db, { [Symbol.asyncDispose]: () => Promise.resolve(db.close()) });
}

/**
 * An event function that stores `n` in `seen`, then fails for some values, so that a failure
 * leaves a row that only a rollback removes: a negative `n` throws a 409 ServiceError, 13 a
 * plain Error. `calls` counts `handle` and `handleBatch` calls.
 */
export function recorder(options: { batch?: boolean } = {}) {
  const calls = { handle: 0, handleBatch: 0 };
  const store = async (
    n: number,
    ctx: { subject: string; db: { run(sql: string, args: unknown[]): Promise<unknown> } },
  ) => {
    await ctx.db.run("INSERT INTO seen (subject, n) VALUES (?, ?)", [ctx.subject, n]);
    if (n < 0) throw new ServiceError(409, `Negative number: "${n}"`);
    if (n === 13) throw new Error("Unlucky number");
  };
  const fn = defineEvent({
    description: "Stores a number (test)",
    input: z.object({ n: z.number().int() }),
    async handle(input, ctx) {
      calls.handle++;
      await store(input.n, ctx as never);
    },
    handleBatch: options.batch
      ? async (inputs, ctx) => {
        calls.handleBatch++;
        for (const input of inputs) await store(input.n, ctx as never);
      }
      : undefined,
  });
  return { fn, calls };
}

const encoder = new TextEncoder();

/** An undecoded event of `fn` on `subject` whose payload is `payload` as JSON (or as is, when a string). */
export function eventOf(fn: EventEntry["fn"], subject: string, payload: unknown): EventEntry {
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  return { kind: "event", fn, subject, params: {}, raw: encoder.encode(text) };
}

/** The numbers stored in `seen`, in insertion order. */
export async function seen(db: Database): Promise<number[]> {
  return (await db.read.query<{ n: number }>("SELECT n FROM seen ORDER BY id")).map((row) => row.n);
}

/** The dead letters stored, oldest first. */
export async function deadLetters(db: Database) {
  const rows = await db.read.query<
    { subject: string; payload: Uint8Array | ArrayBuffer; error_code: string; error: string }
  >(
    "SELECT subject, payload, error_code, error FROM dead_letters ORDER BY id",
  );
  return rows.map((row) => ({
    subject: row.subject,
    payload: new TextDecoder().decode(row.payload),
    code: row.error_code,
    error: row.error,
  }));
}
