/** Status changes of a conversation: archive, unarchive, close, delete. */
import { z } from "zod";
import { ServiceError } from "../../shared/function/errors.ts";
import { defineRequest } from "../../shared/function/define.ts";
import {
  Conversation,
  ConversationId,
  nextActivity,
  nowSeconds,
  requireConversation,
  Status,
  writeConversation,
} from "./_model.ts";

type StatusName = z.infer<typeof Status>;

/** A request function moving a conversation from one of `from` to `to`; anything else is a 409. */
export function defineTransition(description: string, from: StatusName[], to: StatusName) {
  return defineRequest({
    description,
    input: z.object({ id: ConversationId }),
    output: Conversation,
    handle(input, ctx) {
      return writeConversation(ctx, async (tx) => {
        const conversation = await requireConversation(tx, input.id);
        if (!from.includes(conversation.status)) {
          throw new ServiceError(409, `Conversation "${input.id}" is ${conversation.status}: cannot become ${to}`);
        }
        const now = nowSeconds();
        const archivedAt = to === "ARCHIVED" ? now : to === "ACTIVE" ? null : conversation.archived_at;
        await tx.run(
          "UPDATE conversations SET status = ?, updated_at = ?, archived_at = ?, activity = ? WHERE id = ?",
          [to, now, archivedAt, await nextActivity(tx), input.id],
        );
        return { ...conversation, status: to, updated_at: now, archived_at: archivedAt };
      });
    },
  });
}
