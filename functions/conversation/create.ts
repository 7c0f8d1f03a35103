import { z } from "zod";
import { id, text } from "../../shared/function/text.ts";
import { defineRequest } from "../../shared/function/define.ts";
import { Conversation, insertConversation, metadataInput, nowSeconds, writeConversation } from "./_model.ts";

export default defineRequest({
  description: "Start a conversation for a user",
  input: z.object({
    user_id: id().trim().min(1, "must not be empty").max(200),
    title: text().max(500).optional(),
    metadata: metadataInput(z.unknown()).default({}),
  }),
  output: Conversation,
  handle(input, ctx) {
    const now = nowSeconds();
    const conversation = {
      id: crypto.randomUUID(),
      user_id: input.user_id,
      title: input.title ?? null,
      status: "ACTIVE" as const,
      message_count: 0,
      created_at: now,
      updated_at: now,
      last_message_at: null,
      archived_at: null,
      metadata: input.metadata,
      forked_from: null,
    };
    return writeConversation(ctx, async (tx) => {
      await insertConversation(tx, conversation);
      return conversation;
    });
  },
});
