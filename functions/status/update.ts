import { z } from "zod";
import { defineEvent } from "../../shared/function/define.ts";
import { eventTime, Timestamp } from "../_event.ts";
import { CREDIT_SESSION } from "../user/_session.ts";
import { STATUS_COLUMNS, StatusFields } from "./_fields.ts";

const StatusData = z.object({ status_data: StatusFields.partial(), timestamp: Timestamp });
const Connection = z.object({
  status: z.enum(["connected", "disconnected"]),
  details: z.unknown().optional(),
  timestamp: Timestamp,
});

export default defineEvent({
  description: "Bot status: update known current_status fields, or record (dis)connection and close open sessions",
  input: z.union([StatusData, Connection]),
  async handle(input, ctx) {
    const t = eventTime(input, ctx);
    if ("status_data" in input) {
      // Only the 11 known columns, by allow-list; unknown keys were stripped by the schema.
      const data = input.status_data as Record<string, unknown>;
      const columns = STATUS_COLUMNS.filter((column) => data[column] !== undefined);
      if (columns.length === 0) return;
      await ctx.db.run("INSERT OR IGNORE INTO current_status (id) VALUES (1)");
      await ctx.db.run(
        `UPDATE current_status SET ${columns.map((c) => `${c} = ?`).join(", ")}, last_updated = ? WHERE id = 1`,
        [...columns.map((c) => data[c] as string | number | null), t],
      );
      return;
    }
    await ctx.db.run("INSERT OR IGNORE INTO current_status (id) VALUES (1)");
    await ctx.db.run("UPDATE current_status SET bot_connected = ?, last_updated = ? WHERE id = 1", [
      input.status === "connected" ? 1 : 0,
      t,
    ]);
    if (input.status === "disconnected") await ctx.db.run(CREDIT_SESSION, [t]);
  },
});
