import assert from "node:assert/strict";
import fc from "fast-check";
import { z } from "zod";
import { decodeInput, fieldName, validateInput } from "../../../shared/function/decode.ts";
import { discoverFunctions } from "../../../shared/runtime/discover.ts";
import { ServiceError } from "../../../shared/function/errors.ts";

const functions = await discoverFunctions("functions");

/** The ServiceError `validateInput` throws for `value`, or undefined when the value is valid. */
function rejection(schema: z.ZodType, value: unknown): ServiceError | undefined {
  try {
    validateInput(schema, value);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof ServiceError, `not a ServiceError: ${error}`);
    return error;
  }
}

function messageOf(schema: z.ZodType, value: unknown): string {
  const error = rejection(schema, value);
  assert.ok(error, `${JSON.stringify(value)} was accepted`);
  return error.message;
}

const inputOf = (subject: string) => functions.find((f) => f.subject === subject)!.fn.input;

Deno.test("validateInput names the field and both allowed values of rosey.db.status.update's status", () => {
  assert.equal(
    messageOf(inputOf("status.update"), { status: "weird" }),
    'Invalid input: status: must be one of "connected", "disconnected"',
  );
});

Deno.test("validateInput reports each form of a union that comes equally close, with its fields", () => {
  assert.equal(
    messageOf(inputOf("reminder.event.get"), {}),
    "Invalid input: payload: matches no accepted form: (event_id: missing, expected number) or " +
      "(message_id: missing, expected string)",
  );
  assert.equal(
    messageOf(z.object({ x: z.union([z.string(), z.number()]) }), { x: true }),
    "Invalid input: x: expected string or number, received boolean",
  );
  assert.equal(
    messageOf(z.union([z.literal("a"), z.literal("b")]), "c"),
    'Invalid input: payload: must be one of "a", "b"',
  );
});

Deno.test("validateInput says what each kind of problem expects, with the path", () => {
  const schema = z.strictObject({
    name: z.string().min(1, "must not be empty"),
    count: z.number().int().min(1).max(500),
    tags: z.array(z.string()).max(2),
    nested: z.object({ mode: z.enum(["a", "b"]) }),
    code: z.string().regex(/^\d+$/),
  });
  const message = messageOf(schema, {
    name: "",
    count: 1.5,
    tags: ["x", "y", "z"],
    nested: { mode: 3 },
    code: "x",
    extra: 1,
  });
  assert.equal(
    message,
    "Invalid input: name: must not be empty; count: expected integer, received 1.5; tags: must have at most 2 items; " +
      'nested.mode: must be one of "a", "b"; code: must match /^\\d+$/; and 1 more',
  );
  assert.equal(messageOf(schema, []), "Invalid input: payload: expected object, received array");
  assert.match(messageOf(schema.pick({ count: true }), { count: 0 }), /^Invalid input: count: must be at least 1$/);
  assert.match(messageOf(z.strictObject({}), { a: 1, "b c": 2 }), /^Invalid input: payload: unknown keys "a", "b c"$/);
  assert.equal(
    messageOf(z.object({ items: z.array(z.object({ id: z.number() })) }), { items: [{ id: 1 }, {}] }),
    "Invalid input: items[1].id: missing, expected number",
  );
});

Deno.test("decodeInput keeps every issue, with its full path, in the error body", () => {
  const schema = z.object({ a: z.string(), b: z.object({ c: z.number() }) });
  try {
    decodeInput(schema, new TextEncoder().encode('{"b":{"c":"x"}}'), 1000);
    assert.fail("accepted");
  } catch (error) {
    assert.ok(error instanceof ServiceError);
    assert.equal(error.status, 400);
    assert.deepEqual(error.toBody().error.issues, [
      { path: ["a"], message: "missing, expected string" },
      { path: ["b", "c"], message: "expected number, received string" },
    ]);
  }
});

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
};

/** Values near what `schema` accepts: its keys, enum values and types, each also replaced by any JSON at random. */
function nearValues(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const anything = fc.jsonValue({ maxDepth: 2 });
  if (depth > 3) return anything;
  const options: fc.Arbitrary<unknown>[] = [];
  for (const branch of [...schema.anyOf ?? [], ...schema.oneOf ?? [], ...schema.allOf ?? []]) {
    options.push(nearValues(branch, depth + 1));
  }
  if (schema.enum) options.push(fc.constantFrom(...schema.enum, "weird"));
  if (schema.const !== undefined) options.push(fc.constant(schema.const));
  if (schema.properties) {
    const fields = Object.fromEntries(
      Object.entries(schema.properties).map(([key, value]) => [key, nearValues(value, depth + 1)]),
    );
    options.push(fc.record(fields, { requiredKeys: [] }));
    options.push(fc.tuple(fc.record(fields, { requiredKeys: [] }), fc.string()).map(([o, k]) => ({ ...o, [k]: 1 })));
  }
  if (schema.items) options.push(fc.array(nearValues(schema.items, depth + 1), { maxLength: 3 }));
  for (const type of [schema.type ?? []].flat()) {
    if (type === "string") options.push(fc.constantFrom("", " ", "x"), fc.string());
    if (type === "integer" || type === "number") options.push(fc.constantFrom(0, -1, 1.5, 2 ** 53), fc.integer());
    if (type === "boolean") options.push(fc.boolean());
  }
  return options.length > 0 ? fc.oneof(anything, ...options) : anything;
}

Deno.test("validateInput names a field path (or the payload) for every rejected input of every function", () => {
  for (const { subject, fn } of functions) {
    const jsonSchema = z.toJSONSchema(fn.input, { io: "input", unrepresentable: "any" }) as JsonSchema;
    fc.assert(
      fc.property(nearValues(jsonSchema), (value) => {
        const error = rejection(fn.input, value);
        if (!error) return;
        assert.equal(error.status, 400);
        assert.ok(error.message.startsWith("Invalid input: "), error.message);
        assert.ok(!error.message.slice(1).includes("Invalid input"), `${subject}: ${error.message}`);
        assert.ok(!error.message.includes("\n"), `${subject}: ${error.message}`);
        assert.ok(error.issues.length > 0, `${subject}: no issues`);
        for (const issue of error.issues.slice(0, 5)) {
          assert.ok(
            error.message.includes(`${fieldName(issue.path)}: ${issue.message}`),
            `${subject}: ${error.message}`,
          );
          assert.ok(
            issue.message.trim() !== "" && !/^Invalid input/.test(issue.message),
            `${subject}: ${issue.message}`,
          );
        }
      }),
      { numRuns: 150 },
    );
  }
});
