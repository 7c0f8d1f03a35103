import assert from "node:assert/strict";
import { renderReadme } from "../shared/readme_tables.ts";

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
