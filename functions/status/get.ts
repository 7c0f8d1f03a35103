import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";
import { STATUS_COLUMNS, StatusFields } from "./_fields.ts";

const StatusRow = StatusFields.extend({
  bot_afk: z.number().nullable(),
  bot_connected: z.number().nullable(),
  last_updated: z.number().nullable(),
});

export default defineRequest({
  description: "The bot's current status (every field null before the first update)",
  input: z.object({}),
  readOnly: true,
  output: StatusRow,
  async handle(_input, ctx) {
    const [row] = await ctx.db.query<Record<string, string | number | null>>(
      `SELECT ${STATUS_COLUMNS.join(", ")}, last_updated FROM current_status WHERE id = 1`,
    );
    const status = Object.fromEntries([...STATUS_COLUMNS, "last_updated"].map((c) => [c, row?.[c] ?? null]));
    return status as z.input<typeof StatusRow>;
  },
});
