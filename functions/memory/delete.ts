import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";
import { Key, Namespace, namespaceText } from "./_item.ts";

export default defineRequest({
  description: "Delete a memory by namespace path and key (its embedding and full-text terms go with it)",
  input: z.object({ namespace: Namespace, key: Key }),
  output: z.object({ deleted: z.boolean().describe("false when there was none, or it had expired") }),
  handle(input, ctx) {
    return ctx.write(async (tx) => {
      const [row] = await tx.query<{ expires_at: number | null }>(
        "DELETE FROM memory_items WHERE namespace = ? AND key = ? RETURNING expires_at",
        [namespaceText(input.namespace), input.key],
      );
      return { deleted: row !== undefined && (row.expires_at === null || row.expires_at > ctx.receivedAt) };
    });
  },
});
