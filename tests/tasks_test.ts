/**
 * The README's two commands as a newcomer runs them: each task's preparation step with exactly the
 * flags deno.json gives it, on a machine without nats-server, and Ctrl-C on `npx … task serve`.
 */
import assert from "node:assert/strict";
import { accepts, freePort } from "../shared/nats/local_server.ts";
import { tempDir, tuningEnv } from "./_helpers.ts";
import { collectText, waitReadiness } from "./_process.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const TASKS: Record<string, string> = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
const README = await Deno.readTextFile(`${ROOT}README.md`);

/** Where this machine's nats-server lies, looked up as shared/nats/local_server.ts does. */
async function installedNatsServer(): Promise<string> {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/sbin", "/usr/bin", "/usr/local/bin"]);
  for (const dir of dirs) {
    const path = `${dir}/nats-server`;
    if (await Deno.stat(path).then((info) => info.isFile, () => false)) return path;
  }
  throw new Error("nats-server is not installed: the test task's first step installs it");
}

const canUnshare = await new Deno.Command("unshare", { args: ["--mount", "true"], stderr: "null" }).output()
  .then((r) => r.success, () => false);

/**
 * A machine without nats-server, made for one command: a mount namespace in which the installed binary
 * is hidden, and a PATH whose `apt-get` records its calls and installs a copy of the real binary.
 */
async function withoutNatsServer(dir: string) {
  const real = await installedNatsServer();
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin);
  await Deno.copyFile(real, `${dir}/package-nats-server`);
  await Deno.writeTextFile(
    `${bin}/apt-get`,
    `#!/bin/sh\necho "$*" >> "${dir}/apt-get.log"\ncase "$*" in *install*nats-server*) cp "${dir}/package-nats-server" "${bin}/nats-server" ;; esac\n`,
  );
  await Deno.chmod(`${bin}/apt-get`, 0o755);
  return {
    bin,
    /** `command` (a deno task line) in that namespace, its `deno` being this test's Deno. */
    command(command: string, env: Record<string, string>) {
      const argv = command.split(/\s+/);
      assert.equal(argv[0], "deno");
      const hide = `mount --bind /dev/null "$0" && exec "$@"`;
      return new Deno.Command("unshare", {
        args: ["--mount", "sh", "-c", hide, real, Deno.execPath(), ...argv.slice(1)],
        cwd: ROOT,
        env: { ...env, PATH: `${bin}:/usr/bin:/bin` },
        stdout: "piped",
        stderr: "piped",
      });
    },
    aptCalls: () => Deno.readTextFile(`${dir}/apt-get.log`).catch(() => ""),
  };
}

Deno.test({
  name: "deno task test: its first step installs nats-server where it is missing, with deno.json's flags alone",
  ignore: !canUnshare,
  async fn() {
    await using dir = await tempDir();
    const machine = await withoutNatsServer(dir.path);
    const [prepare] = TASKS.test.split("&&").map((step) => step.trim());
    const { code, stdout, stderr } = await machine.command(prepare, {}).output();
    const errors = new TextDecoder().decode(stderr);
    assert.doesNotMatch(errors, /NotCapable|Requires \w+ access/, "no permission is missing");
    assert.equal(code, 0, errors);
    assert.equal(new TextDecoder().decode(stdout).trim(), `nats-server: ${machine.bin}/nats-server`);
    assert.match(await machine.aptCalls(), /install -y -qq nats-server/);
  },
});

Deno.test({
  name:
    "deno task serve: on a machine without nats-server it installs and starts one, is ready, and stops it on SIGTERM",
  ignore: !canUnshare,
  async fn() {
    await using dir = await tempDir();
    const machine = await withoutNatsServer(dir.path);
    const natsPort = freePort(), httpPort = freePort();
    const child = machine.command(TASKS.serve, {
      DATABASE_PATH: `${dir.path}/data/rosey.db`,
      ...tuningEnv({ localNatsPort: natsPort }),
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: "ERROR",
    }).spawn();
    const log = collectText(child.stderr);
    try {
      await waitReadiness(`http://127.0.0.1:${httpPort}`, { timeoutMs: 30_000 });
    } finally {
      child.kill("SIGTERM");
      await child.stdout.cancel();
    }
    const { code } = await child.status;
    await log.done;
    assert.doesNotMatch(log.text(), /NotCapable|Requires \w+ access/, "no permission is missing");
    assert.equal(code, 0, log.text());
    assert.match(await machine.aptCalls(), /install -y -qq nats-server/);
    assert.equal(await accepts(natsPort), false, "the local nats-server stopped with the service");
  },
});

Deno.test("Ctrl-C on the README's serve command drains, stops the local nats-server last and exits 0", async () => {
  const command = README.match(/npx --yes deno@[0-9.]+ task serve/)?.[0];
  assert.ok(command, "README shows `npx --yes deno@X task serve`");
  await using dir = await tempDir();
  const natsPort = freePort(), httpPort = freePort();
  // A terminal's Ctrl-C signals its whole foreground process group: npx, the shell, deno and children.
  const child = new Deno.Command("setsid", {
    args: command.split(" "),
    cwd: ROOT,
    env: {
      DATABASE_PATH: `${dir.path}/rosey.db`,
      ...tuningEnv({ localNatsPort: natsPort }),
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: "INFO",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = collectText(child.stderr);
  try {
    await waitReadiness(`http://127.0.0.1:${httpPort}`, { timeoutMs: 60_000 });
  } finally {
    Deno.kill(-child.pid, "SIGINT");
  }
  const { code } = await child.status;
  await log.done;
  assert.equal(code, 0, log.text());
  assert.match(log.text(), /"Stopped"/);
  assert.doesNotMatch(log.text(), /Disconnected from NATS/, "the local nats-server outlived the drain");
  assert.equal(await accepts(natsPort), false, "the local nats-server stopped");
});
