import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { pluginTableNames } from "../../_plugin.ts";

const Plugin = z.object({
  plugin: z.string(),
  size_bytes: z.number().int(),
  /** Live keys (expired ones not counted). */
  keys: z.number().int(),
  tables: z.array(z.object({ name: z.string(), rows: z.number().int() })),
});

export default defineRequest({
  description:
    "The plugins that have a database (with remote ones, those opened since start-up): size, key count, and each table's row count",
  readOnly: true,
  input: z.object({}),
  output: z.object({ plugins: z.array(Plugin) }),
  async handle(_input, ctx) {
    const plugins = [];
    for (const plugin of await ctx.plugins.list()) {
      const { db } = await ctx.plugin(plugin);
      const [{ size }] = await db.query<{ size: number }>(
        "SELECT page_count * page_size AS size FROM pragma_page_count(), pragma_page_size()",
      );
      const [{ keys }] = await db.query<{ keys: number }>(
        "SELECT count(*) AS keys FROM _rosey_kv WHERE expires_at IS NULL OR expires_at > ?",
        [Date.now()],
      );
      const names = await pluginTableNames(db);
      const tables = [];
      for (const name of names) {
        // The name comes from the database's own schema, quoted.
        const [{ rows }] = await db.query<{ rows: number }>(
          `SELECT count(*) AS rows FROM "${name.replaceAll('"', '""')}"`,
        );
        tables.push({ name, rows });
      }
      plugins.push({ plugin, size_bytes: size, keys, tables });
    }
    return { plugins };
  },
});
