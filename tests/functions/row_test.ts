import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { request, startRosey, tempDir, type TestService } from "../_helpers.ts";

type Reply = Record<string, unknown> & { code?: string; error?: { code: string; message: string } };

/** A row subject's reply body with its ADR-32 code. */
async function row(t: TestService, subject: string, body: unknown): Promise<Reply> {
  const reply = await request(t.nc, `rosey.db.row.${subject}`, body);
  return { ...reply.data, code: reply.errorCode } as Reply;
}

const QUOTES = {
  table: "quotes",
  schema: {
    fields: [
      { name: "text", type: "string", required: true, max_length: 1000 },
      { name: "author", type: "string", max_length: 100 },
      { name: "added_at", type: "datetime", required: true },
      { name: "score", type: "integer", required: true, default: 0 },
      { name: "rating", type: "float" },
      { name: "featured", type: "boolean" },
    ],
  },
};

async function quotes(t: TestService) {
  assert.equal((await row(t, "quote-db.schema.register", QUOTES)).registered, "created");
  const rows = [
    { text: "To be", author: "Shakespeare", added_at: "2026-12-01T10:00:00+02:00", score: 5, featured: true },
    { text: "Veni vidi vici", author: "Caesar", added_at: "2026-12-01T09:00:00Z", score: 1, rating: 4.5 },
    { text: "50% off", author: "Ad", added_at: "2026-12-02 08:00:00", score: 0, featured: false },
  ];
  const inserted = await row(t, "quote-db.insert", { table: "quotes", data: rows });
  assert.deepEqual([inserted.created, inserted.ids], [3, [1, 2, 3]]);
}

