/**
 * What a fuzz campaign starts from: rows valid inputs can meet, so that they reach past "not found",
 * and live conversation ids in place of the stand-ins inputs are generated with.
 */
import { ask, type TestService } from "../_helpers.ts";
import type { Payload } from "./_hostile.ts";
import type { Pools } from "./_valid.ts";

/** Plugin names the fuzz sends on: the first two have migrations in tests/fixtures/plugins. */
export const PLUGINS = ["quote-db", "countdown", "trivia", "llm_memory"];

/** The fields of each plugin's `notes` table. */
const NOTE_FIELDS = [{ name: "text", type: "text" }, { name: "n", type: "integer" }];

/**
 * Rows valid inputs can meet: a guild, reminder events on it, conversations with messages, outbound
 * messages, a table of rows for each plugin; and the event subjects, which dead-letter filters name.
 */
export async function seed(t: TestService, eventSubjects: string[], conversations: string[]): Promise<Pools> {
  const names = [
    ...["alice", "bob", "g1", "m1", "m2", "c1", "✅", "request-1", "source-1", "1", "7", "notes", "text", "n"],
    ...eventSubjects,
  ];
  await ask(t, "reminder.guild.upsert", { guild_id: "g1", name: "Guild" });
  const ids: number[] = [1, 2, 3];
  for (const message_id of ["m1", "m2"]) {
    const event = await ask<{ id: number }>(t, "reminder.event.create", {
      message_id,
      channel_id: "c1",
      guild_id: "g1",
      title: "Weekly",
      interval_minutes: 60,
      required_reactions: ["✅"],
    });
    ids.push(event.id);
  }
  for (const user_id of ["alice", "bob"]) {
    const conversation = await ask<{ id: string }>(t, "conversation.create", { user_id, title: "Chat" });
    conversations.push(conversation.id);
    await ask(t, "conversation.message.save", {
      conversation_id: conversation.id,
      role: "user",
      content: "hello",
      metadata: { request_id: "request-1", source: "source-1" },
    });
  }
  for (const plugin of PLUGINS) {
    await ask(t, `row.${plugin}.schema.register`, { table: "notes", schema: { fields: NOTE_FIELDS } });
    await ask(t, `row.${plugin}.insert`, { table: "notes", data: { text: "hello", n: 1 } });
  }
  for (const message of ["hi", "there"]) {
    ids.push((await ask<{ id: number }>(t, "messages.outbound.enqueue", { message })).id);
  }
  return { uuids: LIVE_CONVERSATIONS, ids: [...new Set(ids)], names };
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Stand-ins for conversation ids, valid UUIDs that each input is generated with; replaced when it is
 * sent by one of the conversations that exist by then (earlier inputs may have created or deleted some).
 */
const LIVE_CONVERSATIONS = Array.from(
  { length: 8 },
  (_, n) => `ffffffff-ffff-4fff-bfff-${String(n).padStart(12, "0")}`,
);
const STAND_IN = /ffffffff-ffff-4fff-bfff-0000000000(\d\d)/g;

/** `payload` with each stand-in replaced by a conversation of `conversations`. */
export function withLiveIds(payload: Payload, conversations: string[]): Payload {
  const text = decoder.decode(payload.bytes);
  // Only payloads that hold a stand-in are decoded and encoded again: the others keep their bytes, invalid UTF-8 included.
  if (!text.includes("ffffffff-ffff-4fff-bfff-")) return payload;
  const live = text.replace(STAND_IN, (_, n) => conversations[Number(n) % conversations.length]);
  return { ...payload, bytes: encoder.encode(live) };
}
