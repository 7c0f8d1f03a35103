import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { ServiceError } from "../../../shared/function/errors.ts";
import { pluginName } from "../../../shared/function/plugin_name.ts";

export default defineRequest({
  description: "Deletes a plugin's database, every key, row and migration record in it; confirm must repeat its name",
  input: z.object({ plugin: pluginName(), confirm: z.string().max(64) }),
  output: z.object({ plugin: z.string(), dropped: z.boolean() }),
  async handle({ plugin, confirm }, ctx) {
    if (confirm !== plugin) {
      throw new ServiceError(400, `confirm: must be "${plugin}", the plugin's name, to drop its data`, [{
        path: ["confirm"],
        message: "must repeat the plugin's name",
      }]);
    }
    ctx.log.warn("Dropping a plugin's database", { plugin });
    return { plugin, dropped: await ctx.plugins.drop(plugin) };
  },
});
