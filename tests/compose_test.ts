/**
 * compose.yaml, checked as far as this machine can without a container engine: it parses, and it is
 * safe by default (authentication from deploy/nats.conf, JetStream mode with JetStream on, ports on
 * this host only, the metrics token from a secret), with settings the service knows.
 */
import assert from "node:assert/strict";
import { ConfigSchema, loadConfig } from "../shared/config.ts";
import {
  assertLocalPorts,
  assertMetricsTokenFromSecret,
  natsConf,
  natsConfPasswords,
  readCompose,
  requiredVariable,
} from "./_compose.ts";

const compose = await readCompose("compose.yaml");
const { nats, "rosey-db": rosey } = compose.services;

Deno.test("compose.yaml: nats-server runs deploy/nats.conf with JetStream, every password required from the environment", () => {
  assert.ok(nats && rosey, "services nats and rosey-db");
  const command = nats.command!;
  assert.equal(command[command.indexOf("-c") + 1], "/etc/nats/nats.conf");
  assert.ok(nats.volumes!.includes("./deploy/nats.conf:/etc/nats/nats.conf:ro"));
  assert.ok(command.includes("-js"), "JetStream on");
  assert.deepEqual(Object.keys(nats.environment!).sort(), natsConfPasswords());
  for (const [name, value] of Object.entries(nats.environment!)) assert.equal(requiredVariable(value), name);
});

Deno.test("compose.yaml: rosey-db authenticates as the service's user, ingests from JetStream, and wants a metrics token from a secret", () => {
  const env = rosey.environment!;
  assert.equal(env.INGEST_MODE, "jetstream", "JetStream is on, so events wait in the stream");
  const password = new RegExp(`user: ${env.NATS_USER}, password: \\$([A-Z_]+), permissions: \\$SERVICE`).exec(
    natsConf(),
  );
  assert.ok(password, `${env.NATS_USER} is the service's user in deploy/nats.conf`);
  assert.equal(requiredVariable(env.NATS_PASSWORD), password[1]);
  assertMetricsTokenFromSecret(compose, rosey);
  // Every variable is one the service reads; they load as a valid configuration.
  const known = Object.keys(ConfigSchema.shape).flatMap((name) => [name, `${name}_FILE`]);
  for (const name of Object.keys(env)) assert.ok(known.includes(name), `${name} is a setting`);
  const values = Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, requiredVariable(value) ? "from-env" : value]),
  );
  const { METRICS_TOKEN_FILE: _, ...direct } = values;
  assert.equal(loadConfig({ ...direct, METRICS_TOKEN: "from-secret" }).INGEST_MODE, "jetstream");
});

Deno.test("compose.yaml: every published port listens on this host only", () => {
  for (const [name, service] of Object.entries(compose.services)) assertLocalPorts(name, service);
});
