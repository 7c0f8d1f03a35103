/**
 * README "A NATS user per plugin": nats-server runs the configuration block exactly as the README
 * shows it (README "NATS permissions"), and a plugin's user reaches its own kv, row and migrate
 * subjects and nothing else.
 */
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { loadConfig } from "../../shared/config.ts";
import { silentLogger } from "../../shared/log.ts";
import { startNatsServer } from "../../shared/nats/local_server.ts";
import { startService } from "../../shared/service.ts";
import { json, tempDir } from "../_helpers.ts";
import { PASSWORDS, readmeNatsConfig, setPasswords } from "../shared/nats/_readme_config.ts";

const SERVICE = { user: "rosey-db", pass: PASSWORDS["rosey-db"] };
const PLUGIN = { user: "quote-db", pass: PASSWORDS["quote-db"] };
const OPERATOR = { user: "operator", pass: PASSWORDS.operator };

/** The reply to a request, or the error message the client got instead. */
async function attempt(
  nc: NatsConnection,
  subject: string,
  body: unknown = {},
): Promise<Record<string, unknown> | string> {
  try {
    return (await nc.request(subject, json(body), { timeout: 5000 })).json<Record<string, unknown>>();
  } catch (error) {
    return (error as Error).message;
  }
}

/** Asserts the server refused to let `nc` send on `subject`. */
async function refused(nc: NatsConnection, subject: string, body: unknown = {}) {
  const reply = await attempt(nc, subject, body);
  assert.equal(reply, `Permissions Violation for Publish to "${subject}"`, subject);
}

/** Asserts a request on `subject` was answered with success. */
async function answered(nc: NatsConnection, subject: string, body: unknown = {}): Promise<Record<string, unknown>> {
  const reply = await attempt(nc, subject, body);
  assert.equal(typeof reply, "object", `${subject}: ${reply}`);
  assert.equal((reply as Record<string, unknown>).success, true, `${subject}: ${JSON.stringify(reply)}`);
  return reply as Record<string, unknown>;
}

Deno.test("README's plugin user reaches only rosey.db.{kv,row,migrate}.<plugin>.> on a real nats-server", async () => {
  await using dir = await tempDir();
  const conf = `${dir.path}/nats.conf`;
  await Deno.writeTextFile(conf, await readmeNatsConfig());
  setPasswords();
  await using nats = await startNatsServer({ args: ["-c", conf] });
  const config = loadConfig({
    NATS_URL: nats.url,
    NATS_USER: SERVICE.user,
    NATS_PASSWORD: SERVICE.pass,
    HTTP_PORT: "0",
    MAINTENANCE_INTERVAL: "0",
    DATABASE_PATH: `${dir.path}/rosey.db`,
    PLUGINS_DIR: "tests/fixtures/plugins/e2e",
  });
  const service = await startService(config, silentLogger, { functionsDir: "functions" });
  const admin = await connect({ servers: nats.url, ...OPERATOR });
  const plugin = await connect({ servers: nats.url, ...PLUGIN, inboxPrefix: "_INBOX.quote-db" });
  try {
    await service.started;
    // Its own subjects, as quote-db sends them.
    await answered(plugin, "rosey.db.migrate.quote-db.apply", { target_version: "latest" });
    assert.equal((await answered(plugin, "rosey.db.migrate.quote-db.status")).current_version, 3);
    const quotes = await answered(plugin, "rosey.db.row.quote-db.search", {
      table: "quotes",
      filters: {},
      limit: 10000,
    });
    assert.equal(quotes.count, 2);
    await answered(plugin, "rosey.db.kv.quote-db.set", { key: "total_count", value: "2", ttl: 300 });
    assert.equal((await answered(plugin, "rosey.db.kv.quote-db.get", { key: "total_count" })).value, "2");

    // Another plugin's subjects, the payload-addressed kv family (even naming itself), the service's own.
    await refused(plugin, "rosey.db.kv.trivia.set", { key: "total_count", value: "planted" });
    await refused(plugin, "rosey.db.kv.trivia.get", { key: "total_count" });
    await refused(plugin, "rosey.db.row.trivia.search", { table: "user_stats" });
    await refused(plugin, "rosey.db.row.countdown.delete", { table: "countdowns", filters: {} });
    await refused(plugin, "rosey.db.migrate.countdown.rollback", { to_version: 0 });
    await refused(plugin, "rosey.db.kv.set", { plugin_name: "trivia", key: "total_count", value: "planted" });
    for (const op of ["get", "delete", "list"]) {
      await refused(plugin, `rosey.db.kv.${op}`, { plugin_name: "quote-db", key: "total_count" });
    }
    await refused(plugin, "rosey.db.admin.plugins.list");
    await refused(plugin, "rosey.db.messages.outbound.get");
    await refused(plugin, "$SRV.INFO");
    // Nor may it listen to others' requests or replies.
    for (const subject of ["rosey.db.>", "_INBOX.>"]) {
      const sub = plugin.subscribe(subject);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const open = new Promise((resolve) => timer = setTimeout(() => resolve("still subscribed after 2 s"), 2000));
      const closed = await Promise.race([sub.closed, open]);
      clearTimeout(timer);
      sub.unsubscribe();
      assert.match(String(closed), new RegExp(`Permissions Violation for Subscription to "${subject}"`));
    }
    // Without its inbox prefix, no reply can reach it.
    const unprefixed = await connect({ servers: nats.url, ...PLUGIN });
    try {
      assert.match(
        String(await attempt(unprefixed, "rosey.db.kv.quote-db.get", { key: "total_count" })),
        /Permissions/,
      );
    } finally {
      await unprefixed.close();
    }

    // The operator reaches every plugin: what the plugin set is there, what it was refused is not.
    const own = await answered(admin, "rosey.db.kv.get", { plugin_name: "quote-db", key: "total_count" });
    assert.equal((own.data as Record<string, unknown>).value, "2");
    assert.equal((await answered(admin, "rosey.db.kv.trivia.get", { key: "total_count" })).exists, false);
    assert.equal((await answered(plugin, "rosey.db.kv.quote-db.get", { key: "total_count" })).value, "2");
  } finally {
    await plugin.close();
    await admin.close();
    await service.stop();
  }
});
