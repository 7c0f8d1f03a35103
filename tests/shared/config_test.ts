import { redactUrl } from "../../shared/config/checks.ts";
import assert from "node:assert/strict";
import { ConfigError, databaseUrl, loadConfig, removedSettingWarnings } from "../../shared/config.ts";

Deno.test("loadConfig has embedded defaults", () => {
  const config = loadConfig({});
  assert.equal(databaseUrl(config), "file:data/rosey.db");
  assert.equal(config.NATS_URL, undefined);
  assert.equal(config.HTTP_HOST, "127.0.0.1");
  assert.equal(config.HTTP_PORT, 8080);
  assert.equal(config.SUBJECT_PREFIX, "rosey.db");
  assert.equal(config.QUEUE_GROUP, "rosey-db");
  assert.equal(config.MAX_PAYLOAD_BYTES, 256 * 1024);
});

Deno.test("loadConfig takes the old service's flags over the environment", () => {
  const config = loadConfig({ LOG_LEVEL: "ERROR" }, [
    "--db-path",
    "/tmp/x.db",
    "--nats-url=nats://h:4222",
    "--log-level",
    "debug",
  ]);
  assert.equal(databaseUrl(config), "file:/tmp/x.db");
  assert.equal(config.NATS_URL, "nats://h:4222");
  assert.equal(config.LOG_LEVEL, "DEBUG");
});

Deno.test("loadConfig reports one line per problem", () => {
  try {
    loadConfig({ HTTP_PORT: "eighty", DATABASE_SYNCHRONOUS: "OFF", LOG_LEVEL: "loud" }, ["--bogus"]);
    assert.fail("expected a ConfigError");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.problems.length, 4);
    assert.match(error.problems.join("\n"), /^--bogus: unknown option/m);
    assert.match(error.problems.join("\n"), /^HTTP_PORT: .*\(got "eighty"\)$/m);
    assert.match(error.problems.join("\n"), /^DATABASE_SYNCHRONOUS: /m);
    assert.match(error.problems.join("\n"), /^LOG_LEVEL: /m);
  }
});

Deno.test("loadConfig reads secrets from <NAME>_FILE and never echoes them", async () => {
  const file = await Deno.makeTempFile();
  await Deno.writeTextFile(file, "s3cret\n");
  assert.equal(loadConfig({ METRICS_TOKEN_FILE: file }).METRICS_TOKEN, "s3cret");
  assert.throws(() => loadConfig({ NATS_TOKEN_FILE: "/nonexistent/token" }), /NATS_TOKEN_FILE: cannot read/);
  await Deno.remove(file);
});

Deno.test("the service exits with status 2 and one line per problem on invalid configuration", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "shared/main.ts", "--log-level", "chatty"],
    env: { HTTP_PORT: "-1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 2);
  const lines = new TextDecoder().decode(stderr).trim().split("\n");
  assert.equal(lines.length, 2);
  assert.ok(lines.every((line) => line.startsWith("Invalid configuration: ")));
});

const HOUR = 3600, DAY = 86_400;

/** The problems a ConfigError from `loadConfig(env)` lists. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

Deno.test("RETENTION defaults to the wire contract's ages and backup count", () => {
  assert.deepEqual(loadConfig({}).RETENTION, {
    recent_chat: 150 * HOUR,
    user_counts: 30 * DAY,
    sent_outbound: 7 * DAY,
    revoked_tokens: 90 * DAY,
    dead_letters: 30 * DAY,
    events: 7 * DAY,
    backups: 7,
  });
});

Deno.test("RETENTION overrides only the names it lists; the others keep their defaults", () => {
  const { RETENTION } = loadConfig({ RETENTION: "recent_chat=2h" });
  assert.equal(RETENTION.recent_chat, 2 * HOUR);
  assert.equal(RETENTION.user_counts, 30 * DAY);
  assert.equal(RETENTION.events, 7 * DAY);
  assert.equal(RETENTION.backups, 7);
});

Deno.test("RETENTION reads ages in seconds, minutes, hours and days, backups as a count, events=0 as forever", () => {
  const { RETENTION } = loadConfig({
    RETENTION: "recent_chat=45s, user_counts=90m,sent_outbound=3h,dead_letters=2d,events=0s,backups=3",
  });
  assert.equal(RETENTION.recent_chat, 45);
  assert.equal(RETENTION.user_counts, 90 * 60);
  assert.equal(RETENTION.sent_outbound, 3 * HOUR);
  assert.equal(RETENTION.dead_letters, 2 * DAY);
  assert.equal(RETENTION.events, 0);
  assert.equal(RETENTION.backups, 3);
});

Deno.test("RETENTION: a bad entry is a ConfigError naming RETENTION and the entry", () => {
  for (
    const [value, expected] of [
      ["recent_chat=2w", /^RETENTION: recent_chat: expected an age .*got "2w"/],
      ["chat=1d", /^RETENTION: unknown name "chat" \(known: recent_chat, /],
      ["backups=0", /^RETENTION: backups: expected a count of at least 1, got "0"/],
      ["recent_chat=0h", /^RETENTION: recent_chat: must keep something, got "0h"/],
    ] as const
  ) {
    const found = problems({ RETENTION: value });
    assert.equal(found.length, 1, found.join(" | "));
    assert.match(found[0], expected);
  }
});

Deno.test("a removed variable whose value no longer takes effect stops loadConfig with what to set instead", () => {
  assert.deepEqual(problems({ FUNCTIONS_DIR: "my/functions" }), [
    "FUNCTIONS_DIR: removed: function files are those in this repository's functions/ (FUNCTIONS selects among them)",
  ]);
  assert.deepEqual(problems({ RETENTION_RECENT_CHAT_HOURS: "24" }), [
    'RETENTION_RECENT_CHAT_HOURS: removed: set RETENTION="recent_chat=24h" instead',
  ]);
  assert.deepEqual(problems({ JETSTREAM_STREAM: "OTHER" }), [
    'JETSTREAM_STREAM: removed: the stream is named after SUBJECT_PREFIX now ("ROSEY_DB_EVENTS")',
  ]);
});

Deno.test("removedSettingWarnings warns about a removed tuning variable, which loadConfig accepts", () => {
  const env = { INGEST_THREAD: "off", JETSTREAM_STREAM: "ROSEY_DB_EVENTS" };
  const config = loadConfig(env);
  assert.deepEqual(removedSettingWarnings(env, config), [
    "JETSTREAM_STREAM: removed, has no effect",
    "INGEST_THREAD: removed, ignored: the service sets this itself now",
  ]);
  assert.deepEqual(removedSettingWarnings({}, config), []);
});

Deno.test("redactUrl hides user, password and token of every server in a list", () => {
  assert.equal(
    redactUrl("nats://a:pw1@h1:4222,nats://b:pw2@h2:4222,nats://s3cretToken@h3,nats://u:p@ss@h4,h5:4222"),
    "nats://***@h1:4222,nats://***@h2:4222,nats://***@h3,nats://***@h4,h5:4222",
  );
  assert.equal(redactUrl("libsql://db.example?authToken=abc"), "libsql://db.example?authToken=***");
});
