import assert from "node:assert/strict";
import { request, startTestService } from "../../_helpers.ts";

Deno.test("$SRV.PING, INFO and STATS answer in all three forms with ADR-32 shapes", async () => {
  await using t = await startTestService();
  const id = t.service.id;
  for (const subject of ["$SRV.PING", "$SRV.PING.rosey-db", `$SRV.PING.rosey-db.${id}`]) {
    const { data } = await request(t.nc, subject);
    assert.deepEqual(data, {
      type: "io.nats.micro.v1.ping_response",
      name: "rosey-db",
      id,
      version: "0.1.0",
      metadata: {},
    });
  }
  const info = (await request(t.nc, `$SRV.INFO.rosey-db.${id}`)).data as {
    type: string;
    endpoints: { name: string; subject: string; queue_group: string }[];
  };
  assert.equal(info.type, "io.nats.micro.v1.info_response");
  assert.equal(info.endpoints.length, t.service.router.routes.length);
  assert.deepEqual(info.endpoints.find((e) => e.subject === "rosey.db.kv.*.get"), {
    name: "kv-any-get",
    subject: "rosey.db.kv.*.get",
    queue_group: "rosey-db",
    metadata: { kind: "request" },
  });
  for (const subject of ["$SRV.INFO", "$SRV.INFO.rosey-db"]) {
    assert.equal((await request(t.nc, subject)).data?.type, "io.nats.micro.v1.info_response");
  }
});

Deno.test("$SRV.STATS counts requests, errors and processing time in nanoseconds", async () => {
  await using t = await startTestService();
  await request(t.nc, "rosey.db.echo.get", { text: "a" });
  await request(t.nc, "rosey.db.echo.get", { text: "b" });
  await request(t.nc, "rosey.db.echo.get", { text: 3 });
  const stats = (await request(t.nc, "$SRV.STATS.rosey-db")).data as {
    type: string;
    started: string;
    endpoints: Record<string, unknown>[];
  };
  assert.equal(stats.type, "io.nats.micro.v1.stats_response");
  assert.ok(!Number.isNaN(Date.parse(stats.started)));
  const echo = stats.endpoints.find((e) => e.subject === "rosey.db.echo.get")!;
  assert.equal(echo.num_requests, 3);
  assert.equal(echo.num_errors, 1);
  assert.match(String(echo.last_error), /Invalid input/);
  assert.ok(Number.isInteger(echo.processing_time) && (echo.processing_time as number) > 0);
  assert.equal(echo.average_processing_time, Math.round((echo.processing_time as number) / 3));
});
