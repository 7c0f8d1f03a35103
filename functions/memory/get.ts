import { z } from "zod";
import { ServiceError } from "../../shared/function/errors.ts";
import { defineRequest } from "../../shared/function/define.ts";
import { Item, ITEM_COLUMNS, itemOf, type ItemRow, Key, LIVE, Namespace, namespaceText, RefreshTtl } from "./_item.ts";

export default defineRequest({
  description: "A memory by namespace path and key (404 when there is none or it expired)",
  input: z.object({ namespace: Namespace, key: Key, refresh_ttl: RefreshTtl }),
  output: Item,
  async handle(input, ctx) {
    const now = ctx.receivedAt;
    const read = (sql: typeof ctx.db) =>
      sql.first<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM memory_items i WHERE i.namespace = ? AND i.key = ? AND ${LIVE}`, [
        namespaceText(input.namespace),
        input.key,
        now,
      ]);
    const row = input.refresh_ttl
      ? await ctx.write(async (tx) => {
        await tx.run(
          "UPDATE memory_items SET expires_at = ? + ttl_seconds WHERE namespace = ? AND key = ? AND expires_at > ?",
          [
            now,
            namespaceText(input.namespace),
            input.key,
            now,
          ],
        );
        return read(tx);
      })
      : await read(ctx.db);
    if (!row) throw new ServiceError(404, `No memory "${input.key}" in ${JSON.stringify(input.namespace)}`);
    return itemOf(row);
  },
});
