/**
 * README "NATS permissions": nats-server runs deploy/nats.conf, the file the README shows; the service
 * works with its user in core and JetStream mode, the bot's administration is refused by the server,
 * the operator's goes through.
 */
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { loadConfig } from "../../../shared/config.ts";
import { silentLogger } from "../../../shared/log.ts";
import { startNatsServer } from "../../../shared/nats/local_server.ts";
import { startService } from "../../../shared/service.ts";
import { json, tempDir, waitFor } from "../../_helpers.ts";
import { PASSWORDS, readmeNatsConfig, setPasswords } from "./_readme_config.ts";

const ROOT = new URL("../../../", import.meta.url);

/** The reply's JSON, or the error message the client got instead. */
async function attempt(nc: NatsConnection, subject: string, body: unknown = {}): Promise<unknown> {
  try {
    const reply = await nc.request(subject, json(body), { timeout: 5000 });
    return reply.json();
  } catch (error) {
    return (error as Error).message;
  }
}

const user = (name: keyof typeof PASSWORDS) => ({ user: name, pass: PASSWORDS[name] });

Deno.test("README's NATS configuration is deploy/nats.conf", async () => {
  assert.equal(await readmeNatsConfig(), await Deno.readTextFile(new URL("deploy/nats.conf", ROOT)));
});

for (const mode of ["core", "jetstream"] as const) {
  Deno.test(`deploy/nats.conf in ${mode} mode: the service serves, the bot's events are stored, only the operator administers`, async () => {
    await using dir = await tempDir();
    setPasswords();
    const storeArgs = mode === "jetstream" ? ["-js", "-sd", `${dir.path}/js`] : [];
    await using nats = await startNatsServer({
      args: ["-c", new URL("deploy/nats.conf", ROOT).pathname, ...storeArgs],
    });
    const service = await startService(
      loadConfig({
        NATS_URL: nats.url,
        NATS_USER: "rosey-db",
        NATS_PASSWORD: PASSWORDS["rosey-db"],
        INGEST_MODE: mode,
        HTTP_PORT: "0",
        MAINTENANCE_INTERVAL: "0",
        DATABASE_PATH: `${dir.path}/rosey.db`,
        BACKUP_DIR: `${dir.path}/backups`,
      }),
      silentLogger,
      { functionsDir: "functions" },
    );
    const bot = await connect({ servers: nats.url, ...user("bot") });
    const operator = await connect({ servers: nats.url, ...user("operator") });
    try {
      await service.started;
      const ready = await fetch(`${service.httpUrl}/ready`);
      assert.equal(ready.status, 200, await ready.text());

      // The bot's events go in and its requests are answered.
      bot.publish("rosey.db.message.log", json({ timestamp: 1_700_000_000, username: "alice", message: "hi" }));
      await bot.flush();
      await waitFor(
        async () => {
          const chat = await attempt(bot, "rosey.db.stats.recent_chat.get", { limit: 5 });
          return Array.isArray(chat) && chat.length === 1;
        },
        10_000,
        "the bot's event stored",
      );

      // Administration is refused by the server before the service sees it.
      for (const subject of ["admin.backup", "token.create", "conversation.user.erase", "migrate.quote-db.rollback"]) {
        assert.equal(
          await attempt(bot, `rosey.db.${subject}`, {}),
          `Permissions Violation for Publish to "rosey.db.${subject}"`,
        );
      }
      const backup = await attempt(operator, "rosey.db.admin.backup");
      assert.equal(typeof backup, "object", String(backup));
      assert.match((backup as { file: string }).file, /rosey-db-.+\.db$/);

      if (mode === "jetstream") {
        // The consumer acknowledged what it committed: nothing waits for redelivery.
        const jsm = await jetstreamManager(operator);
        await waitFor(async () => (await jsm.streams.info("ROSEY_DB_EVENTS")).state.messages === 0, 10_000, "acked");
      }
    } finally {
      await bot.close();
      await operator.close();
      await service.stop();
    }
  });
}
