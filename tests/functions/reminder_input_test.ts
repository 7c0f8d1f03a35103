import assert from "node:assert/strict";
import { ask, request, rows, startRosey } from "../_helpers.ts";

Deno.test("rosey.db.reminder.guild.upsert refuses NUL in guild_id or name with a 400 naming the field and stores nothing", async () => {
  await using t = await startRosey();
  const name = await request(t.nc, "rosey.db.reminder.guild.upsert", { guild_id: "g1", name: "Gui\0ld" });
  assert.equal(name.errorCode, "400");
  assert.match(name.error!, /name: must not contain NUL \(U\+0000\)/);
  const id = await request(t.nc, "rosey.db.reminder.guild.upsert", { guild_id: "g1\0", name: "Guild" });
  assert.equal(id.errorCode, "400");
  assert.match(id.error!, /guild_id: must not contain NUL/);
  assert.deepEqual(await rows(t, "SELECT guild_id FROM reminder_guilds"), []);
});

Deno.test('rosey.db.reminder.guild: guild_id "g\\0" never reaches guild "g"', async () => {
  await using t = await startRosey();
  await ask(t, "reminder.guild.upsert", { guild_id: "g", name: "Real" });
  const upsert = await request(t.nc, "rosey.db.reminder.guild.upsert", { guild_id: "g\0", name: "Impostor" });
  assert.equal(upsert.errorCode, "400");
  const get = await request(t.nc, "rosey.db.reminder.guild.get", { guild_id: "g\0" });
  assert.equal(get.errorCode, "400");
  assert.equal((await ask<{ name: string }>(t, "reminder.guild.get", { guild_id: "g" })).name, "Real");
  const member = await request(t.nc, "rosey.db.reminder.member.upsert", { guild_id: "g", user_id: "u\u0007" });
  assert.match(member.error!, /user_id: must not contain the control character U\+0007/);
});
