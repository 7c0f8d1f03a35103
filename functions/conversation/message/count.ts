import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { ConversationId, requireConversation, Role } from "../_model.ts";

export default defineRequest({
  description: "How many messages a conversation has, optionally of one role",
  input: z.object({ conversation_id: ConversationId, role: Role.optional() }),
  readOnly: true,
  output: z.object({ count: z.number() }),
  async handle(input, ctx) {
    await requireConversation(ctx.db, input.conversation_id);
    const [{ count }] = await ctx.db.query<{ count: number }>(
      "SELECT count(*) AS count FROM conversation_messages WHERE conversation_id = ?1 AND (?2 IS NULL OR role = ?2)",
      [input.conversation_id, input.role ?? null],
    );
    return { count };
  },
});
