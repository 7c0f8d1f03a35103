import assert from "node:assert/strict";
import { startRosey, tempDir } from "../../_helpers.ts";

/** The code blocks of README.md's client section, by language, in order. */
async function clientSection() {
  const readme = await Deno.readTextFile("README.md");
  const start = readme.indexOf("## The bot client\n");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, lang, code]) => ({ lang, code }));
  return { json: blocks.filter((b) => b.lang === "json"), ts: blocks.filter((b) => b.lang === "ts") };
}

Deno.test("README's client example runs as written from a bot's own folder outside the repository with --allow-net only, exits, and type-checks there", async () => {
  const { json, ts } = await clientSection();
  assert.equal(json.length, 1, "the section shows one deno.json for the bot");
  await using dir = await tempDir();
  // The README places the bot beside a clone named rosey-db.
  await Deno.symlink(Deno.cwd(), `${dir.path}/rosey-db`);
  await Deno.mkdir(`${dir.path}/bot`);
  await Deno.writeTextFile(`${dir.path}/bot/deno.json`, json[0].code);
  await using t = await startRosey();
  // The one change: the test's nats-server listens on a free port, not on 4222.
  const example = ts[0].code.replace("nats://127.0.0.1:4222", t.nats.url);
  assert.notEqual(example, ts[0].code, "the example connects to nats://127.0.0.1:4222");
  await Deno.writeTextFile(`${dir.path}/bot/main.ts`, example);

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "main.ts"],
    cwd: `${dir.path}/bot`,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, `the example exits 0 (a kill after 60 s means it hung); stderr:\n${err}`);
  assert.equal(new TextDecoder().decode(stdout), "1\n", "it prints alice's chat line count");
  assert.doesNotMatch(err, /NotCapable|permission/i);

  // The types flow into the bot's folder too: the example type-checks there.
  const check = await new Deno.Command(Deno.execPath(), { args: ["check", "main.ts"], cwd: `${dir.path}/bot` })
    .output();
  assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
});
