import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../../shared/config.ts";
import { ServiceError } from "../../../shared/function/errors.ts";
import { silentLogger } from "../../../shared/log.ts";
import { pluginPlaces } from "../../../shared/storage/plugin_places.ts";
import { PluginDatabases } from "../../../shared/storage/plugins.ts";
import { ask, request, startRosey, tempDir } from "../../_helpers.ts";

Deno.test("plugin databases: beside a file in plugins/, in memory beside :memory:, none beside a remote database", () => {
  const beside = pluginPlaces(loadConfig({ DATABASE_PATH: "/srv/rosey/rosey.db" }));
  assert.equal(beside.url("quote-db"), "file:/srv/rosey/plugins/quote-db.db");
  assert.equal(pluginPlaces(loadConfig({ DATABASE_URL: ":memory:" })).url("p"), ":memory:");
  assert.throws(
    () => pluginPlaces(loadConfig({ DATABASE_URL: "libsql://db.example.com" })).url("p"),
    (error: unknown) =>
      error instanceof ServiceError && error.roseyCode === "NOT_CONFIGURED" &&
      error.message.includes("PLUGINS_DATABASE_URL"),
  );
  const remote = pluginPlaces(
    loadConfig({
      DATABASE_URL: "libsql://db.example.com",
      PLUGINS_DATABASE_URL: "libsql://rosey-{plugin}.example.com",
    }),
  );
  assert.equal(remote.url("quote-db"), "libsql://rosey-quote-db.example.com");
});

Deno.test("PLUGINS_DATABASE_URL that cannot name one database per plugin stops start-up, saying why", () => {
  const refused = {
    "libsql://rosey.example.com": "{plugin} once",
    "file:/srv/{plugin}/{plugin}.db": "{plugin} once",
    "file:/srv/{plugin}/data.db": "file's name, not a folder",
    "file:/srv/plugins/{plugin}": "end the file's name",
    "/srv/plugins/{plugin}.db": "use file:",
    "ftp://{plugin}.example.com": "use file:",
    ":memory:{plugin}": "use file:",
    "https://db.example.com/rosey-{plugin}": "in the host name",
  };
  for (const [value, reason] of Object.entries(refused)) {
    assert.throws(
      () => loadConfig({ PLUGINS_DATABASE_URL: value }),
      (error: unknown) =>
        error instanceof ConfigError && error.message.includes("PLUGINS_DATABASE_URL") &&
        error.message.includes(reason),
      value,
    );
  }
});

Deno.test("PLUGINS_DATABASE_URL under which a plugin name would reach the service's own database stops start-up", () => {
  const refused: [Record<string, string>, string][] = [
    [{ DATABASE_PATH: "data/rosey.db", PLUGINS_DATABASE_URL: "file:data/{plugin}.db" }, '"rosey"'],
    [{ DATABASE_PATH: "/srv/x/rosey.db", PLUGINS_DATABASE_URL: "file:/srv/x/../x/{plugin}.db" }, '"rosey"'],
    [{ DATABASE_PATH: "data/main.db", PLUGINS_DATABASE_URL: `file:${Deno.cwd()}/data/{plugin}.db` }, '"main"'],
    [
      {
        DATABASE_URL: "libsql://rosey-db-acme.turso.io",
        PLUGINS_DATABASE_URL: "libsql://rosey-{plugin}-acme.turso.io",
      },
      '"db"',
    ],
  ];
  for (const [env, plugin] of refused) {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) =>
        error instanceof ConfigError && error.message.includes(`PLUGINS_DATABASE_URL: the plugin ${plugin}`),
      JSON.stringify(env),
    );
  }
  // A prefix no plugin name can match the service's file by: allowed.
  assert.ok(loadConfig({ DATABASE_PATH: "data/rosey.db", PLUGINS_DATABASE_URL: "file:data/plugin-{plugin}.db" }));
  assert.ok(loadConfig({ DATABASE_PATH: "data/Rosey.db", PLUGINS_DATABASE_URL: "file:data/{plugin}.db" }));
});

