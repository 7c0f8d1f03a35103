import { z } from "zod";
import { defineEvent } from "../../shared/function/define.ts";
import { eventTime, Timestamp, Username } from "../_event.ts";
import { CREDIT_SESSION } from "./_session.ts";

export default defineEvent({
  description: "A user left: credit the open session's time and close it; nothing when no session is open",
  input: z.object({ username: Username, timestamp: Timestamp }),
  async handle(input, ctx) {
    await ctx.db.run(`${CREDIT_SESSION} AND username = ?2`, [eventTime(input, ctx), input.username]);
  },
});
