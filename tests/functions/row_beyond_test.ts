import assert from "node:assert/strict";
import { request, startRosey, type TestService } from "../_helpers.ts";

type Reply = Record<string, unknown> & { code?: string; error?: { code: string; message: string } };

async function row(t: TestService, subject: string, body: unknown): Promise<Reply> {
  const reply = await request(t.nc, `rosey.db.row.${subject}`, body);
  return { ...reply.data, code: reply.errorCode } as Reply;
}

async function scores(t: TestService) {
  await row(t, "trivia.schema.register", {
    table: "scores",
    schema: {
      fields: [
        { name: "user_id", type: "string", required: true, unique: true },
        { name: "channel", type: "string", required: true, index: true },
        { name: "points", type: "integer", required: true },
        { name: "last_win", type: "datetime" },
      ],
    },
  });
}

Deno.test("rosey.db.row.<plugin>.upsert inserts once, then updates the row with the same unique key", async () => {
  await using t = await startRosey();
  await scores(t);
  const first = await row(t, "trivia.upsert", {
    table: "scores",
    data: { user_id: "alice", channel: "#a", points: 3 },
    on: ["user_id"],
  });
  assert.deepEqual([first.id, first.created, first.updated], [1, true, false]);
  const again = await row(t, "trivia.upsert", {
    table: "scores",
    data: { user_id: "alice", channel: "#b", points: 9 },
    on: ["user_id"],
  });
  assert.deepEqual([again.id, again.created, again.updated], [1, false, true]);
  const stored = (await row(t, "trivia.select", { table: "scores", id: 1 })).data as Record<string, unknown>;
  assert.deepEqual([stored.channel, stored.points], ["#b", 9]);
  assert.ok((stored.updated_at as string) >= (stored.created_at as string));
  assert.equal((await row(t, "trivia.search", { table: "scores" })).count, 1);
  const notUnique = await row(t, "trivia.upsert", {
    table: "scores",
    data: { user_id: "bob", channel: "#a", points: 1 },
    on: ["channel"],
  });
  assert.deepEqual([notUnique.code, notUnique.error?.code], ["400", "VALIDATION_ERROR"]);
  assert.match(notUnique.error!.message, /no unique key/);
  const missingKey = await row(t, "trivia.upsert", {
    table: "scores",
    data: { channel: "#a", points: 1 },
    on: ["user_id"],
  });
  assert.equal(missingKey.code, "400");
  // A plain insert of a duplicate unique value is a CONFLICT.
  const duplicate = await row(t, "trivia.insert", {
    table: "scores",
    data: { user_id: "alice", channel: "#a", points: 1 },
  });
  assert.deepEqual([duplicate.code, duplicate.error?.code], ["409", "CONFLICT"]);
});

Deno.test("rosey.db.row.<plugin>.aggregate: leaderboards per group, sorted by an aggregate, and totals", async () => {
  await using t = await startRosey();
  await scores(t);
  const rows = [
    ["alice", "#a", 10, "2026-12-01T10:00:00Z"],
    ["bob", "#a", 30, "2026-12-02T10:00:00Z"],
    ["carol", "#b", 5, null],
    ["dave", "#b", 7, "2026-11-30T10:00:00+01:00"],
    ["erin", "#c", 1, null],
  ].map(([user_id, channel, points, last_win]) => ({ user_id, channel, points, last_win }));
  await row(t, "trivia.insert", { table: "scores", data: rows });
  const board = await row(t, "trivia.aggregate", {
    table: "scores",
    group_by: "channel",
    aggregates: {
      players: { $count: "*" },
      total: { $sum: "points" },
      best: { $max: "points" },
      average: { $avg: "points" },
      latest: { $max: "last_win" },
    },
    sort: { field: "total", order: "desc" },
    filters: { points: { $gte: 2 } },
  });
  assert.equal(board.code, undefined, `${board.error?.message}`);
  assert.deepEqual(board.groups, [
    { channel: "#a", players: 2, total: 40, best: 30, average: 20, latest: "2026-12-02T10:00:00.000000+00:00" },
    { channel: "#b", players: 2, total: 12, best: 7, average: 6, latest: "2026-11-30T09:00:00.000000+00:00" },
  ]);
  const all = await row(t, "trivia.aggregate", {
    table: "scores",
    aggregates: { n: { $count: "*" }, sum: { $sum: "points" } },
  });
  assert.deepEqual(all.groups, [{ n: 5, sum: 53 }]);
  const limited = await row(t, "trivia.aggregate", {
    table: "scores",
    group_by: ["channel"],
    aggregates: { n: { $count: "user_id" } },
    sort: "-n",
    limit: 1,
  });
  assert.deepEqual([limited.count, limited.truncated], [1, true]);
  const cases: [unknown, RegExp][] = [
    [{ aggregates: { x: { $sum: "channel" } } }, /needs an integer or float field/],
    [{ aggregates: { x: { $median: "points" } } }, /is no aggregate/],
    [{ aggregates: { x: { $sum: "nope" } } }, /has no field "nope"/],
    [{ aggregates: {} }, /1 to 32 aggregates/],
    [{ aggregates: { channel: { $count: "*" } }, group_by: "channel" }, /name of a group_by field/],
  ];
  for (const [body, message] of cases) {
    const reply = await row(t, "trivia.aggregate", { table: "scores", ...body as object });
    assert.deepEqual([reply.code, reply.error?.code], ["400", "VALIDATION_ERROR"], JSON.stringify(body));
    assert.match(reply.error!.message, message);
  }
});
