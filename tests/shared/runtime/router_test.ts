import assert from "node:assert/strict";
import { countRows, http, json, request, startTestService, tempDir, waitFor } from "../../_helpers.ts";

Deno.test("router serves nested paths, [name] tokens and skips _ and _test files", async () => {
  await using t = await startTestService();
  const subjects = t.service.router.routes.map((r) => r.fullSubject).sort();
  assert.deepEqual(subjects, [
    "rosey.db.boom.get",
    "rosey.db.echo.get",
    "rosey.db.kv.*.get",
    "rosey.db.note.add",
    "rosey.db.note.count",
    "rosey.db.settings.get",
    "rosey.db.settings.keep",
  ]);
  const reply = await request(t.nc, "rosey.db.kv.weather.get", { key: "city" });
  assert.deepEqual(reply.data, { plugin: "weather", key: "city" });
});

Deno.test("router applies SUBJECT_PREFIX and the FUNCTIONS filter", async () => {
  await using t = await startTestService({ env: { SUBJECT_PREFIX: "bots.v2", FUNCTIONS: "echo.*, kv.*" } });
  const subjects = t.service.router.routes.map((r) => r.fullSubject).sort();
  assert.deepEqual(subjects, ["bots.v2.echo.get", "bots.v2.kv.*.get"]);
  assert.deepEqual((await request(t.nc, "bots.v2.echo.get", { text: "hi" })).data, { text: "hi", n: 1 });
});

Deno.test("request errors carry ADR-32 headers and an {error} body", async () => {
  await using t = await startTestService();
  const badJson = await request(t.nc, "rosey.db.echo.get", new TextEncoder().encode("{nope"));
  assert.equal(badJson.errorCode, "400");
  assert.equal((badJson.data as { error: { code: string } }).error.code, "invalid_input");
  assert.match(badJson.error!, /^Invalid JSON/);

  const badInput = await request(t.nc, "rosey.db.echo.get", { text: 5, n: 99 });
  assert.equal(badInput.errorCode, "400");
  const issues = (badInput.data as { error: { issues: { path: string[] }[] } }).error.issues;
  assert.deepEqual(issues.map((i) => i.path.join(".")).sort(), ["n", "text"]);

  const tooLarge = await request(t.nc, "rosey.db.echo.get", { text: "x".repeat(300 * 1024) });
  assert.equal(tooLarge.errorCode, "413");

  const notFound = await request(t.nc, "rosey.db.boom.get", { kind: "not_found" });
  assert.equal(notFound.errorCode, "404");
  assert.deepEqual(notFound.data, { error: { code: "not_found", message: 'Nothing called "x"' } });
  assert.equal((await request(t.nc, "rosey.db.boom.get", { kind: "conflict" })).errorCode, "409");
});

Deno.test("an internal error replies 500 without SQL text or stack", async () => {
  await using t = await startTestService();
  const reply = await request(t.nc, "rosey.db.boom.get", { kind: "sql" });
  assert.equal(reply.errorCode, "500");
  assert.deepEqual(reply.data, { error: { code: "internal", message: "Internal error" } });
  assert.doesNotMatch(JSON.stringify(reply) + reply.error, /missing_table_xyz|secret_column|SQLITE|at /);
});

Deno.test("request outcomes are counted in /metrics", async () => {
  await using t = await startTestService();
  await request(t.nc, "rosey.db.echo.get", { text: "ok" });
  await request(t.nc, "rosey.db.echo.get", { text: 1 });
  await request(t.nc, "rosey.db.boom.get", { kind: "sql" });
  const text = await (await http(t.service, "/metrics")).text();
  assert.match(text, /rosey_db_messages_total\{subject="echo.get",outcome="ok"\} 1/);
  assert.match(text, /rosey_db_messages_total\{subject="echo.get",outcome="invalid"\} 1/);
  assert.match(text, /rosey_db_messages_total\{subject="boom.get",outcome="error"\} 1/);
  assert.match(text, /rosey_db_handler_duration_seconds_count\{subject="echo.get"\} 2/);
});

