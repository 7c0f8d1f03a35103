import assert from "node:assert/strict";
import { ask, now, rows, startRosey } from "../_helpers.ts";

Deno.test("rosey.db.admin.maintenance deletes exactly what has outlived its retention", async () => {
  await using t = await startRosey();
  const t0 = now();
  const h = 3600, d = 24 * h;
  await t.service.write(async (tx) => {
    for (const age of [150 * h + 60, 150 * h - 60]) {
      await tx.run("INSERT INTO recent_chat (timestamp, username, message) VALUES (?, 'u', 'm')", [t0 - age]);
    }
    for (const age of [30 * d + 60, 30 * d - 60]) {
      await tx.run("INSERT INTO user_count_history (timestamp, chat_users, connected_users) VALUES (?, 1, 1)", [
        t0 - age,
      ]);
      await tx.run(
        "INSERT INTO dead_letters (subject, payload, error_code, error, received_at) VALUES ('s', x'00', 'c', 'e', ?)",
        [t0 - age],
      );
    }
    for (const [age, sent] of [[7 * d + 60, 1], [7 * d - 60, 1], [30 * d, 0]]) {
      await tx.run("INSERT INTO outbound_messages (timestamp, message, sent, sent_timestamp) VALUES (?, 'm', ?, ?)", [
        t0 - age,
        sent,
        sent ? t0 - age : null,
      ]);
    }
    for (const [i, age, revoked] of [[1, 90 * d + 60, 1], [2, 90 * d - 60, 1], [3, 400 * d, 0]]) {
      await tx.run("INSERT INTO api_tokens (token, created_at, revoked, revoked_at) VALUES (?, ?, ?, ?)", [
        `hash${i}`,
        t0 - 400 * d,
        revoked,
        revoked ? t0 - age : null,
      ]);
    }
  });
  const result = await ask<{ deleted: Record<string, number>; took_ms: number }>(t, "admin.maintenance", {});
  assert.deepEqual(result.deleted, {
    recent_chat: 1,
    user_count_history: 1,
    outbound_messages: 1,
    api_tokens: 1,
    dead_letters: 1,
  });
  assert.ok(result.took_ms >= 0);
  const left = await rows<{ n: number }>(
    t,
    `SELECT (SELECT count(*) FROM recent_chat) + (SELECT count(*) FROM user_count_history) + (SELECT count(*) FROM dead_letters)
      + (SELECT count(*) FROM outbound_messages) + (SELECT count(*) FROM api_tokens) AS n`,
  );
  assert.equal(left[0].n, 1 + 1 + 1 + 2 + 2);
  const again = await ask<{ deleted: Record<string, number> }>(t, "admin.maintenance", { vacuum: true });
  assert.deepEqual(Object.values(again.deleted), [0, 0, 0, 0, 0]);
});

Deno.test("rosey.db.admin.maintenance honours configured retention", async () => {
  await using t = await startRosey({ RETENTION: "recent_chat=1h" });
  await t.service.write((tx) =>
    tx.run("INSERT INTO recent_chat (timestamp, username, message) VALUES (?, 'u', 'old'), (?, 'u', 'new')", [
      now() - 7200,
      now(),
    ])
  );
  const result = await ask<{ deleted: { recent_chat: number } }>(t, "admin.maintenance");
  assert.equal(result.deleted.recent_chat, 1);
});
