/**
 * compose.cluster.yaml (docker compose cannot run here): its YAML parses, its services form the
 * topology README "Running on a cluster" describes, as safe by default as compose.yaml, rosey-db
 * accepts their settings, and nats-server run with the servers' own arguments and deploy/nats.conf
 * makes a JetStream cluster.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../shared/config.ts";
import { freePort, startNatsServer } from "../../shared/nats/local_server.ts";
import { tempDir, waitFor } from "../_helpers.ts";
import {
  assertLocalPorts,
  assertMetricsTokenFromSecret,
  natsConf,
  natsConfPasswords,
  readCompose,
} from "../_compose.ts";

const compose = await readCompose("compose.cluster.yaml");
const names = Object.keys(compose.services);
const nats = names.filter((n) => n.startsWith("nats-"));
const rosey = names.filter((n) => n.startsWith("rosey-db-"));
const namedVolumes = compose.volumes ?? {};

/** The passwords deploy/nats.conf reads from nats-server's environment. */
const PASSWORDS = natsConfPasswords();

/** The value after `flag` in a command. */
function arg(command: string[], flag: string): string | undefined {
  const i = command.indexOf(flag);
  return i === -1 ? undefined : command[i + 1];
}

Deno.test("compose.cluster.yaml has three NATS servers and two rosey-db instances, and nothing else", () => {
  assert.deepEqual(nats, ["nats-1", "nats-2", "nats-3"]);
  assert.deepEqual(rosey, ["rosey-db-1", "rosey-db-2"]);
  assert.equal(names.length, 5);
});

Deno.test("compose.cluster.yaml: each NATS server has JetStream on its own volume and routes to all three in one cluster", () => {
  const clusterNames = new Set<string>();
  for (const name of nats) {
    const { image, command = [], volumes = [], environment = {} } = compose.services[name];
    assert.match(image ?? "", /^nats:2\./, name);
    // The users and permissions of deploy/nats.conf, as compose.yaml's server has them.
    assert.equal(arg(command, "-c"), "/etc/nats/nats.conf");
    assert.ok(volumes.includes("./deploy/nats.conf:/etc/nats/nats.conf:ro"), `${name} mounts deploy/nats.conf`);
    assert.deepEqual(Object.keys(environment).sort(), PASSWORDS);
    assertLocalPorts(name, compose.services[name]);
    assert.equal(arg(command, "--name"), name, "server names are distinct");
    clusterNames.add(arg(command, "--cluster_name")!);
    assert.ok(command.includes("-js"), `${name} runs JetStream`);
    const store = arg(command, "-sd");
    const volume = volumes.find((v) => v.endsWith(`:${store}`))?.split(":")[0];
    assert.ok(volume && volume in namedVolumes, `${name} keeps its store ${store} on a named volume`);
    const port = new URL(arg(command, "--cluster")!).port;
    const routes = arg(command, "--routes")!.split(",").map((r) => new URL(r));
    assert.deepEqual(routes.map((r) => `${r.hostname}:${r.port}`), nats.map((n) => `${n}:${port}`));
  }
  assert.equal(clusterNames.size, 1, "one cluster");
  const volumes = nats.map((n) => compose.services[n].volumes!.at(-1)!.split(":")[0]);
  assert.equal(new Set(volumes.filter((v) => !v.startsWith("./"))).size, 3, "a store each");
});

Deno.test("compose.cluster.yaml: both rosey-db instances take every NATS server, keep the stream on three, share one database volume", () => {
  const hostPorts = new Set<string>();
  for (const name of rosey) {
    const service = compose.services[name];
    assert.equal(service.build, ".");
    assert.deepEqual(service.depends_on, nats);
    const env = service.environment!;
    assert.deepEqual(env.NATS_URL.split(","), nats.map((n) => `nats://${n}:4222`));
    assert.equal(env.NATS_USER, "rosey-db", "the service's user of deploy/nats.conf");
    assert.match(env.NATS_PASSWORD, /^\$\{ROSEY_DB_PASSWORD:\?/);
    assertMetricsTokenFromSecret(compose, service);
    // What the service itself would make of these settings, with the Dockerfile's DATABASE_PATH.
    const { METRICS_TOKEN_FILE: _, ...settings } = env;
    const config = loadConfig({ ...settings, NATS_PASSWORD: "secret", DATABASE_PATH: "/data/rosey.db" });
    assert.equal(config.INGEST_MODE, "jetstream");
    assert.equal(config.JETSTREAM_REPLICAS, nats.length);
    assert.deepEqual(service.volumes, ["rosey-data:/data"], "the Dockerfile's /data, on the one shared volume");
    assertLocalPorts(name, service);
    for (const port of service.ports ?? []) hostPorts.add(port.split(":")[1]);
  }
  assert.ok("rosey-data" in namedVolumes);
  assert.equal(hostPorts.size, rosey.length, "each instance on a host port of its own");
});

Deno.test("compose.cluster.yaml: nats-server run with the services' own arguments forms a JetStream cluster", async () => {
  await using store = await tempDir();
  // deploy/nats.conf with its passwords defined ahead, as nats-server's environment would give them.
  const conf = `${store.path}/nats.conf`;
  await Deno.writeTextFile(conf, PASSWORDS.map((p) => `${p}: "test-${p}"\n`).join("") + natsConf());
  // Host names become loopback ports: each service's cluster port, client port and monitoring port.
  const ports = Object.fromEntries(nats.map((n) => [n, { cluster: freePort(), client: freePort(), http: freePort() }]));
  const servers = await Promise.all(nats.map((name) => {
    const command = compose.services[name].command!.map((part) =>
      part.replace(/nats:\/\/(nats-\d):6222/g, (_, host) => `nats://127.0.0.1:${ports[host].cluster}`)
        .replace("nats://0.0.0.0:6222", `nats://127.0.0.1:${ports[name].cluster}`)
        .replace(/^\/data$/, `${store.path}/${name}`)
        .replace("/etc/nats/nats.conf", conf)
        .replace(/^8222$/, String(ports[name].http))
    );
    return startNatsServer({ port: ports[name].client, args: command });
  }));
  try {
    await waitFor(
      async () => {
        const health = await Promise.all(
          nats.map((n) => fetch(`http://127.0.0.1:${ports[n].http}/healthz`).then((r) => r.text())),
        );
        return health.every((body) => body.includes('"ok"'));
      },
      20_000,
      "a JetStream meta leader",
    );
    const jsz = await (await fetch(`http://127.0.0.1:${ports["nats-1"].http}/jsz`)).json();
    assert.equal(jsz.meta_cluster?.cluster_size, 3, JSON.stringify(jsz.meta_cluster));
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
});
