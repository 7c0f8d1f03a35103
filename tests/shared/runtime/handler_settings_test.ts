import assert from "node:assert/strict";
import { loadConfig, withoutCredentials } from "../../../shared/config.ts";
import { functionSettings } from "../../../shared/config.ts";
import { json, request, startNats, startTestService, tempDir, waitFor } from "../../_helpers.ts";

/** A value for every setting that holds a credential or says where one is used, each easy to find. */
function secrets(dir: string, natsUrl: string): Record<string, string> {
  return {
    NATS_URL: natsUrl,
    NATS_USER: "secret-nats-user",
    NATS_PASSWORD: "secret-nats-password",
    NATS_TOKEN: "secret-nats-token",
    DATABASE_URL: `file:${dir}/secret-database-name.db`,
    DATABASE_AUTH_TOKEN: "secret-database-auth-token",
    DATABASE_ENCRYPTION_KEY: "secret-database-encryption-key",
    METRICS_TOKEN: "secret-metrics-token",
  };
}

/** The secret values of `env` that `text` contains. */
function leaked(text: string, env: Record<string, string>): string[] {
  return Object.entries(env).filter(([, value]) => text.includes(value.replace(/^file:/, ""))).map(([name]) => name);
}

Deno.test("functionSettings and withoutCredentials keep no credential of a configuration that has every one", () => {
  const env = {
    ...secrets("/tmp/nowhere", "nats://secret-nats-host:4222"),
    NATS_NKEY_SEED: "secret-nkey-seed",
    NATS_CREDS_FILE: "/secret/creds/file",
    NATS_TLS_KEY: "/secret/tls/key",
    DATABASE_SYNC_URL: "libsql://secret-primary.example",
  };
  const config = loadConfig(env);
  assert.deepEqual(Object.keys(functionSettings(config)).sort(), [
    "BACKUP_DIR",
    "EMBEDDING_DIMENSIONS",
    "RETENTION",
    "SUBJECT_PREFIX",
  ]);
  assert.deepEqual(leaked(JSON.stringify(functionSettings(config)), env), []);
  assert.deepEqual(leaked(JSON.stringify(withoutCredentials(config)), env), []);
  assert.ok(leaked(JSON.stringify(config), env).length === Object.keys(env).length, "the check can see each secret");
});

Deno.test("no credential reaches the ctx.config of a request or event handler, on either thread", async () => {
  await using nats = await startNats();
  for (const threaded of [true, false]) {
    await using dir = await tempDir();
    const env = secrets(dir.path, nats.url);
    await using t = await startTestService({ env, nats, tuning: { ingestThread: threaded } });
    t.nc.publish("rosey.db.settings.keep", json({}));
    const { data } = await waitFor(
      async () => {
        const reply = await request(t.nc, "rosey.db.settings.get");
        return reply.data?.event ? reply : undefined;
      },
      10_000,
      "the event's settings stored",
    );
    const seen = data as { request: string; event: string };
    assert.equal(JSON.parse(seen.request).SUBJECT_PREFIX, "rosey.db", "the request handler saw its settings");
    assert.equal(JSON.parse(seen.event).SUBJECT_PREFIX, "rosey.db", "the event handler saw its settings");
    assert.deepEqual(leaked(seen.request, env), [], `request handler, ingestThread: ${threaded}`);
    assert.deepEqual(leaked(seen.event, env), [], `event handler, ingestThread: ${threaded}`);
  }
});
