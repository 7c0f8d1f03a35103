import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";
import { loadMigrations } from "../../shared/storage/migrate.ts";

/** Tables every instance needs; their absence means a broken or foreign database. */
const REQUIRED_TABLES = [
  "schema_migrations",
  "dead_letters",
  "user_stats",
  "recent_chat",
  "conversations",
  "reminder_events",
];

export default defineRequest({
  description: "Database health: reachable, tables present, migrations applied, file size",
  input: z.object({}),
  output: z.object({
    status: z.enum(["ok", "degraded", "error"]),
    database_available: z.boolean(),
    tables_exist: z.boolean(),
    migrations: z.object({ applied: z.number(), known: z.number(), pending: z.array(z.number()) }),
    size_bytes: z.number(),
    errors: z.array(z.string()),
  }),
  async handle(_input, ctx) {
    const errors: string[] = [];
    let available = true, tablesExist = false, size = 0;
    let applied: number[] = [];
    const known = (await loadMigrations()).map((m) => m.version);
    try {
      await ctx.db.query("SELECT 1");
      const tables = new Set(
        (await ctx.db.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) =>
          r.name
        ),
      );
      const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
      tablesExist = missing.length === 0;
      if (!tablesExist) errors.push(`missing tables: ${missing.join(", ")}`);
      if (tables.has("schema_migrations")) {
        applied = (await ctx.db.query<{ version: number }>("SELECT version FROM schema_migrations")).map((r) =>
          r.version
        );
      }
      const [{ bytes }] = await ctx.db.query<{ bytes: number }>(
        "SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()",
      );
      size = bytes;
    } catch (error) {
      available = false;
      errors.push(`database: ${(error as Error).message}`);
    }
    const pending = known.filter((v) => !applied.includes(v));
    if (pending.length > 0) errors.push(`pending migrations: ${pending.join(", ")}`);
    const status: "ok" | "degraded" | "error" = !available ? "error" : errors.length > 0 ? "degraded" : "ok";
    return {
      status,
      database_available: available,
      tables_exist: tablesExist,
      migrations: { applied: applied.length, known: known.length, pending },
      size_bytes: size,
      errors,
    };
  },
});
