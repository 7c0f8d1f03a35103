import assert from "node:assert/strict";
import { DirectPath } from "../../../shared/client/direct.ts";
import { RoseyError } from "../../../shared/client/error.ts";
import { loadFunctionTable } from "../../../shared/client/generate.ts";
import { buildMethods } from "../../../shared/client/methods.ts";
import type { ClientTable } from "../../../shared/client/table.ts";
import { silentLogger } from "../../../shared/log.ts";
import { FIXTURE_FUNCTIONS, startTestService } from "../../_helpers.ts";

async function fixtureMethods(nc?: Parameters<typeof buildMethods>[1]["nc"]) {
  const table: ClientTable = Object.fromEntries(
    (await loadFunctionTable(FIXTURE_FUNCTIONS)).map(({ method, entry }) => [method, entry]),
  );
  const direct = new DirectPath({ DATABASE_URL: ":memory:" }, silentLogger);
  const methods = buildMethods(table, {
    nc,
    prefix: "rosey.db",
    timeoutMs: 2000,
    acknowledgedEvents: false,
    log: silentLogger,
    direct: () => Promise.resolve(direct),
  });
  return { methods, direct };
}

Deno.test("buildMethods: a subject with a [name] token takes the token's value first, through NATS and directly", async () => {
  await using t = await startTestService();
  const viaNats = await fixtureMethods(t.nc);
  assert.deepEqual(await viaNats.methods.kvPluginGet({ plugin: "quotes" }, { key: "today" }), {
    plugin: "quotes",
    key: "today",
  });
  const direct = await fixtureMethods();
  assert.deepEqual(await direct.methods.kvPluginGet({ plugin: "quotes" }, { key: "today" }), {
    plugin: "quotes",
    key: "today",
  });
  await direct.direct.close();
});

Deno.test("buildMethods refuses a [name] value that is not one subject token, before sending anything", async () => {
  await using t = await startTestService();
  const { methods } = await fixtureMethods(t.nc);
  const sent: string[] = [];
  const spy = t.nc.subscribe("rosey.db.kv.>", { callback: (_error, msg) => void sent.push(msg.subject) });
  for (const plugin of ["a.b", "*", ">", "", "two words", undefined]) {
    await assert.rejects(methods.kvPluginGet({ plugin }, { key: "k" }), (error: unknown) => {
      assert.ok(error instanceof RoseyError);
      assert.equal(error.status, 400);
      assert.match(error.message, /^Invalid parameter for kvPluginGet: "plugin" must be one subject token/);
      return true;
    });
  }
  await t.nc.flush();
  spy.unsubscribe();
  assert.deepEqual(sent, []);
});
