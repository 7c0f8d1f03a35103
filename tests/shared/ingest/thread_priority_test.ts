import assert from "node:assert/strict";
import { spawnService, startNats, tempDir } from "../../_helpers.ts";

/** The name and nice value in a /proc `stat` line. */
function parseStat(stat: string): { name: string; nice: number } {
  const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
  // Fields after the name: state is the first, nice the seventeenth.
  return { name, nice: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]) };
}

/** The nice value of each Worker thread of a process. */
async function workerNiceValues(pid: number): Promise<number[]> {
  const values = [];
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    const { name, nice } = parseStat(await Deno.readTextFile(`/proc/${pid}/task/${task.name}/stat`));
    if (name.startsWith("worker-")) values.push(nice);
  }
  return values;
}

Deno.test({
  name: "the ingest thread runs tuning.ingestNice steps below the requests' CPU priority (none by default)",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using nats = await startNats();
    await using dir = await tempDir();
    // The other Worker is the checkpoint thread (shared/storage/checkpoints.ts), at the requests' priority.
    for (const [tuning, expected] of [[{ ingestNice: 10 }, [0, 10]], [{}, [0, 0]]] as const) {
      const { child } = await spawnService(
        ["--nats-url", nats.url, "--db-path", `${dir.path}/${expected[1]}.db`],
        {},
        undefined,
        tuning,
      );
      try {
        assert.deepEqual((await workerNiceValues(child.pid)).sort((a, b) => a - b), expected, JSON.stringify(tuning));
        const main = parseStat(await Deno.readTextFile(`/proc/${child.pid}/stat`));
        assert.equal(main.nice, 0, "the main thread keeps its priority");
      } finally {
        child.kill("SIGTERM");
        await child.status;
      }
    }
  },
});
