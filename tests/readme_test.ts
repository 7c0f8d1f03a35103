import assert from "node:assert/strict";
import { renderReadme } from "../shared/cli/readme_tables.ts";

Deno.test("README.md's subject and configuration tables match functions/ and the config schema", async () => {
  const readme = await Deno.readTextFile("README.md");
  assert.equal(readme, await renderReadme(readme), "README.md is out of date: run `deno task docs`");
});

Deno.test("README.md shows the two set-up commands that .ci/run uses", async () => {
  const readme = await Deno.readTextFile("README.md");
  const ci = await Deno.readTextFile(".ci/run");
  assert.match(readme, /^npx --yes deno@2\.9\.6 task serve$/m);
  assert.match(readme, /^npx --yes deno@2\.9\.6 task test$/m);
  assert.match(ci, /^npx --yes deno@2\.9\.6 task test /m);
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${base}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("README.md's links, #anchors and shared/, functions/ and tests/ paths resolve", async () => {
  const readme = await Deno.readTextFile("README.md");
  const anchors = anchorsOf(readme);
  const broken: string[] = [];
  for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue;
    const [path, anchor] = target.split("#");
    if (path !== "" && !await exists(path)) broken.push(`link "${target}": no file "${path}"`);
    if (path === "" && !anchors.has(anchor)) broken.push(`link "${target}": no heading has this anchor`);
  }
  // A path of this repository, not one inside another (`../rosey-db/shared/…`) or a URL.
  for (const [path] of readme.matchAll(/(?<![\w./-])(?:shared|functions|tests)\/[\w./\[\]-]*[\w\]/]/g)) {
    if (!await exists(path)) broken.push(`path "${path}" does not exist`);
  }
  assert.deepEqual(broken, []);
});

Deno.test("README.md names only tasks that deno.json defines", async () => {
  const readme = await Deno.readTextFile("README.md");
  const { tasks } = JSON.parse(await Deno.readTextFile("deno.json"));
  const named = [...readme.matchAll(/deno(?:@[\d.]+)? task ([\w-]+)/g)].map(([, task]) => task);
  assert.ok(named.length > 0);
  assert.deepEqual(named.filter((task) => !(task in tasks)), []);
});

Deno.test("Code comments cite only Markdown files the repository has", async () => {
  const cited: string[] = [];
  for (const dir of ["shared", "functions", "tests"]) {
    for await (const file of walkTs(dir)) {
      const text = await Deno.readTextFile(file);
      for (const [name] of text.matchAll(/\b[\w./-]+\.md\b/g)) {
        if (!await exists(name) && !await exists(`${file.slice(0, file.lastIndexOf("/"))}/${name}`)) {
          cited.push(`${file}: "${name}"`);
        }
      }
    }
  }
  assert.deepEqual(cited, []);
});

async function* walkTs(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && path !== "tests/fixtures") yield* walkTs(path);
    else if (entry.isFile && entry.name.endsWith(".ts")) yield path;
  }
}