Deno.test("a plugin never opens the service's own database, even where the configuration was not checked", async () => {
  await using dir = await tempDir();
  const config = { ...loadConfig({ DATABASE_PATH: `${dir.path}/rosey.db` }) };
  config.PLUGINS_DATABASE_URL = `file:${dir.path}/{plugin}.db`;
  const plugins = new PluginDatabases({ config, log: silentLogger });
  await assert.rejects(plugins.get("rosey"), /plugin "rosey" would have the service's own database/);
  await assert.rejects(Deno.stat(`${dir.path}/rosey.db`), Deno.errors.NotFound);
  await plugins.close();
});

Deno.test("PLUGINS_DATABASE_URL file:… puts each plugin's database where it says, and only its files count as plugins", async () => {
  await using dir = await tempDir();
  const config = loadConfig({
    DATABASE_PATH: `${dir.path}/rosey.db`,
    PLUGINS_DATABASE_URL: `file:${dir.path}/elsewhere/store-{plugin}.sqlite`,
  });
  const plugins = new PluginDatabases({ config, log: silentLogger });
  try {
    const quotes = await plugins.get("quote-db");
    assert.equal(quotes.db.path, `${dir.path}/elsewhere/store-quote-db.sqlite`);
    await quotes.writer.run((tx) => tx.run("INSERT INTO _rosey_kv (key, value, updated_at) VALUES ('a', '1', 0)"));
    await Deno.writeTextFile(`${dir.path}/elsewhere/notes.sqlite`, "");
    await Deno.writeTextFile(`${dir.path}/elsewhere/store-Bad.sqlite`, "");
    assert.equal(await plugins.existing("trivia"), undefined);
    assert.deepEqual(await plugins.plugins(), ["quote-db"]);
    assert.equal(await plugins.drop("quote-db"), true);
    const left = [...Deno.readDirSync(`${dir.path}/elsewhere`)].map((entry) => entry.name).sort();
    assert.deepEqual(left, ["notes.sqlite", "store-Bad.sqlite"]);
    await assert.rejects(Deno.stat(`${dir.path}/plugins`), Deno.errors.NotFound);
  } finally {
    await plugins.close();
  }
});

/** A listener that records the requests it gets and refuses each as a server refuses a token: 401. */
function refusingServer() {
  const seen: { authorization: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    seen.push({ authorization: req.headers.get("authorization") });
    return new Response("Unauthorized", { status: 401 });
  });
  return { seen, port: server.addr.port, [Symbol.asyncDispose]: () => server.shutdown() };
}

Deno.test("a remote plugin database gets the token, and its refusal is a clear error naming the plugin", async () => {
  await using remote = refusingServer();
  // Set past the check: no resolver here maps a name with the plugin in it to loopback.
  const config = { ...loadConfig({ DATABASE_AUTH_TOKEN: "plugin-token" }) };
  config.PLUGINS_DATABASE_URL = `http://127.0.0.1:${remote.port}`;
  const plugins = new PluginDatabases({ config, log: silentLogger });
  for (const attempt of [1, 2]) {
    await assert.rejects(plugins.get("quote-db"), (error: unknown) => {
      assert.ok(error instanceof ServiceError, String(error));
      assert.equal(error.status, 503);
      assert.match(error.message, /plugin "quote-db" could not be opened/);
      return true;
    });
    // A failed open is not kept: the next request asks the server again.
    assert.equal(remote.seen.length >= attempt, true);
  }
  for (const { authorization } of remote.seen) assert.equal(authorization, "Bearer plugin-token");
  await plugins.close();
});

Deno.test("a plugin's remote database out of reach: its requests answer 503 naming it, the service goes on, drop says where to delete it", async () => {
  await using dir = await tempDir();
  await using t = await startRosey({
    DATABASE_PATH: `${dir.path}/rosey.db`,
    // .invalid never resolves (RFC 2606).
    PLUGINS_DATABASE_URL: "libsql://rosey-{plugin}.invalid",
    BACKUP_DIR: `${dir.path}/backups`,
  });
  const refused = await request(t.nc, "rosey.db.kv.quote-db.set", { key: "a", value: 1 });
  assert.equal(refused.errorCode, "503");
  assert.match(refused.error!, /plugin "quote-db" could not be opened/);
  await ask(t, "status.get");
  const dropped = await request(t.nc, "rosey.db.admin.plugins.drop", { plugin: "quote-db", confirm: "quote-db" });
  assert.equal(dropped.errorCode, "409");
  assert.match(dropped.error!, /delete it on its server/);
  const backup = await ask<{ plugins: unknown[]; plugin_databases: string }>(t, "admin.backup");
  assert.deepEqual([backup.plugins, backup.plugin_databases], [[], "remote"]);
});
