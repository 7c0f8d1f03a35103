import assert from "node:assert/strict";
import { loadConfig } from "../../../shared/config.ts";
import { silentLogger } from "../../../shared/log.ts";
import { freePort } from "../../../shared/nats/local_server.ts";
import { startService } from "../../../shared/service.ts";
import { FIXTURE_FUNCTIONS, http, startNats, startTestService, waitFor } from "../../_helpers.ts";

Deno.test("/health and /ready answer 200 when everything is up", async () => {
  await using t = await startTestService();
  assert.equal((await (await http(t.service, "/health")).json()).status, "ok");
  const ready = await http(t.service, "/ready");
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: "ready" });
});

Deno.test("/metrics is Prometheus text with rosey_db_ names and the standard process_ ones", async () => {
  await using t = await startTestService();
  const res = await http(t.service, "/metrics");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/plain; version=0.0.4/);
  const text = await res.text();
  for (const name of ["nats_connected", "nats_reconnects_total", "writer_queue_depth", "process_heap_used_bytes"]) {
    assert.match(text, new RegExp(`^# TYPE rosey_db_${name} `, "m"));
  }
  assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
  for (const name of ["resident_memory_bytes", "start_time_seconds", "open_fds", "max_fds"]) {
    assert.match(text, new RegExp(`^# TYPE process_${name} gauge$`, "m"));
  }
  const started = Number(/^process_start_time_seconds (\S+)$/m.exec(text)![1]);
  assert.ok(started <= Date.now() / 1000 && started > Date.now() / 1000 - 600, `start time ${started}`);
  assert.match(text, /^rosey_db_nats_connected\{connection="main"\} 1$/m);
  const names = text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/[{ ]/)[0]);
  assert.ok(names.every((n) => n.startsWith("rosey_db_") || n.startsWith("process_")), names.join(","));
});

Deno.test("METRICS_TOKEN: /metrics takes the Bearer scheme in any case and refuses a missing or wrong token", async () => {
  await using t = await startTestService({ env: { METRICS_TOKEN: "scrape-me" } });
  const status = async (authorization?: string) =>
    (await http(t.service, "/metrics", authorization ? { headers: { authorization } } : undefined)).status;
  assert.equal(await status(), 401);
  assert.equal(await status("Bearer wrong"), 401);
  assert.equal(await status("bearer wrong"), 401);
  assert.equal(await status("Basic scrape-me"), 401);
  assert.equal(await status("scrape-me"), 401);
  assert.equal(await status("Bearer scrape-me"), 200);
  assert.equal(await status("bearer scrape-me"), 200);
  assert.equal(await status("BEARER  scrape-me"), 200);
});

Deno.test("/functions lists each subject with the JSON Schemas of its input and output", async () => {
  await using t = await startTestService();
  const list = await (await http(t.service, "/functions")).json() as Record<string, unknown>[];
  const echo = list.find((f) => f.subject === "rosey.db.echo.get")!;
  assert.equal(echo.kind, "request");
  assert.equal(echo.description, "Replies with its input");
  const input = echo.input as { properties: Record<string, { type: string; maximum?: number }>; required: string[] };
  assert.equal(input.properties.text.type, "string");
  assert.equal(input.properties.n.maximum, 10);
  assert.deepEqual(input.required, ["text"]);
  assert.equal((echo.output as { type: string }).type, "object");
  assert.equal(echo.read_only, false, "echo.get does not declare readOnly");
  assert.equal(list.find((f) => f.subject === "rosey.db.note.count")!.read_only, true);
  const add = list.find((f) => f.subject === "rosey.db.note.add")!;
  assert.equal(add.kind, "event");
  assert.equal(add.output, undefined);
});

Deno.test("/ready is 503 with reasons while an unreachable remote database keeps migrations pending", async () => {
  await using nats = await startNats();
  const config = loadConfig({
    NATS_URL: nats.url,
    DATABASE_URL: `http://127.0.0.3:${freePort()}`,
    HTTP_PORT: "0",
  });
  const service = await startService(config, silentLogger, { functionsDir: FIXTURE_FUNCTIONS });
  const reasons = await waitFor(async () => {
    const res = await http(service, "/ready");
    const body = await res.json() as { reasons?: string[] };
    return res.status === 503 &&
        body.reasons?.some((r) => r.startsWith("migrations: ") && r !== "migrations: not applied yet")
      ? body.reasons
      : undefined;
  });
  // Nothing listens on 127.0.0.3 (test servers bind 127.0.0.1): the client's own words are "fetch failed".
  assert.ok(reasons.includes("database: fetch failed"), reasons.join(" | "));
  assert.equal((await http(service, "/health")).status, 200);
  await service.stop();
});

Deno.test("/ready names an embedded replica whose primary is unreachable", async () => {
  await using nats = await startNats();
  const dir = await Deno.makeTempDir();
  const config = loadConfig({
    NATS_URL: nats.url,
    DATABASE_URL: `file:${dir}/replica.db`,
    DATABASE_SYNC_URL: `http://127.0.0.3:${freePort()}`,
    HTTP_PORT: "0",
  });
  const service = await startService(config, silentLogger, { functionsDir: FIXTURE_FUNCTIONS });
  const reasons = await waitFor(async () => {
    const body = await (await http(service, "/ready")).json() as { reasons?: string[] };
    return body.reasons?.find((r) => r.startsWith("database: sync error"));
  });
  assert.match(reasons, /^database: sync error: .*Connection refused/);
  await service.stop();
  await Deno.remove(dir, { recursive: true });
});
