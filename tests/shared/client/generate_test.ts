import assert from "node:assert/strict";
import { discoverFunctions } from "../../../shared/runtime/discover.ts";
import { FUNCTIONS } from "../../../shared/client/functions.ts";
import { loadFunctionTable, methodName, renderFunctionTable } from "../../../shared/client/generate.ts";
import { createRoseyClient } from "../../../shared/client/mod.ts";
import { FIXTURE_FUNCTIONS, tempDir } from "../../_helpers.ts";

Deno.test("shared/client/functions.ts is what shared/client/generate.ts writes from functions/", async () => {
  assert.equal(
    await Deno.readTextFile("shared/client/functions.ts"),
    await renderFunctionTable("functions"),
    "shared/client/functions.ts is out of date: run `deno task docs`",
  );
});

Deno.test("createRoseyClient has a method for every subject the service serves", async () => {
  const served = (await discoverFunctions("functions")).map((f) => f.subject);
  const client = createRoseyClient();
  const missing = served.filter((subject) => {
    const method = Object.entries(FUNCTIONS).find(([, entry]) => entry.subject === subject)?.[0];
    return !method || typeof (client as unknown as Record<string, unknown>)[method] !== "function";
  });
  assert.deepEqual(missing, [], "subjects without a client method");
  assert.equal(Object.keys(FUNCTIONS).length, served.length);
});

Deno.test("methodName is the function file's path in camelCase, a [name] folder adding its name", () => {
  assert.equal(methodName("user/joined.ts"), "userJoined");
  assert.equal(methodName("query/user_stats.ts"), "queryUserStats");
  assert.equal(methodName("messages/outbound/mark_sent.ts"), "messagesOutboundMarkSent");
  assert.equal(methodName("stats/user_count.ts"), "statsUserCount");
  assert.equal(methodName("stats/user_count/history.ts"), "statsUserCountHistory");
  assert.equal(methodName("kv/[plugin]/get.ts"), "kvPluginGet");
  assert.equal(methodName("a/b-c.d.ts"), "aBCD");
});

Deno.test("loadFunctionTable gives a [name] folder's method its parameter names", async () => {
  const rows = await loadFunctionTable(FIXTURE_FUNCTIONS);
  const kv = rows.find((row) => row.method === "kvPluginGet");
  assert.deepEqual(kv && { subject: kv.entry.subject, params: kv.entry.params }, {
    subject: "kv.*.get",
    params: ["plugin"],
  });
  assert.match(
    await renderFunctionTable(FIXTURE_FUNCTIONS),
    /kvPluginGet: \{ subject: "kv\.\*\.get", params: \["plugin"\]/,
  );
});

async function writeFunction(path: string) {
  const contract = new URL("../../../shared/function/define.ts", import.meta.url).href;
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(
    path,
    `import { z } from "zod";\nimport { defineEvent } from "${contract}";\n` +
      `export default defineEvent({ description: "x", input: z.object({}), handle: () => Promise.resolve() });\n`,
  );
}

Deno.test("loadFunctionTable refuses two function files whose method names are the same", async () => {
  await using dir = await tempDir();
  await writeFunction(`${dir.path}/a/b_c.ts`);
  await writeFunction(`${dir.path}/a_b/c.ts`);
  await assert.rejects(
    loadFunctionTable(dir.path),
    new RegExp(`Cannot generate client method "aBC": "${dir.path}/a/b_c.ts" and "${dir.path}/a_b/c.ts" both map to it`),
  );
});

Deno.test("loadFunctionTable refuses a function file whose method would be the client's close", async () => {
  await using dir = await tempDir();
  await writeFunction(`${dir.path}/close.ts`);
  await assert.rejects(loadFunctionTable(dir.path), /"close" is reserved or not an identifier/);
});