Deno.test("1,000 malformed events of varied kinds: no crash, rows + dead letters = inputs", async () => {
  await using t = await startTestService();
  const valid = 500;
  const malformed = [
    new TextEncoder().encode("{not json"),
    new TextEncoder().encode("[1,2,3]"),
    json({ text: "" }),
    json({ text: 42 }),
    json({ other: "field" }),
    json("just a string"),
    new Uint8Array([0xff, 0xfe, 0x00]),
    json({ text: "x".repeat(300 * 1024) }),
    json({ text: "fail" }),
    new Uint8Array(0),
  ];
  const inputs: Uint8Array[] = [];
  for (let i = 0; i < 1000; i++) inputs.push(malformed[i % malformed.length]);
  for (let i = 0; i < valid; i++) inputs.splice(i * 3, 0, json({ text: `note ${i}` }));
  for (const payload of inputs) t.nc.publish("rosey.db.note.add", payload);
  await t.nc.flush();
  const db = t.service.db()!;
  // The fixture creates its table with the first batch, which may not have committed yet.
  const counts = async () => ({
    notes: await countRows(t.service, "notes"),
    dead: await countRows(t.service, "dead_letters"),
  });
  await waitFor(
    async () => {
      const { notes, dead } = await counts();
      return notes + dead === inputs.length;
    },
    20_000,
    "every input stored or dead-lettered",
  );
  assert.deepEqual(await counts(), { notes: valid, dead: 1000 });
  const codes = await db.read.query<{ error_code: string; n: number }>(
    "SELECT error_code, count(*) AS n FROM dead_letters GROUP BY error_code ORDER BY error_code",
  );
  assert.deepEqual(codes.map((r) => [r.error_code, r.n]), [["handler_error", 100], ["invalid_input", 800], [
    "too_large",
    100,
  ]]);
  // Each dead letter keeps its event's exact bytes (the backlog packs payloads end to end).
  const stored = await db.read.query<{ payload: ArrayBuffer }>(
    "SELECT payload FROM dead_letters WHERE error_code != 'too_large' ORDER BY id",
  );
  const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.deepEqual(
    stored.map((r) => hex(new Uint8Array(r.payload))),
    inputs.filter((p) => malformed.includes(p) && p.length < 1024).map(hex),
  );
  assert.deepEqual(await t.service.notReady(), []);
  const text = await (await http(t.service, "/metrics")).text();
  assert.match(text, /rosey_db_messages_total\{subject="note.add",outcome="ok"\} 500/);
  assert.match(text, /rosey_db_messages_total\{subject="note.add",outcome="invalid"\} 900/);
  assert.match(text, /rosey_db_messages_total\{subject="note.add",outcome="dead_letter"\} 100/);
});

Deno.test("a batch with failing events (a throw, a constraint violation) commits all the others", async () => {
  await using dir = await tempDir();
  await using t = await startTestService({ env: { DATABASE_URL: `file:${dir.path}/batch.db` } });
  const failing: Record<number, string> = { 10: "null", 25: "fail" };
  for (let i = 0; i < 50; i++) t.nc.publish("rosey.db.note.add", json({ text: failing[i] ?? `n${i}` }));
  await t.nc.flush();
  const db = t.service.db()!;
  await waitFor(async () => await countRows(t.service, "notes") + await countRows(t.service, "dead_letters") === 50);
  const notes = await db.read.query<{ text: string }>("SELECT text FROM notes ORDER BY id");
  assert.deepEqual(
    notes.map((n) => n.text),
    Array.from({ length: 50 }, (_, i) => `n${i}`).filter((_, i) => !failing[i]),
  );
  const dead = await db.read.query<{ payload: ArrayBuffer; error: string }>(
    "SELECT payload, error FROM dead_letters ORDER BY id",
  );
  assert.deepEqual(dead.map((d) => new TextDecoder().decode(d.payload)), ['{"text":"null"}', '{"text":"fail"}']);
  assert.match(dead[0].error, /NOT NULL constraint failed/);
  assert.match(dead[1].error, /refused/);
  const sizes = await (await http(t.service, "/metrics")).text();
  assert.match(sizes, /rosey_db_batch_size_count\{subject="note.add"\} \d+/);
});
