/** The constraints a table declares, as clear errors instead of a 500. */
import { ServiceError } from "../../shared/function/errors.ts";
import { invalid } from "./_types.ts";

/** Runs a write; a constraint the table declares becomes a clear error instead of a 500. */
export async function constrained<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const message = String((error as Error)?.message ?? "");
    const unique = /UNIQUE constraint failed: ([^\s]+)/.exec(message);
    if (unique) throw new ServiceError(409, `A row with the same ${unique[1].replace(/^[^.]*\./, "")} exists`);
    const notNull = /NOT NULL constraint failed: ([^\s]+)/.exec(message);
    if (notNull) throw invalid(notNull[1].replace(/^[^.]*\./, ""), "is required");
    if (/CHECK constraint failed/.test(message)) throw invalid("data", "breaks a CHECK constraint of the table");
    // A STRICT table refuses what an integer became past 64 bits ($mul): past ±2^53 long before.
    if (/cannot store REAL value in INTEGER column/.test(message)) {
      throw new ServiceError(409, "An integer would pass ±2^53 (9007199254740991): nothing was written");
    }
    if (/FOREIGN KEY constraint failed/.test(message)) {
      throw new ServiceError(409, "A foreign key of the table refuses it");
    }
    throw error;
  }
}
