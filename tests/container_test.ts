/**
 * The Dockerfile, run as far as this machine can without a container engine: its dependency step
 * from the manifests alone, its CMD's permissions and its healthcheck, each against a real service.
 */
import assert from "node:assert/strict";
import { freePort } from "../shared/nats/local_server.ts";
import { waitReadiness } from "./_process.ts";
import { startNats, tempDir } from "./_helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The Dockerfile's instructions, continued lines joined: [keyword, rest]. */
async function instructions(): Promise<[string, string][]> {
  const text = await Deno.readTextFile(`${ROOT}Dockerfile`);
  return text.replace(/\\\n/g, " ").split("\n")
    .filter((line) => line.trim() && !line.trimStart().startsWith("#"))
    .map((line) => {
      const [keyword, ...rest] = line.trim().split(/\s+/);
      return [keyword, rest.join(" ")];
    });
}

/** The exec-form (JSON) command of the instruction `keyword` (for HEALTHCHECK, after its options). */
async function execForm(keyword: string): Promise<string[]> {
  const [, rest] = (await instructions()).find(([k]) => k === keyword)!;
  return JSON.parse(rest.slice(rest.indexOf("[")));
}

Deno.test("Dockerfile: dependencies are fetched from the manifests alone, before any code is copied", async () => {
  const steps = await instructions();
  const firstCode = steps.findIndex(([k, rest]) => k === "COPY" && /\b(shared|functions)\//.test(rest));
  const fetch = steps.findIndex(([k, rest]) => k === "RUN" && rest.includes("deno cache"));
  assert.ok(fetch >= 0 && fetch < firstCode, "a deno cache step comes before the code");
  const copied = steps.slice(0, fetch).filter(([k]) => k === "COPY").map(([, rest]) => rest.replace(/--\S+\s*/g, ""));
  assert.deepEqual(copied, ["deno.json deno.lock import_map.json ./"]);

  // Run that step in an empty cache with the manifests only, then the service from that cache alone.
  await using dir = await tempDir();
  for (const file of ["deno.json", "deno.lock", "import_map.json"]) {
    await Deno.copyFile(`${ROOT}${file}`, `${dir.path}/${file}`);
  }
  const env = { DENO_DIR: `${dir.path}/cache`, NO_COLOR: "1" };
  const step = await new Deno.Command("bash", { args: ["-c", steps[fetch][1]], cwd: dir.path, env }).output();
  assert.equal(step.code, 0, new TextDecoder().decode(step.stderr));
  await Deno.remove(`${dir.path}/deno.json`);
  await Deno.remove(`${dir.path}/import_map.json`);
  const cmd = await execForm("CMD");
  const version = await new Deno.Command(Deno.execPath(), {
    args: [...cmd.slice(1, -1), `${ROOT}${cmd.at(-1)}`, "--version"],
    cwd: ROOT,
    env,
  }).output();
  assert.equal(version.code, 0, new TextDecoder().decode(version.stderr));
  assert.match(new TextDecoder().decode(version.stdout), /^rosey-db \d/);
});

Deno.test("Dockerfile: the CMD's permissions run the service, and without NATS_URL it stops at once saying to set it", async () => {
  await using dir = await tempDir();
  const cmd = await execForm("CMD");
  assert.equal(cmd[0], "deno");
  // The container's cache is the build's; here the machine's own.
  const args = cmd.slice(1).filter((arg) => arg !== "--cached-only");
  const run = (env: Record<string, string>) =>
    new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      // Only what the container sets, and where this machine keeps Deno's cache.
      clearEnv: true,
      env: {
        ...Object.fromEntries(
          ["HOME", "DENO_DIR", "PATH"].flatMap((k) => Deno.env.has(k) ? [[k, Deno.env.get(k)!]] : []),
        ),
        DATABASE_PATH: `${dir.path}/rosey.db`,
        BACKUP_DIR: `${dir.path}/backups`,
        HTTP_PORT: "0",
        ...env,
      },
      stdout: "piped",
      stderr: "piped",
    });
  const alone = await run({}).output();
  assert.equal(alone.code, 2);
  assert.match(new TextDecoder().decode(alone.stderr), /NATS_URL: not set.*set NATS_URL to your NATS server/);

  await using nats = await startNats();
  const httpPort = freePort();
  const child = run({ NATS_URL: nats.url, HTTP_PORT: String(httpPort) }).spawn();
  try {
    await waitReadiness(`http://127.0.0.1:${httpPort}`, { timeoutMs: 30_000 });
    const healthcheck = await execForm("HEALTHCHECK");
    assert.ok(!healthcheck.includes("deno"), "a check starts no Deno");
    const check = (port: number) =>
      new Deno.Command(healthcheck[0], { args: healthcheck.slice(1), env: { HTTP_PORT: String(port) } }).output();
    assert.equal((await check(httpPort)).code, 0, "healthy on the port the service listens on");
    assert.notEqual((await check(freePort())).code, 0, "unhealthy where nothing answers");
  } finally {
    child.kill("SIGTERM");
    await child.output();
  }
});
