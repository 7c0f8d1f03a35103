/**
 * shared/main.ts as a newcomer meets it: set-up mistakes stop it at once with exit status 2 and one line,
 * what depends on the NATS server is retried with the target and cause shown, SIGTERM never waits long.
 */
import assert from "node:assert/strict";
import { accepts, freePort, startNatsServer } from "../../shared/nats/local_server.ts";
import { tempDir, waitFor } from "../_helpers.ts";
import { collectText, waitReadiness } from "../_process.ts";

const MAIN = new URL("../../shared/main.ts", import.meta.url).pathname;

/** Runs shared/main.ts to its end with `env`; resolves to its exit status and stderr lines. */
async function runMain(env: Record<string, string>, args: string[] = []) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { HTTP_PORT: "0", NATS_URL: "nats://127.0.0.1:1", DATABASE_URL: ":memory:", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(stderr).trim().split("\n").filter(Boolean);
  return { code, lines, stdout: new TextDecoder().decode(stdout) };
}

/** shared/main.ts as a running child whose stderr is collected. */
function spawnMain(env: Record<string, string>) {
  const httpPort = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN],
    env: { HTTP_PORT: String(httpPort), DATABASE_URL: ":memory:", LOG_LEVEL: "INFO", ...env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = collectText(child.stderr);
  const base = `http://127.0.0.1:${httpPort}`;
  return { child, base, log: log.text, reading: log.done };
}

Deno.test("shared/main.ts stops with exit status 2 and one line naming the setting for mistakes no retry can fix", async () => {
  await using dir = await tempDir();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const busyPort = String((busy.addr as Deno.NetAddr).port);
  const cases: [Record<string, string>, RegExp][] = [
    [{ DATABASE_URL: "postgres://x/y" }, /^DATABASE_URL: unsupported scheme "postgres:".*\(got "postgres:\/\/x\/y"\)$/],
    [{ DATABASE_URL: "notaurl" }, /^DATABASE_URL: not a database URL: use file:<path>.*\(got "notaurl"\)$/],
    [{ NATS_URL: "::garbage::" }, /^NATS_URL: not a server URL: use nats:\/\/<host>:<port>.*\(got "::garbage::"\)$/],
    [
      { NATS_URL: "http://user:secret@h:80" },
      /^NATS_URL: unsupported scheme "http:".*\(got "http:\/\/\*\*\*@h:80"\)$/,
    ],
    [
      { DATABASE_URL: "", DATABASE_PATH: "/proc/rosey-db/x.db" },
      /^DATABASE_PATH: cannot create the data directory "\/proc\/rosey-db": .+: choose a writable location$/,
    ],
    [{ DATABASE_URL: "", DATABASE_PATH: dir.path }, /^DATABASE_PATH: ".+" is a directory: name a file inside it$/],
    [
      { NATS_CREDS_FILE: `${dir.path}/missing.creds` },
      /^NATS_CREDS_FILE: cannot read ".+missing\.creds": No such file/,
    ],
    [{ FUNCTIONS: "user.*,stat.*" }, /^FUNCTIONS: "stat\.\*" matches no subject \(subjects begin with .*stats.*\)$/],
    [
      { HTTP_PORT: busyPort },
      new RegExp(`^HTTP_PORT: cannot listen on 127\\.0\\.0\\.1:${busyPort}: .*in use.*HTTP_PORT`),
    ],
  ];
  const results = await Promise.all(cases.map(([env]) => runMain(env)));
  busy.close();
  results.forEach(({ code, lines: all }, i) => {
    const [env, expected] = cases[i];
    // A mistake found once the service starts follows the log's first line, which names the version.
    const lines = all.filter((line) => !line.includes('"msg":"Starting rosey-db"'));
    assert.equal(code, 2, `exit status for ${JSON.stringify(env)}: ${lines.join(" | ")}`);
    assert.equal(lines.length, 1, `one line for ${JSON.stringify(env)}: ${lines.join(" | ")}`);
    assert.match(lines[0].replace(/^Invalid configuration: /, ""), expected);
    assert.doesNotMatch(lines[0], /secret/);
  });
});

