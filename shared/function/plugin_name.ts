/** Plugin names (README "Plugin storage"): a subject token, a file name and a URL part, so nothing else is one. */
import { z } from "zod";

/** A plugin name: `quote-db` is one; dots, slashes and `..` never are. */
export const PLUGIN_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/** A plugin name in a payload (`plugin_name`). */
export function pluginName(): z.ZodString {
  return z.string().regex(PLUGIN_NAME, `must be a plugin name: ${PLUGIN_NAME.source}`);
}
