import assert from "node:assert/strict";

Deno.test("deno task bench runs end to end at a small size and writes every figure", async () => {
  const out = await Deno.makeTempFile({ suffix: ".json" });
  const { success, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tests/bench/main.ts"],
    env: {
      BENCH_EVENTS: "5000",
      BENCH_CHAT_ROWS: "2000",
      BENCH_REQUESTS: "100",
      BENCH_SECONDS: "0.5",
      BENCH_CLIENT_EVENTS: "200",
      BENCH_RYW_TRIALS: "20",
      BENCH_BOT_SECONDS: "1",
      BENCH_ROWS: "2000",
      BENCH_SINGLE_INSERTS: "200",
      BENCH_VECTORS: "300",
      BENCH_SCOPED_VECTORS: "100",
      BENCH_MEMORY_ITEMS: "300",
      BENCH_EMBEDDED_SAVES: "64",
      BENCH_CONTEXT_MESSAGES: "500",
      BENCH_ARCHIVE_CONVERSATIONS: "100",
      BENCH_OUT: out,
    },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(success);
  assert.match(new TextDecoder().decode(stdout), /^\| figure \| value \|/m);
  const { results } = JSON.parse(await Deno.readTextFile(out));
  assert.equal(results.length, 40);
  for (const r of results) {
    // Misses are counted, and none is the expected count.
    const least = r.unit === "misses" ? 0 : Number.MIN_VALUE;
    assert.ok(Number.isFinite(r.value) && r.value >= least, r.figure);
  }
  await Deno.remove(out);
});
