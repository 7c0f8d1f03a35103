import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";

export const ChatMessage = z.object({
  id: z.number(),
  timestamp: z.number(),
  username: z.string(),
  message: z.string(),
});

export default defineRequest({
  description: "The newest `limit` chat messages, oldest first",
  input: z.object({ limit: z.number().int().min(1).max(1000).default(50) }),
  readOnly: true,
  output: z.array(ChatMessage),
  // Cut to the server's max_payload, the newest messages stay, as `limit` keeps the newest.
  cut: { keep: "last" },
  handle(input, ctx) {
    return ctx.db.query(
      `SELECT id, timestamp, username, message FROM (
         SELECT id, timestamp, username, message FROM recent_chat ORDER BY timestamp DESC, id DESC LIMIT ?
       ) ORDER BY timestamp, id`,
      [input.limit],
    );
  },
});
