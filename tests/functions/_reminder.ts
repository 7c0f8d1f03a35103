/** A guild and a weekly reminder event in it, for tests that react to or log against one; its id. */
import { ask, type TestService } from "../_helpers.ts";

export async function reminderEvent(
  t: TestService,
  guild: Record<string, string> = { name: "Guild" },
): Promise<number> {
  await ask(t, "reminder.guild.upsert", { guild_id: "g1", ...guild });
  const event = await ask<{ id: number }>(t, "reminder.event.create", {
    message_id: "m1",
    channel_id: "c1",
    guild_id: "g1",
    title: "Weekly",
    interval_minutes: 60,
  });
  return event.id;
}
