/**
 * Values a function's input schema accepts, as fast-check arbitraries built from its JSON Schema
 * (zod's `toJSONSchema`): the starting points the fuzz mutates. Strings and ids are drawn partly from
 * small pools so that inputs meet rows that earlier inputs (or the seeding) wrote.
 */
import fc from "fast-check";

/** The part of JSON Schema that zod writes for our input schemas. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  pattern?: string;
}

/** Values that exist in the database when the fuzz starts, so that valid inputs reach past "not found". */
export interface Pools {
  /** Conversation ids. */
  uuids: string[];
  /** Reminder event ids, outbound message ids and other small row ids. */
  ids: number[];
  /** Names and ids used by the seeding: users, guilds, messages. */
  names: string[];
}

/** Now in Unix seconds, fixed per run so that a seed always yields the same inputs. */
const NOW = 1_750_000_000;

/** An arbitrary of values `schema` accepts (a pattern's strings are drawn regardless of length bounds). */
export function validValue(schema: JsonSchema, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  const branches = [...schema.anyOf ?? [], ...schema.oneOf ?? []];
  if (branches.length > 0) return fc.oneof(...branches.map((branch) => validValue(branch, pools, depth + 1)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  const types = [schema.type ?? []].flat();
  if (types.length === 0) return fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(...types.map((type) => ofType(type, schema, pools, depth)));
}

function ofType(type: string, schema: JsonSchema, pools: Pools, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case "object":
      return objectOf(schema, pools, depth);
    case "array":
      return fc.array(schema.items ? validValue(schema.items, pools, depth + 1) : fc.jsonValue({ maxDepth: 1 }), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, Math.max(schema.minItems ?? 0, 4)),
      });
    case "string":
      return stringOf(schema, pools);
    case "integer":
      return integerOf(schema, pools);
    case "number":
      return numberOf(schema);
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

function objectOf(schema: JsonSchema, pools: Pools, depth: number): fc.Arbitrary<unknown> {
  const fields = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([key, value]) => [key, validValue(value, pools, depth + 1)]),
  );
  const record = fc.record(fields, { requiredKeys: schema.required ?? [] });
  const open = schema.additionalProperties;
  if (!open || depth > 2) return record;
  // An open object (metadata, settings): some keys of its own beside the named ones.
  const extra = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 8 }),
    open === true ? fc.jsonValue({ maxDepth: 2 }) : validValue(open, pools, depth + 1),
    { maxKeys: 3 },
  );
  return fc.tuple(extra, record).map(([more, named]) => ({ ...more, ...named }));
}

function stringOf(schema: JsonSchema, pools: Pools): fc.Arbitrary<string> {
  if (schema.format === "uuid") return fc.oneof(fc.constantFrom(...pools.uuids), fc.uuid());
  if (schema.pattern) {
    // A cursor or an id of a given form: pooled names of that form, else strings made to match it.
    const pattern = new RegExp(schema.pattern);
    const known = pools.names.filter((name) => pattern.test(name));
    const matching = fc.stringMatching(pattern);
    return known.length > 0 ? fc.oneof(fc.constantFrom(...known), matching) : matching;
  }
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 40;
  const fits = pools.names.filter((name) => name.length >= min && name.length <= max);
  const any = fc.string({ minLength: min, maxLength: Math.min(max, Math.max(min, 40)) });
  return fits.length > 0 ? fc.oneof(fc.constantFrom(...fits), any) : any;
}

function integerOf(schema: JsonSchema, pools: Pools): fc.Arbitrary<number> {
  const min = schema.exclusiveMinimum !== undefined
    ? Math.floor(schema.exclusiveMinimum) + 1
    : Math.ceil(schema.minimum ?? -(2 ** 31));
  const max = schema.exclusiveMaximum !== undefined
    ? Math.ceil(schema.exclusiveMaximum) - 1
    : Math.floor(schema.maximum ?? 2 ** 31 - 1);
  // fast-check's integer() stays within 32 bits; the bounds themselves are tried as constants.
  const low = Math.max(min, -(2 ** 31));
  const high = Math.min(max, 2 ** 31 - 1);
  const known = pools.ids.filter((id) => id >= min && id <= max);
  return fc.oneof(
    fc.integer({ min: low, max: Math.min(high, low + 20) }),
    fc.integer({ min: low, max: high }),
    fc.constantFrom(min, max),
    ...(known.length > 0 ? [fc.constantFrom(...known)] : []),
  );
}

function numberOf(schema: JsonSchema): fc.Arbitrary<number> {
  const min = schema.exclusiveMinimum ?? schema.minimum ?? -1e9;
  const max = schema.exclusiveMaximum ?? schema.maximum ?? Math.max(min, 0) + 4e9;
  const double = fc.double({
    min,
    max,
    minExcluded: schema.exclusiveMinimum !== undefined,
    maxExcluded: schema.exclusiveMaximum !== undefined,
    noNaN: true,
    noDefaultInfinity: true,
  });
  // A Unix time now, which a timestamp field takes; as much a number as any other.
  const now = NOW >= min && NOW <= max ? [fc.integer({ min: NOW - 86_400, max: NOW + 86_400 })] : [];
  return fc.oneof(double, ...now);
}
