import assert from "node:assert/strict";
import { freePort, startNatsServer } from "../../../shared/nats/local_server.ts";
import { startNats, tempDir } from "../../_helpers.ts";

const root = new URL("../../../", import.meta.url).pathname;

/** `deno task admin <argv>` as an operator runs it: exit status, stdout and stderr. */
async function task(env: Record<string, string>, ...argv: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "admin", ...argv],
    cwd: root,
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

Deno.test("deno task admin: NATS not reachable is one clear line and exit status 3, also with --json", async () => {
  const url = `nats://127.0.0.1:${freePort()}`;
  const run = await task({ NATS_URL: url, PATH: Deno.env.get("PATH")! }, "health");
  assert.equal(run.code, 3);
  assert.equal(run.stdout, "");
  assert.match(run.stderr, new RegExp(`^admin: Cannot connect to NATS at ${url}: .*is nats-server running`));
  assert.equal(run.stderr.split("\n").length, 1);
  const json = await task({ NATS_URL: url, PATH: Deno.env.get("PATH")! }, "health", "--json");
  assert.equal(json.code, 3);
  assert.equal(JSON.parse(json.stderr).error.exit_status, 3);
});

Deno.test("deno task admin: no service behind NATS is 'no instance answers' and exit status 3", async () => {
  await using nats = await startNats();
  const run = await task({ NATS_URL: nats.url, PATH: Deno.env.get("PATH")! }, "dead-letters", "list");
  assert.equal(run.code, 3);
  assert.match(run.stderr, /^admin: No rosey-db instance answers "rosey\.db\.admin\.dead_letters\.list"/);
});

Deno.test("deno task admin: refused by NATS (permissions, credentials) is exit status 4", async () => {
  await using dir = await tempDir();
  const conf = `${dir.path}/auth.conf`;
  await Deno.writeTextFile(
    conf,
    `authorization: { users: [
      { user: bot, password: b, permissions: { publish: { deny: ["rosey.db.admin.>", "rosey.db.token.>"] } } }
    ] }`,
  );
  await using nats = await startNatsServer({ args: ["-c", conf] });
  const env = { NATS_URL: nats.url, NATS_USER: "bot", NATS_PASSWORD: "b", PATH: Deno.env.get("PATH")! };
  const denied = await task(env, "backup");
  assert.equal(denied.code, 4);
  assert.match(
    denied.stderr,
    /^admin: NATS refused this user publishing to "rosey\.db\.admin\.backup" \(permissions\)/,
  );
  const wrong = await task({ ...env, NATS_PASSWORD: "wrong" }, "health");
  assert.equal(wrong.code, 4);
  assert.match(wrong.stderr, /^admin: Cannot connect to NATS at .*NATS_USER\/NATS_PASSWORD/);
});
