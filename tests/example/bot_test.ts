import assert from "node:assert/strict";
import { createRoseyClient } from "../../shared/client/mod.ts";
import { rows, startRosey } from "../_helpers.ts";
import { runDemoBot } from "./bot.ts";

Deno.test("the example bot runs a channel through the client: users, chat, counts, status, outbound queue", async () => {
  await using t = await startRosey();
  const client = createRoseyClient({ nc: t.nc });
  const result = await runDemoBot({ client, seconds: 2, tickMs: 20, pollMs: 200 });
  assert.ok(result.joins > 0 && result.lines > 0 && result.polls > 0);
  assert.equal(result.stats.total_users_seen, (await rows(t, "SELECT count(*) AS n FROM user_stats"))[0].n);
  const [{ n: chat }] = await rows<{ n: number }>(t, "SELECT count(*) AS n FROM recent_chat");
  assert.equal(chat, result.lines);
  const [{ n: handled }] = await rows<{ n: number }>(
    t,
    "SELECT count(*) AS n FROM outbound_messages WHERE sent = 1 OR retry_count > 0",
  );
  assert.ok(handled >= result.sent, "every message marked sent is stored so");
  assert.equal((await rows(t, "SELECT count(*) AS n FROM dead_letters"))[0].n, 0);
  assert.equal((await client.statusGet()).bot_connected, 0);
});
