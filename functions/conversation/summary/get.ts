import { z } from "zod";
import { ServiceError } from "../../../shared/function/errors.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { ConversationId, requireConversation } from "../_model.ts";
import { newestSummary, Summary } from "./_summary.ts";

export default defineRequest({
  description: "The newest summary of a conversation (404 when it has none)",
  input: z.object({ conversation_id: ConversationId }),
  readOnly: true,
  output: Summary,
  async handle(input, ctx) {
    await requireConversation(ctx.db, input.conversation_id);
    const summary = await newestSummary(ctx.db, input.conversation_id);
    if (!summary) throw new ServiceError(404, `Conversation "${input.conversation_id}" has no summary`);
    const { through_seq: _, ...shown } = summary;
    return shown;
  },
});
