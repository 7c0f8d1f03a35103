/** memory.search's filter: equality on top-level fields of an item's value, as SQL over the alias `i`. */
import { z } from "zod";
import { name } from "../../shared/function/text.ts";
import type { SqlValue } from "../../shared/function/sql.ts";

/** A field name that is safe inside a quoted JSON path label (`$."name"`), which has no escape for `"`. */
const FieldName = name().min(1).max(200).refine((field) => !/["\\]/.test(field), 'must not hold " or \\');

/** Field → the value it must equal: a string, number, boolean or null. */
export const Filter = z.record(FieldName, z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .refine((filter) => Object.keys(filter).length <= 20, "must have at most 20 fields");
export type Filter = z.infer<typeof Filter>;

/** The filter as a condition: each field present with the same JSON type and value. */
export function filterSql(filter: Filter | undefined): { sql: string; args: SqlValue[] } {
  const parts: string[] = [];
  const args: SqlValue[] = [];
  for (const [field, wanted] of Object.entries(filter ?? {})) {
    const path = `$."${field}"`;
    if (wanted === null || typeof wanted === "boolean") {
      parts.push("json_type(i.value, ?) = ?");
      args.push(path, String(wanted));
    } else if (typeof wanted === "string") {
      parts.push("(json_type(i.value, ?) = 'text' AND json_extract(i.value, ?) = ?)");
      args.push(path, path, wanted);
    } else {
      parts.push("(json_type(i.value, ?) IN ('integer', 'real') AND json_extract(i.value, ?) = ?)");
      args.push(path, path, wanted);
    }
  }
  return { sql: parts.length > 0 ? parts.join(" AND ") : "1", args };
}
