import assert from "node:assert/strict";
import { request, startTestService } from "../../_helpers.ts";

const FIXTURES = "tests/fixtures/reply_style";

Deno.test("a function with replyStyle rosey gets every error, the router's own included, as {success:false, error} with ADR-32 headers", async () => {
  await using t = await startTestService({ env: { MAX_PAYLOAD_BYTES: "1024" }, tuning: { functionsDir: FIXTURES } });
  const ask = (body: unknown) => request(t.nc, "rosey.db.kv.get", body);
  const ok = await ask({ key: "city" });
  assert.deepEqual(ok, { data: { success: true, data: { key: "city" } }, errorCode: undefined, error: undefined });
  const cases: [unknown, string, string, RegExp][] = [
    [new TextEncoder().encode("{not json"), "400", "INVALID_JSON", /^Invalid JSON: /],
    [{}, "400", "MISSING_FIELD", /^Invalid input: key: missing/],
    [{ key: 5 }, "400", "VALIDATION_ERROR", /^Invalid input: key: expected string/],
    [{ key: "x", limit: 1e18 }, "400", "VALIDATION_ERROR", /limit: integer beyond/],
    [{ key: "x".repeat(2000) }, "413", "VALUE_TOO_LARGE", /^Payload too large: \d+ bytes \(limit 1024\)$/],
    [{ key: "missing" }, "404", "NOT_FOUND", /^No key "missing"$/],
    [{ key: "locked" }, "409", "LOCK_TIMEOUT", /^Another migration holds the lock$/],
    [{ key: "boom" }, "500", "INTERNAL_ERROR", /^Internal error$/],
  ];
  for (const [body, status, code, message] of cases) {
    const reply = await ask(body);
    const label = `${code} for ${body instanceof Uint8Array ? "raw bytes" : JSON.stringify(body).slice(0, 40)}`;
    assert.equal(reply.errorCode, status, label);
    assert.match(reply.error ?? "", message, label);
    const { success, error } = reply.data as { success: boolean; error: { code: string; message: string } };
    assert.deepEqual({ success, code: error.code, keys: Object.keys(error) }, {
      success: false,
      code,
      keys: ["code", "message"],
    }, label);
    assert.match(error.message, message, label);
  }
});
