/** Test helper: a real three-server nats-server cluster on loopback, JetStream on each, routes between them. */
import { freePort, type NatsServer, startNatsServer } from "../../shared/nats/local_server.ts";
import { waitFor } from "../_helpers.ts";

/** One server of the cluster: its name, client port and store directory stay across restarts. */
export interface ClusterNode {
  name: string;
  port: number;
  url: string;
  /** nats-server's HTTP monitoring (/connz, /jsz). */
  monitorUrl: string;
  server?: NatsServer;
}

/** A running cluster; dispose it with `await using`. */
export interface NatsCluster extends AsyncDisposable {
  nodes: ClusterNode[];
  /** Every client URL, comma-separated, as NATS_URL takes them. */
  urls: string;
  /** The node named `name` (a stream's leader, say, as the server reports it). */
  node(name: string): ClusterNode;
  /** Kills a node's process with `signal` (SIGKILL by default) and waits for it to end. */
  kill(node: ClusterNode, signal?: Deno.Signal): Promise<void>;
  /** Starts a stopped node again on its ports and store. */
  restart(node: ClusterNode): Promise<void>;
  /** The running node that a client connection named `name` is connected to, if any. */
  nodeOf(clientName: string): Promise<ClusterNode | undefined>;
}

/** Starts `size` servers (3 by default) under `storeDir`, each routing to all, and resolves once each listens. */
export async function startNatsCluster(storeDir: string, size = 3): Promise<NatsCluster> {
  const clusterPorts = Array.from({ length: size }, () => freePort());
  const routes = clusterPorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
  const nodes: ClusterNode[] = clusterPorts.map((_, i) => {
    const port = freePort();
    const monitorUrl = `http://127.0.0.1:${freePort()}`;
    return { name: `n${i + 1}`, port, url: `nats://127.0.0.1:${port}`, monitorUrl };
  });
  const start = async (node: ClusterNode) => {
    const i = nodes.indexOf(node);
    node.server = await startNatsServer({
      port: node.port,
      storeDir: `${storeDir}/${node.name}`,
      install: true,
      args: [
        "--name",
        node.name,
        "--cluster_name",
        "rosey-test",
        "--cluster",
        `nats://127.0.0.1:${clusterPorts[i]}`,
        "--routes",
        routes,
        "--http_port",
        new URL(node.monitorUrl).port,
      ],
    });
  };
  await Promise.all(nodes.map(start));
  // JetStream answers once the servers elected a meta leader: /healthz says so.
  await waitFor(
    async () => {
      const health = await Promise.all(nodes.map((n) => fetch(`${n.monitorUrl}/healthz`).then((r) => r.text())));
      return health.every((body) => body.includes('"ok"'));
    },
    20_000,
    "the cluster's JetStream meta leader",
  );
  const cluster: NatsCluster = {
    nodes,
    urls: nodes.map((n) => n.url).join(","),
    node(name) {
      const found = nodes.find((n) => n.name === name);
      if (!found) throw new Error(`No cluster node named "${name}"`);
      return found;
    },
    async kill(node, signal = "SIGKILL") {
      await node.server?.stop(signal);
      node.server = undefined;
    },
    restart: start,
    async nodeOf(clientName) {
      for (const node of nodes.filter((n) => n.server)) {
        const connz = await (await fetch(`${node.monitorUrl}/connz`)).json() as { connections?: { name?: string }[] };
        if (connz.connections?.some((c) => c.name === clientName)) return node;
      }
      return undefined;
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(nodes.map((n) => n.server?.stop()));
    },
  };
  return cluster;
}
