import assert from "node:assert/strict";
import { ConfigError, databaseUrl, loadConfig } from "../../shared/config.ts";

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
