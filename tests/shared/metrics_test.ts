import assert from "node:assert/strict";
import { type NatsServer } from "../../shared/nats/local_server.ts";
import { ask, http, startNats, startRosey, startTestService, tempDir, type TestService } from "../_helpers.ts";

/** Whether promtool is on PATH: the tests that use it say in their names when it was not run. */
const PROMTOOL = await onPath("promtool");
const WITHOUT_PROMTOOL = " (promtool not on PATH: not run)";

async function onPath(command: string): Promise<boolean> {
  try {
    await new Deno.Command(command, { args: ["--version"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

async function promtool(args: string[], options: { stdin?: string; cwd?: string } = {}) {
  const child = new Deno.Command("promtool", {
    args,
    cwd: options.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(options.stdin ?? ""));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  return { success, output: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

async function scrape(t: TestService): Promise<string> {
  const res = await http(t.service, "/metrics");
  assert.equal(res.status, 200);
  return await res.text();
}

/**
 * What can be checked without promtool: each sample belongs to a family with one TYPE line, a
 * counter's name ends in `_total` and no other's does, and every value is a number.
 */
function assertWellTyped(text: string): void {
  const types = new Map<string, string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    assert.ok(!types.has(name), `TYPE of ${name} given twice`);
    assert.equal(type === "counter", name.endsWith("_total"), `${name} is a ${type}`);
    types.set(name, type);
  }
  for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) {
    const [, name, value] = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? (\S+)$/.exec(line) ?? [];
    assert.ok(name, `not a sample line: ${line}`);
    assert.ok(!Number.isNaN(Number(value)), line);
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(family), `${name} has no TYPE line`);
    if (family !== name) assert.equal(types.get(family), "histogram", name);
  }
}

async function assertPassesPromtool(text: string): Promise<void> {
  assertWellTyped(text);
  if (!PROMTOOL) return;
  const { success, output } = await promtool(["check", "metrics"], { stdin: text });
  assert.ok(success, output);
  assert.equal(output, "", "promtool check metrics has something to say");
}

const JETSTREAM_FAMILIES = [
  "jetstream_consumer_pending",
  "jetstream_redeliveries_total",
  "jetstream_duplicates_skipped_total",
  "jetstream_ack_seconds",
];

/** The real functions/ on a database file (events then go through the ingest thread, as deployed). */
async function startOnFile(mode: "core" | "jetstream", dir: string, nats: NatsServer): Promise<TestService> {
  return await startRosey({ INGEST_MODE: mode, DATABASE_PATH: `${dir}/rosey.db` }, nats);
}

Deno.test(
  `INGEST_MODE=core: /metrics has no rosey_db_jetstream_ series and ${
    PROMTOOL ? "passes promtool check metrics" : "is well typed" + WITHOUT_PROMTOOL
  }`,
  async () => {
    await using dir = await tempDir();
    await using nats = await startNats();
    await using t = await startOnFile("core", dir.path, nats);
    const text = await scrape(t);
    assert.doesNotMatch(text, /jetstream_/);
    await assertPassesPromtool(text);
  },
);

Deno.test(
  `INGEST_MODE=jetstream: /metrics has the rosey_db_jetstream_ series at 0 from start and ${
    PROMTOOL ? "passes promtool check metrics" : "is well typed" + WITHOUT_PROMTOOL
  }`,
  async () => {
    await using dir = await tempDir();
    await using nats = await startNats({ storeDir: `${dir.path}/nats` });
    await using t = await startOnFile("jetstream", dir.path, nats);
    // The stream's consumer starts in the ingest thread after the service is ready.
    const text = await waitForText(t, /^rosey_db_jetstream_ack_seconds_count 0$/m);
    for (const family of JETSTREAM_FAMILIES) assert.match(text, new RegExp(`^# TYPE rosey_db_${family} `, "m"));
    assert.match(text, /^rosey_db_jetstream_redeliveries_total 0$/m);
    assert.match(text, /^rosey_db_jetstream_duplicates_skipped_total 0$/m);
    assert.match(text, /^rosey_db_jetstream_consumer_pending 0$/m);
    assert.match(text, /^rosey_db_nats_reconnects_total\{connection="jetstream"\} 0$/m);
    await assertPassesPromtool(text);
  },
);

async function waitForText(t: TestService, pattern: RegExp): Promise<string> {
  for (const deadline = Date.now() + 10_000;;) {
    const text = await scrape(t);
    if (pattern.test(text) || Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("/metrics shows each served subject's series at 0 before its first message", async () => {
  await using t = await startTestService();
  const text = await scrape(t);
  for (const outcome of ["ok", "invalid", "error"]) {
    assert.match(text, new RegExp(`^rosey_db_messages_total\\{subject="echo.get",outcome="${outcome}"\\} 0$`, "m"));
  }
  for (const outcome of ["ok", "invalid", "dead_letter"]) {
    assert.match(text, new RegExp(`^rosey_db_messages_total\\{subject="note.add",outcome="${outcome}"\\} 0$`, "m"));
  }
  assert.match(text, /^rosey_db_messages_total\{subject="kv\.\*\.get",outcome="ok"\} 0$/m);
  assert.match(text, /^rosey_db_handler_duration_seconds_count\{subject="echo.get"\} 0$/m);
  assert.match(text, /^rosey_db_handler_duration_seconds_bucket\{subject="echo.get",le="\+Inf"\} 0$/m);
  assert.match(text, /^rosey_db_batch_size_count\{subject="note.add"\} 0$/m);
  assert.match(text, /^rosey_db_dead_letters_total\{subject="note.add",code="handler_error"\} 0$/m);
  assert.match(text, /^rosey_db_dead_letters_total\{subject="note.add",code="invalid_input"\} 0$/m);
  assert.doesNotMatch(text, /^rosey_db_reply_cache_hits_total\{/m, "no reply is kept");
  assert.match(text, /^rosey_db_database_busy_retries_total 0$/m);
  assert.match(text, /^rosey_db_nats_reconnects_total\{connection="main"\} 0$/m);

  // The zero is the series the first message counts in, not a second one beside it.
  await ask(t, "echo.get", { text: "hi" });
  const after = await scrape(t);
  assert.match(after, /^rosey_db_messages_total\{subject="echo.get",outcome="ok"\} 1$/m);
  assert.equal(after.match(/^rosey_db_messages_total\{subject="echo.get",outcome="ok"\}/gm)?.length, 1);
  assert.match(after, /^rosey_db_handler_duration_seconds_count\{subject="echo.get"\} 1$/m);
});

/** The fenced blocks of README.md's "### Metrics" section, by language. */
async function metricsSectionBlocks(): Promise<{ lang: string; body: string }[]> {
  const readme = await Deno.readTextFile("README.md");
  const start = readme.indexOf("\n### Metrics\n");
  assert.ok(start >= 0, "README.md has a ### Metrics section");
  const end = readme.indexOf("\n## ", start);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map(([, lang, body]) => ({ lang, body }));
}

Deno.test(
  `README.md's Prometheus scrape examples, as written, ${
    PROMTOOL ? "pass promtool check config" : "name only files its commands create" + WITHOUT_PROMTOOL
  }`,
  async () => {
    const blocks = await metricsSectionBlocks();
    const configs = blocks.filter((b) => b.lang === "yaml").map((b) => b.body);
    assert.ok(configs.some((c) => c.includes("credentials_file:")), "an example with METRICS_TOKEN");
    assert.ok(configs.some((c) => !c.includes("authorization:")), "an example without METRICS_TOKEN");
    await using dir = await tempDir();
    // The README's commands, run where prometheus.yml is, as it tells.
    for (const { body } of blocks.filter((b) => b.lang === "sh")) {
      const { success } = await new Deno.Command("bash", {
        args: ["-euc", body],
        cwd: dir.path,
        env: { METRICS_TOKEN: "scrape-me" },
      }).output();
      assert.ok(success, body);
    }
    for (const [i, config] of configs.entries()) {
      const file = `${dir.path}/prometheus-${i}.yml`;
      await Deno.writeTextFile(file, config);
      for (const [, path] of config.matchAll(/credentials_file: (\S+)/g)) {
        assert.equal(await Deno.readTextFile(`${dir.path}/${path}`), "scrape-me", `${path} holds the token`);
      }
      if (!PROMTOOL) continue;
      const { success, output } = await promtool(["check", "config", file]);
      assert.ok(success, `${config}\n${output}`);
    }
  },
);
