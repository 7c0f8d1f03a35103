/** Which dead letters an admin call addresses: by ids, by subject, by age; at least one is required. */
import { z } from "zod";
import { id } from "../../../shared/function/text.ts";
import { rowId, unixSeconds } from "../../../shared/function/numbers.ts";

export const DeadLetterFilter = z.object({
  ids: z.array(rowId()).min(1).max(1000).optional(),
  /** `user.joined` or `rosey.db.user.joined`: the form of metrics labels and FUNCTIONS, or the full subject. */
  subject: id().min(1).optional(),
  /** Unix seconds: only dead letters received before this time. */
  before: unixSeconds().optional(),
});

export type DeadLetterFilter = z.infer<typeof DeadLetterFilter>;

/** A WHERE clause and its arguments; the clause is built from constants only. `prefix` is SUBJECT_PREFIX. */
export function whereOf(filter: DeadLetterFilter, prefix: string): { where: string; args: (string | number)[] } {
  const clauses: string[] = [];
  const args: (string | number)[] = [];
  if (filter.ids) {
    clauses.push(`id IN (${filter.ids.map(() => "?").join(", ")})`);
    args.push(...filter.ids);
  }
  if (filter.subject) {
    // Dead letters keep the full subject they arrived on.
    clauses.push("subject = ?");
    args.push(filter.subject.startsWith(`${prefix}.`) ? filter.subject : `${prefix}.${filter.subject}`);
  }
  if (filter.before !== undefined) {
    clauses.push("received_at < ?");
    args.push(filter.before);
  }
  return { where: clauses.length > 0 ? clauses.join(" AND ") : "1", args };
}