Deno.test("rosey.db.row: register, insert and select by id give back what was sent, in Rosey's shape", async () => {
  await using t = await startRosey();
  await quotes(t);
  const one = await row(t, "quote-db.insert", {
    table: "quotes",
    data: { text: "x".repeat(1000), added_at: "2026-12-02T10:00:00.123456Z", score: 0 },
  });
  assert.deepEqual([one.success, one.id, one.inserted_id, one.created], [true, 4, 4, true]);
  const got = await row(t, "quote-db.select", { table: "quotes", id: 1 });
  assert.equal(got.exists, true);
  const data = got.data as Record<string, unknown>;
  assert.deepEqual(
    [data.id, data.text, data.added_at, data.score, data.featured, data.rating],
    [1, "To be", "2026-12-01T08:00:00.000000+00:00", 5, true, null],
  );
  assert.match(data.created_at as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
  assert.equal(
    ((await row(t, "quote-db.select", { table: "quotes", id: 4 })).data as { added_at: string }).added_at,
    "2026-12-02T10:00:00.123456+00:00",
  );
  assert.deepEqual(await row(t, "quote-db.select", { table: "quotes", id: 99 }), {
    success: true,
    exists: false,
    code: undefined,
  });
});

Deno.test("rosey.db.row.<plugin>.schema.register: the same schema again is a no-op, new optional fields are added, a removed or retyped field is refused", async () => {
  await using t = await startRosey();
  await quotes(t);
  assert.equal((await row(t, "quote-db.schema.register", QUOTES)).registered, "unchanged");
  const more = structuredClone(QUOTES);
  more.schema.fields.push({ name: "tags", type: "text" } as (typeof more.schema.fields)[number]);
  assert.equal((await row(t, "quote-db.schema.register", more)).registered, "extended");
  await row(t, "quote-db.update", { table: "quotes", id: 1, data: { tags: "classic" } });
  assert.equal(
    ((await row(t, "quote-db.select", { table: "quotes", id: 1 })).data as { tags: string }).tags,
    "classic",
  );
  const removed = await row(t, "quote-db.schema.register", {
    table: "quotes",
    schema: { fields: QUOTES.schema.fields.slice(1) },
  });
  assert.deepEqual([removed.code, removed.error?.code], ["400", "VALIDATION_ERROR"]);
  assert.match(removed.error!.message, /"text" is missing/);
  const retyped = structuredClone(more);
  retyped.schema.fields[3].type = "text";
  assert.match(
    (await row(t, "quote-db.schema.register", retyped)).error!.message,
    /"score" was a required integer, now a required text/,
  );
  const schema = await row(t, "quote-db.schema.get", {});
  assert.deepEqual((schema.tables as { name: string }[]).map((table) => table.name), ["quotes"]);
});

Deno.test("rosey.db.row.<plugin>.search: filters with every operator, nested, none dropped; sort in every form; limits capped", async () => {
  await using t = await startRosey();
  await quotes(t);
  const texts = async (body: Record<string, unknown>) => {
    const reply = await row(t, "quote-db.search", { table: "quotes", ...body });
    assert.equal(reply.code, undefined, `${reply.error?.message}`);
    return (reply.rows as { text: string }[]).map((r) => r.text);
  };
  // quote-db's search: $or of $like, case-insensitive as in Rosey; sorted by a datetime.
  assert.deepEqual(
    await texts({
      filters: { $or: [{ author: { $like: "%CAESAR%" } }, { text: { $like: "%be%" } }] },
      sort: { field: "added_at", order: "desc" },
    }),
    // 09:00 UTC, then 10:00+02:00 (08:00 UTC): times compare in UTC.
    ["Veni vidi vici", "To be"],
  );
  assert.deepEqual(await texts({ filters: { text: { $like: "50\\%%" } } }), ["50% off"]);
  assert.deepEqual(await texts({ filters: { score: { $gte: 1, $lt: 5 } } }), ["Veni vidi vici"]);
  assert.deepEqual(await texts({ filters: { author: { $in: ["Ad", "Caesar"] }, score: 0 } }), ["50% off"]);
  assert.deepEqual(await texts({ filters: { $and: [{ score: { $nin: [5] } }], featured: false } }), ["50% off"]);
  assert.deepEqual(await texts({ filters: { rating: { $exists: true } } }), ["Veni vidi vici"]);
  assert.deepEqual(await texts({ filters: { featured: { $null: true } } }), ["Veni vidi vici"]);
  assert.deepEqual(await texts({ filters: { $not: { score: { $gt: 0 } } } }), ["50% off"]);
  // 08:30 UTC: only 10:00+02:00 (08:00 UTC) is before it.
  assert.deepEqual(await texts({ filters: { added_at: { $lt: "2026-12-01T09:30:00+01:00" } } }), ["To be"]);
  assert.deepEqual(await texts({ filters: { featured: true } }), ["To be"]);
  for (
    const sort of [{ field: "score", order: "desc" }, [{ field: "score", order: "desc" }], { score: -1 }, "-score"]
  ) {
    assert.deepEqual(await texts({ sort }), ["To be", "Veni vidi vici", "50% off"], JSON.stringify(sort));
  }
  assert.deepEqual(await texts({ order_by: [{ field: "score", direction: "asc" }] }), [
    "50% off",
    "Veni vidi vici",
    "To be",
  ]);
  const page = await row(t, "quote-db.search", { table: "quotes", sort: "score", limit: 2, offset: 1 });
  assert.deepEqual([page.count, page.truncated], [2, false]);
  const capped = await row(t, "quote-db.search", { table: "quotes", filters: {}, limit: 10_000 });
  assert.deepEqual([capped.code, capped.count, capped.truncated], [undefined, 3, false]);
  const first = await row(t, "quote-db.search", { table: "quotes", limit: 1 });
  assert.deepEqual([first.count, first.truncated], [1, true]);
});

Deno.test("rosey.db.row.<plugin>.update: data, field-first and operator-first operations, by id and by filters; $inc is atomic", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` });
  await quotes(t);
  const byId = await row(t, "quote-db.update", { table: "quotes", id: 2, operations: { score: { $inc: -1 } } });
  assert.deepEqual([byId.id, byId.updated], [2, true]);
  await Promise.all(
    Array.from(
      { length: 40 },
      () =>
        row(t, "quote-db.update", { table: "quotes", filters: { id: { $eq: 1 } }, operations: { score: { $inc: 1 } } }),
    ),
  );
  await row(t, "quote-db.update", { table: "quotes", id: 3, update: { $mul: { score: 3 }, $set: { author: "Anon" } } });
  await row(t, "quote-db.update", { table: "quotes", id: 3, operations: { rating: { $max: 2.5 } } });
  const scores = await row(t, "quote-db.search", { table: "quotes", sort: "id" });
  assert.deepEqual(
    (scores.rows as { score: number; author: string; rating: number | null }[]).map((
      r,
    ) => [r.score, r.author, r.rating]),
    [[45, "Shakespeare", null], [0, "Caesar", 4.5], [0, "Anon", 2.5]],
  );
  const many = await row(t, "quote-db.update", { table: "quotes", filter: { score: 0 }, data: { featured: true } });
  assert.equal(many.updated, 2);
  assert.deepEqual(await row(t, "quote-db.update", { table: "quotes", id: 99, data: { score: 1 } }), {
    success: true,
    exists: false,
    code: undefined,
  });
  await row(t, "quote-db.update", { table: "quotes", id: 1, data: { score: Number.MAX_SAFE_INTEGER } });
  const over = await row(t, "quote-db.update", { table: "quotes", id: 1, operations: { score: { $inc: 1 } } });
  assert.equal(over.code, "409");
  assert.equal(
    ((await row(t, "quote-db.select", { table: "quotes", id: 1 })).data as { score: number }).score,
    Number.MAX_SAFE_INTEGER,
  );
});

Deno.test("rosey.db.row.<plugin>.delete by id answers a boolean, by filters a count", async () => {
  await using t = await startRosey();
  await quotes(t);
  assert.deepEqual((await row(t, "quote-db.delete", { table: "quotes", id: 1 })).deleted, true);
  assert.deepEqual((await row(t, "quote-db.delete", { table: "quotes", id: 1 })).deleted, false);
  const filtered = await row(t, "quote-db.delete", { table: "quotes", filters: { score: { $lte: 1 } } });
  assert.deepEqual([filtered.deleted, filtered.deleted_count], [2, 2]);
});

Deno.test("rosey.db.row: a countdown plugin on the table its migration made, addressed by filters only", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/plugins`);
  const made = createClient({ url: `file:${dir.path}/plugins/countdown.db` });
  await made.execute(`CREATE TABLE countdowns (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, channel TEXT NOT NULL, target_time TIMESTAMP NOT NULL,
    is_paused BOOLEAN NOT NULL DEFAULT 0, completed BOOLEAN NOT NULL DEFAULT 0, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (channel, name))`);
  made.close();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` });
  const add = (name: string, when: string) =>
    row(t, "countdown.insert", {
      table: "countdowns",
      data: { name, channel: "#a", target_time: when, is_paused: false, completed: false, created_at: when },
    });
  assert.equal((await add("launch", "2027-01-01T00:00:00+00:00")).id, 1);
  await add("party", "2026-12-24T18:00:00+00:00");
  const duplicate = await add("party", "2026-12-25T18:00:00+00:00");
  assert.deepEqual([duplicate.code, duplicate.error?.code], ["409", "CONFLICT"]);
  const listed = await row(t, "countdown.select", {
    table: "countdowns",
    filters: { channel: { $eq: "#a" }, completed: { $eq: false } },
    order_by: [{ field: "target_time", direction: "asc" }],
    limit: 20,
  });
  assert.deepEqual((listed.rows as { name: string }[]).map((r) => r.name), ["party", "launch"]);
  assert.equal((listed.rows as { target_time: string }[])[0].target_time, "2026-12-24T18:00:00.000000+00:00");
  assert.equal((listed.rows as { is_paused: boolean }[])[0].is_paused, false);
  const count = await row(t, "countdown.select", {
    table: "countdowns",
    filters: { channel: { $eq: "#a" } },
    count_only: true,
  });
  assert.equal(count.count, 2);
  await row(t, "countdown.update", { table: "countdowns", filters: { id: { $eq: 2 } }, data: { completed: true } });
  const deleted = await row(t, "countdown.delete", {
    table: "countdowns",
    filters: { channel: { $eq: "#a" }, name: { $eq: "launch" } },
  });
  assert.equal(deleted.deleted, 1);
  const left = await row(t, "countdown.select", { table: "countdowns", id: 2 });
  assert.equal((left.data as { completed: boolean }).completed, true);
});

Deno.test("rosey.db.row refuses bad input with Rosey's codes: never a 500, nothing outside the plugin's tables", async () => {
  await using t = await startRosey();
  await quotes(t);
  const added_at = "2026-12-02T00:00:00Z";
  const cases: [string, unknown, string, string, RegExp][] = [
    ["quote-db.insert", { table: "quotes" }, "400", "MISSING_FIELD", /data/],
    [
      "quote-db.insert",
      { table: "quotes", data: { text: "a", added_at } },
      "400",
      "VALIDATION_ERROR",
      /score: is required/,
    ],
    [
      "quote-db.insert",
      { table: "quotes", data: { text: "a", added_at, score: 1.5 } },
      "400",
      "VALIDATION_ERROR",
      /score: must be an integer/,
    ],
    [
      "quote-db.insert",
      { table: "quotes", data: { text: "a", added_at, score: "1" } },
      "400",
      "VALIDATION_ERROR",
      /score/,
    ],
    [
      "quote-db.insert",
      { table: "quotes", data: { text: "a", added_at, score: 1, color: "red" } },
      "400",
      "VALIDATION_ERROR",
      /color: is no field/,
    ],
    [
      "quote-db.insert",
      { table: "quotes", data: { text: "a", added_at, score: 1, id: 7 } },
      "400",
      "VALIDATION_ERROR",
      /id: is set by the service/,
    ],
    [
      "quote-db.insert",
      { table: "quotes", data: { text: "a", added_at: "yesterday", score: 1 } },
      "400",
      "VALIDATION_ERROR",
      /added_at/,
    ],
    [
      "quote-db.insert",
      { table: "quotes", data: { text: "a", added_at, score: 1, author: "x".repeat(101) } },
      "400",
      "VALIDATION_ERROR",
      /at most 100 characters/,
    ],
    [
      "quote-db.insert",
      { table: "quotes", data: { text: "a\0b", added_at, score: 1 } },
      "400",
      "VALIDATION_ERROR",
      /NUL/,
    ],
    ["quote-db.insert", { table: "nothing", data: {} }, "404", "NOT_FOUND", /No table "nothing"/],
    ["quote-db.insert", { table: 'quotes"; DROP TABLE quotes; --', data: {} }, "400", "VALIDATION_ERROR", /table/],
    ["quote-db.insert", { table: "_rosey_kv", data: {} }, "400", "VALIDATION_ERROR", /table/],
    ["quote-db.select", { table: "sqlite_schema", filters: {} }, "400", "VALIDATION_ERROR", /table/],
    ["quote-db.select", { table: "quotes" }, "400", "MISSING_FIELD", /id/],
    ["quote-db.search", { table: "quotes", filters: { "score; DROP": 1 } }, "400", "VALIDATION_ERROR", /has no field/],
    [
      "quote-db.search",
      { table: "quotes", filters: { score: { $regex: "x" } } },
      "400",
      "VALIDATION_ERROR",
      /no operator/,
    ],
    ["quote-db.search", { table: "quotes", filters: { $nor: [] } }, "400", "VALIDATION_ERROR", /no logical operator/],
    ["quote-db.search", { table: "quotes", filters: { $or: [] } }, "400", "VALIDATION_ERROR", /non-empty list/],
    ["quote-db.search", { table: "quotes", sort: { field: "nope" } }, "400", "VALIDATION_ERROR", /has no field "nope"/],
    ["quote-db.search", { table: "quotes", filters: {}, filter: {} }, "400", "VALIDATION_ERROR", /another name/],
    [
      "quote-db.update",
      { table: "quotes", id: 1, data: { score: 1 }, operations: { score: { $inc: 1 } } },
      "400",
      "VALIDATION_ERROR",
      /not both/,
    ],
    [
      "quote-db.update",
      { table: "quotes", id: 1, operations: { text: { $inc: 1 } } },
      "400",
      "VALIDATION_ERROR",
      /arithmetic/,
    ],
    [
      "quote-db.update",
      { table: "quotes", id: 1, data: { created_at: added_at } },
      "400",
      "VALIDATION_ERROR",
      /set by the service/,
    ],
    ["quote-db.update", { table: "quotes", id: 1 }, "400", "MISSING_FIELD", /data/],
    [
      "quote-db.schema.register",
      { table: "sqlite_x", schema: { fields: [{ name: "a", type: "text" }] } },
      "400",
      "VALIDATION_ERROR",
      /sqlite_/,
    ],
    [
      "quote-db.schema.register",
      { table: "t", schema: { fields: [{ name: "a", type: "blob" }] } },
      "400",
      "VALIDATION_ERROR",
      /type/,
    ],
    [
      "quote-db.schema.register",
      { table: "t", schema: { fields: [{ name: "id", type: "text" }] } },
      "400",
      "VALIDATION_ERROR",
      /set by the service/,
    ],
    ["Quote.insert", { table: "quotes", data: {} }, "400", "INVALID_SUBJECT", /plugin token/],
  ];
  for (const [subject, body, code, roseyCode, message] of cases) {
    const reply = await row(t, subject, body);
    assert.deepEqual(
      [reply.code, reply.success, reply.error?.code],
      [code, false, roseyCode],
      `${subject} ${JSON.stringify(body)}: ${reply.error?.message}`,
    );
    assert.match(reply.error!.message, message, `${subject} ${JSON.stringify(body)}`);
  }
  assert.equal((await row(t, "quote-db.search", { table: "quotes" })).count, 3, "nothing changed");
});

Deno.test("rosey.db.row: columns a registration leaves out of an adopted table read back as their declared type says", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/plugins`);
  const made = createClient({ url: `file:${dir.path}/plugins/quote-db.db` });
  await made.execute(
    "CREATE TABLE quotes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, added_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, pinned BOOLEAN DEFAULT 0)",
  );
  made.close();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` });
  const registered = await row(t, "quote-db.schema.register", {
    table: "quotes",
    schema: { fields: [{ name: "text", type: "text" }] },
  });
  assert.equal(registered.registered, "adopted");
  await row(t, "quote-db.insert", { table: "quotes", data: { text: "hello" } });
  const data = (await row(t, "quote-db.select", { table: "quotes", id: 1 })).data as Record<string, unknown>;
  assert.match(data.added_at as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000000\+00:00$/);
  assert.equal(data.pinned, false);
});

Deno.test("rosey.db.row: inherited names are no operators, oversized filters and years before 100 are handled, never a 500", async () => {
  await using t = await startRosey();
  await quotes(t);
  for (
    const [subject, body] of [
      ["quote-db.search", { table: "quotes", filters: { score: { constructor: 1 } } }],
      ["quote-db.search", { table: "quotes", filters: { score: { toString: 1 } } }],
      ["quote-db.aggregate", { table: "quotes", aggregates: { n: { toString: "score" } } }],
      ["quote-db.update", { table: "quotes", id: 1, operations: { score: { constructor: 1 } } }],
      ["quote-db.search", { table: "quotes", filters: { $and: Array.from({ length: 1001 }, () => ({ score: 1 })) } }],
      [
        "quote-db.search",
        {
          table: "quotes",
          filters: {
            $or: Array.from({ length: 33 }, () => ({ score: { $in: Array.from({ length: 1000 }, (_, i) => i) } })),
          },
        },
      ],
    ] as const
  ) {
    const reply = await row(t, subject, body);
    assert.deepEqual(
      [reply.code, reply.error?.code],
      ["400", "VALIDATION_ERROR"],
      `${subject}: ${reply.error?.message}`,
    );
  }
  const old = await row(t, "quote-db.insert", {
    table: "quotes",
    data: { text: "old", added_at: "0050-01-01T00:00:00Z", score: 0 },
  });
  const data = (await row(t, "quote-db.select", { table: "quotes", id: old.id })).data as { added_at: string };
  assert.equal(data.added_at, "0050-01-01T00:00:00.000000+00:00");
});

Deno.test("rosey.db.row: constraints the data or table cannot meet are clear errors, never a 500", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/plugins`);
  const made = createClient({ url: `file:${dir.path}/plugins/quote-db.db` });
  await made.execute("CREATE TABLE tags (name TEXT PRIMARY KEY, uses INTEGER) WITHOUT ROWID");
  made.close();
  await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db` });
  await quotes(t);
  // unique: true over values already repeated.
  const unique = {
    ...QUOTES,
    schema: { fields: QUOTES.schema.fields.map((f) => f.name === "score" ? { ...f, unique: true } : f) },
  };
  await row(t, "quote-db.update", { table: "quotes", filters: {}, data: { score: 1 } });
  const repeated = await row(t, "quote-db.schema.register", unique);
  assert.deepEqual([repeated.code, repeated.error?.code], ["400", "VALIDATION_ERROR"]);
  assert.match(repeated.error!.message, /"score" holds the same value in several rows/);
  // An integer past 64 bits in a STRICT table.
  await row(t, "quote-db.update", { table: "quotes", id: 1, data: { score: 3_000_000_000 } });
  const overflow = await row(t, "quote-db.update", {
    table: "quotes",
    id: 1,
    operations: { score: { $mul: 4_000_000_000 } },
  });
  assert.equal(overflow.code, "409", `${overflow.error?.message}`);
  // A WITHOUT ROWID table has no row ids to address.
  const noRowId = await row(t, "quote-db.search", { table: "tags" });
  assert.deepEqual([noRowId.code, noRowId.error?.code], ["400", "VALIDATION_ERROR"]);
  assert.match(noRowId.error!.message, /WITHOUT ROWID/);
});
