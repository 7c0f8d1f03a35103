import assert from "node:assert/strict";
import { loadConfig } from "../../../shared/config.ts";
import { silentLogger } from "../../../shared/log.ts";
import { ServiceError } from "../../../shared/function/errors.ts";
import { PluginDatabases } from "../../../shared/storage/plugins.ts";
import { tempDir } from "../../_helpers.ts";

Deno.test("PluginDatabases opens each plugin's own file in plugins/ beside the service's database, once", async () => {
  await using dir = await tempDir();
  const plugins = new PluginDatabases({
    config: loadConfig({ DATABASE_PATH: `${dir.path}/rosey.db` }),
    log: silentLogger,
  });
  try {
    const [a, again, b] = await Promise.all([plugins.get("quote-db"), plugins.get("quote-db"), plugins.get("trivia")]);
    assert.equal(a, again);
    assert.notEqual(a.db, b.db);
    assert.equal(a.db.path, `${dir.path}/plugins/quote-db.db`);
    assert.deepEqual(await plugins.plugins(), ["quote-db", "trivia"]);
  } finally {
    await plugins.close();
  }
  // Closed, the files still name the plugins.
  const reopened = new PluginDatabases({
    config: loadConfig({ DATABASE_PATH: `${dir.path}/rosey.db` }),
    log: silentLogger,
  });
  assert.deepEqual(await reopened.plugins(), ["quote-db", "trivia"]);
  await reopened.close();
});

Deno.test("PluginDatabases refuses a name that is not a plugin name before it reaches a path", async () => {
  const plugins = new PluginDatabases({ config: loadConfig({ DATABASE_URL: ":memory:" }), log: silentLogger });
  for (const name of ["../rosey", "a.b", "a/b", "", "Quote", "x".repeat(65), "rosey\0"]) {
    await assert.rejects(plugins.get(name), (error: unknown) => {
      assert.ok(error instanceof ServiceError);
      assert.equal(error.roseyCode, "VALIDATION_ERROR");
      return true;
    }, JSON.stringify(name));
  }
  await plugins.close();
});

Deno.test("PluginDatabases.sweep deletes expired keys and keeps the rest; opening sweeps too", async () => {
  await using dir = await tempDir();
  const config = loadConfig({ DATABASE_PATH: `${dir.path}/rosey.db` });
  const insert = "INSERT INTO _rosey_kv (key, value, expires_at, updated_at) VALUES (?, '1', ?, 0)";
  let plugins = new PluginDatabases({ config, log: silentLogger });
  let { writer, db } = await plugins.get("p");
  await writer.run(async (tx) => {
    await tx.run(insert, ["expired", Date.now() - 1]);
    await tx.run(insert, ["later", Date.now() + 60_000]);
    await tx.run(insert, ["never", null]);
  });
  assert.equal(await plugins.sweep(), 1);
  assert.deepEqual((await db.read.query<{ key: string }>("SELECT key FROM _rosey_kv ORDER BY key")).map((r) => r.key), [
    "later",
    "never",
  ]);
  await writer.run((tx) => tx.run(insert, ["expired", Date.now() - 1]));
  await plugins.close();
  plugins = new PluginDatabases({ config, log: silentLogger });
  ({ db } = await plugins.get("p"));
  assert.equal((await db.read.query("SELECT 1 FROM _rosey_kv WHERE key = 'expired'")).length, 0);
  await plugins.close();
});

Deno.test("PluginDatabases refuses a new plugin past the bound, and still opens those that have a database", async () => {
  await using dir = await tempDir();
  const config = loadConfig({ DATABASE_PATH: `${dir.path}/rosey.db` });
  let plugins = new PluginDatabases({ config, log: silentLogger, maxPlugins: 2 });
  await Promise.all([plugins.get("a"), plugins.get("b")]);
  await assert.rejects(plugins.get("c"), (error: unknown) => {
    assert.ok(error instanceof ServiceError);
    assert.equal(error.status, 409);
    assert.match(error.message, /plugin "c" has no database and 2 plugins have one/);
    return true;
  });
  await plugins.close();
  // Two new ones at once with room for one: never both (each counts the other while it opens).
  plugins = new PluginDatabases({ config, log: silentLogger, maxPlugins: 3 });
  const results = await Promise.allSettled([plugins.get("a"), plugins.get("c"), plugins.get("d")]);
  assert.equal(results[0].status, "fulfilled");
  assert.ok(results.filter((r) => r.status === "fulfilled").length <= 2);
  assert.ok((await plugins.plugins()).length <= 3);
  await plugins.close();
});
