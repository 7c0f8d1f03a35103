/** The plugin a `[plugin]` subject names (`rosey.db.kv.quote-db.get`), and its own database. */
import type { RequestContext, Store } from "../shared/function/define.ts";
import type { Sql } from "../shared/function/sql.ts";
import { ServiceError } from "../shared/function/errors.ts";
import { PLUGIN_NAME } from "../shared/function/plugin_name.ts";

/** The database of the plugin named by the subject; a token that is no plugin name is an INVALID_SUBJECT. */
export function subjectPlugin(ctx: RequestContext): Promise<Store> {
  return ctx.plugin(subjectPluginName(ctx));
}

/** The same, only if the plugin has a database already (reads make none). */
export function existingSubjectPlugin(ctx: RequestContext): Promise<Store | undefined> {
  return ctx.existingPlugin(subjectPluginName(ctx));
}

/** The plugin the subject names; a token that is no plugin name is an INVALID_SUBJECT. */
export function subjectPluginName(ctx: RequestContext): string {
  const plugin = ctx.params.plugin;
  if (!PLUGIN_NAME.test(plugin)) {
    throw new ServiceError(
      400,
      `The subject's plugin token "${plugin}" is not a plugin name (${PLUGIN_NAME.source})`,
      [],
      "INVALID_SUBJECT",
    );
  }
  return plugin;
}

/** The names of a plugin database's own tables: neither the service's (`_rosey_`) nor SQLite's. */
export async function pluginTableNames(db: Sql): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE '\\_rosey\\_%' ESCAPE '\\'
       AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
  );
  return rows.map((row) => row.name);
}
