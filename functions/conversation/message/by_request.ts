import { z } from "zod";
import { id } from "../../../shared/function/text.ts";
import { defineRequest } from "../../../shared/function/define.ts";
import { Message, MESSAGE_COLUMNS, messageOf } from "../_model.ts";

export default defineRequest({
  description:
    "Every message carrying metadata.request_id, across conversations, in order: one request traced end to end",
  input: z.object({ request_id: id().min(1), limit: z.number().int().min(1).max(1000).default(100) }),
  readOnly: true,
  output: z.array(Message),
  async handle(input, ctx) {
    const rows = await ctx.db.query(
      `SELECT ${MESSAGE_COLUMNS} FROM conversation_messages WHERE request_id = ? ORDER BY seq LIMIT ?`,
      [input.request_id, input.limit],
    );
    return rows.map(messageOf);
  },
});
