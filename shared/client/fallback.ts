/** What a request resolves to when no reply came: the empty value of its output schema, or null. */
import type { z } from "zod";

/** Marks a schema (or part) that has no empty value, such as a required string. */
const NONE = Symbol("no empty value");

/**
 * The empty value of a request's output schema: `[]` for an array, `null` for a nullable, `0`,
 * `false`, `{}` for a record, an object of its fields' empty values (optional fields left out),
 * the first option of a union that has one (`{ found: false }`). `null` when the schema has none
 * (a required string, an enum) or the candidate does not parse, so a fallback is never a fake row.
 */
export function emptyValueOf(schema: z.ZodType): unknown {
  const candidate = empty(schema);
  if (candidate === NONE) return null;
  const parsed = schema.safeParse(candidate);
  return parsed.success ? parsed.data : null;
}

function empty(schema: z.ZodType): unknown {
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  switch (def.type) {
    case "array":
      return [];
    case "nullable":
    case "null":
      return null;
    case "optional":
      return undefined;
    case "number":
    case "int":
      return 0;
    case "boolean":
      return false;
    case "record":
      return {};
    case "literal":
      return def.values!.find((value) => value === false || value === null || value === 0) ?? NONE;
    case "default":
    case "prefault":
    case "readonly":
      return empty(def.innerType!);
    case "pipe":
      return empty(def.in!);
    case "union":
      return def.options!.map(empty).find((value) => value !== NONE) ?? NONE;
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(def.shape!)) {
        const value = empty(field);
        if (value === NONE) return NONE;
        if (value !== undefined) out[key] = value;
      }
      return out;
    }
    default:
      return NONE;
  }
}

/** The parts of zod 4's internal definition that this walk reads. */
interface Def {
  type: string;
  values?: unknown[];
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  shape?: Record<string, z.ZodType>;
}
