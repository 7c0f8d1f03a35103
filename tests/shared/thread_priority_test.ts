import assert from "node:assert/strict";
import { spawnService, startNats, tempDir } from "../_helpers.ts";

/** The nice value of each Worker thread of a process, from /proc. */
async function workerNiceValues(pid: number): Promise<number[]> {
  const values = [];
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    const stat = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/stat`);
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    // Fields after the name: state is the first, nice the seventeenth.
    if (name.startsWith("worker-")) values.push(Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]));
  }
  return values;
}

Deno.test({
  name: "the ingest thread runs INGEST_THREAD_NICE steps below the requests' CPU priority (none by default)",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using nats = await startNats();
    await using dir = await tempDir();
    for (const [env, expected] of [[{ INGEST_THREAD_NICE: "10" }, [10]], [{}, [0]]] as const) {
      const { child } = await spawnService(["--nats-url", nats.url, "--db-path", `${dir.path}/${expected[0]}.db`], env);
      try {
        assert.deepEqual(await workerNiceValues(child.pid), expected, JSON.stringify(env));
        const main = await Deno.readTextFile(`/proc/${child.pid}/stat`);
        assert.equal(main.slice(main.lastIndexOf(")") + 2).split(" ")[16], "0", "the main thread keeps its priority");
      } finally {
        child.kill("SIGTERM");
        await child.status;
      }
    }
  },
});
