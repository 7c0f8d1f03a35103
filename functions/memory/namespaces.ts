import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";
import { fitItems } from "../../shared/function/fit_items.ts";
import { LIVE, NamespacePrefix, underPrefix } from "./_item.ts";

export default defineRequest({
  description: "The namespace paths that hold memories, sorted, under a prefix and cut to max_depth labels",
  input: z.object({
    prefix: NamespacePrefix.default([]).describe("Only paths starting with these labels"),
    max_depth: z.number().int().min(1).max(10).optional().describe("Paths cut to this many labels (and merged)"),
    limit: z.number().int().min(1).max(1000).default(100),
    offset: z.number().int().min(0).default(0),
  }),
  readOnly: true,
  output: z.object({ namespaces: z.array(z.array(z.string())) }),
  async handle(input, ctx) {
    const prefix = underPrefix(input.prefix);
    const rows = await ctx.db.query<{ namespace: string }>(
      `SELECT DISTINCT i.namespace FROM memory_items i WHERE ${prefix.sql} AND ${LIVE} ORDER BY i.namespace`,
      [...prefix.args, ctx.receivedAt],
    );
    const seen = new Set<string>();
    const namespaces: string[][] = [];
    for (const { namespace } of rows) {
      const path = (JSON.parse(namespace) as string[]).slice(0, input.max_depth);
      const key = JSON.stringify(path);
      if (seen.has(key)) continue;
      seen.add(key);
      namespaces.push(path);
    }
    namespaces.sort((a, b) => compareLabels(a, b));
    return { namespaces: fitItems(namespaces.slice(input.offset, input.offset + input.limit), ctx.replyBytes).kept };
  },
});

/** Label by label, a shorter path before the longer ones it starts. */
function compareLabels(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}
