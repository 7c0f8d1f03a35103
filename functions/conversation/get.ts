import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";
import { Conversation, ConversationId, requireConversation } from "./_model.ts";

export default defineRequest({
  description: "One conversation (404 when unknown or deleted)",
  input: z.object({ id: ConversationId }),
  readOnly: true,
  output: Conversation,
  handle: (input, ctx) => requireConversation(ctx.db, input.id),
});
