/** The plugin a `[plugin]` subject names (`rosey.db.kv.quote-db.get`), and its own database. */
import type { RequestContext, Store } from "../shared/function/define.ts";
import { ServiceError } from "../shared/function/errors.ts";
import { PLUGIN_NAME } from "../shared/function/plugin_name.ts";

/** The database of the plugin named by the subject; a token that is no plugin name is an INVALID_SUBJECT. */
export function subjectPlugin(ctx: RequestContext): Promise<Store> {
  const plugin = ctx.params.plugin;
  if (!PLUGIN_NAME.test(plugin)) {
    throw new ServiceError(
      400,
      `The subject's plugin token "${plugin}" is not a plugin name (${PLUGIN_NAME.source})`,
      [],
      "INVALID_SUBJECT",
    );
  }
  return ctx.plugin(plugin);
}
