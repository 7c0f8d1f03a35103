import { z } from "zod";
import { text } from "../../shared/function/text.ts";
import { ServiceError } from "../../shared/function/errors.ts";
import { defineRequest } from "../../shared/function/define.ts";
import {
  Conversation,
  CONVERSATION_COLUMNS,
  ConversationId,
  conversationOf,
  METADATA_MAX_BYTES,
  metadataInput,
  nextActivity,
  nowSeconds,
  requireConversation,
  writeConversation,
} from "./_model.ts";

export default defineRequest({
  description:
    "Change a conversation's title (null clears it) or merge into its metadata (a key set to null is removed)",
  input: z.object({
    conversation_id: ConversationId,
    title: text().max(500).nullable().optional(),
    /** Merged as a JSON merge patch (RFC 7396): nested objects merge too, null removes a key. */
    metadata: metadataInput(z.unknown()).optional(),
  }),
  output: Conversation,
  handle(input, ctx) {
    return writeConversation(ctx, async (tx) => {
      const conversation = await requireConversation(tx, input.conversation_id);
      const now = nowSeconds();
      const row = await tx.first(
        `UPDATE conversations SET title = CASE WHEN ?1 THEN ?2 ELSE title END,
            metadata = CASE WHEN ?3 IS NULL THEN metadata ELSE json_patch(metadata, ?3) END,
            updated_at = ?4, activity = ?5
          WHERE id = ?6 RETURNING ${CONVERSATION_COLUMNS}, length(CAST(metadata AS BLOB)) AS metadata_bytes`,
        [
          input.title !== undefined ? 1 : 0,
          input.title ?? null,
          input.metadata ? JSON.stringify(input.metadata) : null,
          now,
          await nextActivity(tx),
          conversation.id,
        ],
      );
      // Merged, the metadata may outgrow what one patch could: refused, the transaction rolls back.
      if ((row!.metadata_bytes as number) > METADATA_MAX_BYTES) {
        throw new ServiceError(400, `metadata: must take at most ${METADATA_MAX_BYTES} bytes as JSON once merged`);
      }
      return conversationOf(row!);
    });
  },
});