const canUnshare = await new Deno.Command("unshare", { args: ["--mount", "true"], stderr: "null" }).output()
  .then((r) => r.success, () => false);

Deno.test({
  name: "shared/main.ts stops with exit status 2 naming a read-only database file (needs a mount namespace)",
  ignore: !canUnshare,
  async fn() {
    await using dir = await tempDir();
    const file = `${dir.path}/rosey.db`;
    await Deno.writeFile(file, new Uint8Array());
    // Root writes through file modes: a read-only bind mount is what even root cannot write.
    const mountReadOnly = `mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"`;
    const { code, stderr } = await new Deno.Command("unshare", {
      args: ["--mount", "sh", "-c", mountReadOnly, file, Deno.execPath(), "run", "-A", MAIN],
      env: { HTTP_PORT: "0", NATS_URL: "nats://127.0.0.1:1", DATABASE_PATH: file },
      stdout: "null",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(stderr).trim().split("\n");
    assert.equal(code, 2, lines.join(" | "));
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      new RegExp(`^Invalid configuration: DATABASE_PATH: cannot write the database file "${file}": `),
    );
  },
});

Deno.test("shared/main.ts --help prints the flags and every setting, and exits 0", async () => {
  const { code, stdout } = await runMain({}, ["--help"]);
  assert.equal(code, 0);
  const expectations = ["--db-path", "--nats-url", "--log-level", "--http-port", "DATABASE_URL", "HTTP_PORT=8080"];
  for (const expected of expectations) {
    assert.ok(stdout.includes(expected), `--help mentions ${expected}`);
  }
});

Deno.test("the version shows in --version, the first log line and /health, all from deno.json", async () => {
  const { version } = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.match(version, /^\d+\.\d+\.\d+/);
  const { code, stdout } = await runMain({}, ["--version"]);
  assert.deepEqual([code, stdout.trim()], [0, `rosey-db ${version}`]);
  const running = spawnMain({ NATS_URL: "nats://127.0.0.1:1" });
  await waitFor(() => running.log().includes("\n"), 10_000, "a first log line");
  const first = JSON.parse(running.log().split("\n")[0]);
  assert.deepEqual([first.msg, first.version], ["Starting rosey-db", version]);
  await waitReadiness(running.base, { reason: "cannot connect", timeoutMs: 10_000 });
  assert.deepEqual(await (await fetch(running.base + "/health")).json(), { status: "ok", version });
  running.child.kill("SIGTERM");
  await running.child.status;
  await running.reading;
});

Deno.test("with NATS unreachable, each attempt logs the target and the cause at once, /ready shows them, SIGTERM exits 0 at once", async () => {
  const refusedPort = freePort();
  const refused = spawnMain({ NATS_URL: `nats://127.0.0.1:${refusedPort}` });
  const unknown = spawnMain({ NATS_URL: "nats://no-such-host.invalid:4222" });
  for (
    const [service, target, cause] of [
      [refused, `nats://127.0.0.1:${refusedPort}`, /connection refused/],
      [unknown, "nats://no-such-host.invalid:4222", /ENOTFOUND/],
    ] as const
  ) {
    const reply = await waitReadiness(service.base, { reason: "cannot connect", timeoutMs: 10_000 });
    assert.equal(reply.status, 503);
    assert.ok(reply.body.includes(`nats: cannot connect to ${target}: `), reply.body);
    assert.match(reply.body, cause);
    assert.equal((await fetch(service.base + "/health")).status, 200, "/health stays a liveness check");
    // The first failure is logged at once, then each retry.
    await waitFor(() => service.log().split(`cannot connect to ${target}`).length > 2, 5000, "two logged attempts");
  }
  for (const service of [refused, unknown]) {
    const stopping = Date.now();
    service.child.kill("SIGTERM");
    assert.equal((await service.child.status).code, 0);
    // Before, a connection attempt under way held the stop for 10-13 s.
    assert.ok(Date.now() - stopping < 5000, `stopped within 5 s (took ${Date.now() - stopping} ms)`);
    await service.reading;
    assert.doesNotMatch(service.log(), /Start-up failed/, "a stop is not a start-up failure");
  }
});

Deno.test("with credentials the server refuses, the service stays up and retries until the server accepts them", async () => {
  const port = freePort();
  const refusing = await startNatsServer({ port, args: ["--user", "bot", "--pass", "right"] });
  const service = spawnMain({ NATS_URL: `nats://127.0.0.1:${port}`, NATS_USER: "bot", NATS_PASSWORD: "other" });
  try {
    const reply = await waitReadiness(service.base, { reason: "Authorization Violation", timeoutMs: 10_000 });
    assert.equal(reply.status, 503);
    assert.ok(reply.body.includes(`cannot connect to nats://127.0.0.1:${port}: Authorization Violation`));
    await waitFor(() => service.log().split("Authorization Violation").length > 3, 10_000, "three logged attempts");
    await refusing.stop();
    // The server's credentials change: the service connects by itself.
    await using _accepting = await startNatsServer({ port, args: ["--user", "bot", "--pass", "other"] });
    await waitReadiness(service.base, { timeoutMs: 15_000 });
  } finally {
    service.child.kill("SIGTERM");
    assert.equal((await service.child.status).code, 0, service.log());
    await service.reading;
    await refusing.stop();
  }
  assert.equal(await accepts(port), false);
});

Deno.test("credentials refused at a reconnect: /ready names the server's authorization error, and the service is ready again once they work", async () => {
  const port = freePort();
  const accepting = await startNatsServer({ port, args: ["--user", "bot", "--pass", "right"] });
  const service = spawnMain({ NATS_URL: `nats://127.0.0.1:${port}`, NATS_USER: "bot", NATS_PASSWORD: "right" });
  try {
    await waitReadiness(service.base, { timeoutMs: 15_000 });
    // The server restarts with other credentials: the connection is lost and each reconnect refused.
    await accepting.stop();
    const changed = await startNatsServer({ port, args: ["--user", "bot", "--pass", "changed"] });
    const reply = await waitReadiness(service.base, { reason: "Authorization Violation", timeoutMs: 15_000 });
    assert.equal(reply.status, 503);
    assert.match(reply.body, /nats: main connection down: Authorization Violation/);
    assert.equal((await fetch(service.base + "/health")).status, 200);
    await changed.stop();
    await using _back = await startNatsServer({ port, args: ["--user", "bot", "--pass", "right"] });
    await waitReadiness(service.base, { timeoutMs: 15_000 });
  } finally {
    service.child.kill("SIGTERM");
    assert.equal((await service.child.status).code, 0, service.log());
    await service.reading;
    await accepting.stop();
  }
});

Deno.test("with no credentials for a server that requires them, the service stays up, /ready names the refusal, and it connects once the server lets it", async () => {
  const port = freePort();
  const requiring = await startNatsServer({ port, args: ["--user", "bot", "--pass", "right"] });
  const service = spawnMain({ NATS_URL: `nats://127.0.0.1:${port}` });
  try {
    const reply = await waitReadiness(service.base, { reason: "Authorization Violation", timeoutMs: 10_000 });
    assert.equal(reply.status, 503);
    assert.ok(reply.body.includes(`cannot connect to nats://127.0.0.1:${port}: Authorization Violation`), reply.body);
    await requiring.stop();
    await using _open = await startNatsServer({ port });
    await waitReadiness(service.base, { timeoutMs: 15_000 });
  } finally {
    service.child.kill("SIGTERM");
    assert.equal((await service.child.status).code, 0, service.log());
    await service.reading;
    await requiring.stop();
  }
});
