/** The key/value operations, each served as `kv.<op>` and `kv.<plugin>.<op>` (./_define.ts). */
import { z } from "zod";
import { text } from "../../shared/function/text.ts";
import { kvOperation } from "./_define.ts";
import {
  deleteKey,
  getKey,
  getKeys,
  incrementKey,
  Key,
  KEYS_PER_REPLY,
  listKeys,
  Revision,
  setKey,
  TtlSeconds,
  Value,
} from "./_store.ts";

const Expiry = z.string().nullable().describe("ISO 8601 time the key expires, null if never");

export const SET = kvOperation({
  description: "Sets a key to any JSON value (64 KiB at most), optionally expiring, optionally only at a revision",
  input: {
    key: Key,
    value: Value,
    ttl_seconds: TtlSeconds.nullable().optional(),
    /** Rosey's plugins' alias of ttl_seconds. */
    ttl: TtlSeconds.nullable().optional(),
    /** Compare-and-set: the `revision` a get returned; a key set or deleted since is a CONFLICT. */
    if_revision: Revision.optional(),
  },
  refine(input, ctx) {
    if (input.ttl_seconds != null && input.ttl != null && input.ttl !== input.ttl_seconds) {
      ctx.addIssue({ code: "custom", path: ["ttl"], message: "differs from ttl_seconds: give one of them" });
    }
  },
  data: z.object({ revision: Revision }),
  async run(store, input, room) {
    const ttlSeconds = input.ttl_seconds ?? input.ttl ?? undefined;
    const options = { ttlSeconds, ifRevision: input.if_revision, replyBytes: room.readBack };
    return { revision: await setKey(store, input.key, input.value, options) };
  },
});

export const GET = kvOperation({
  description: "A key's value, revision and expiry; exists:false when it is missing or expired",
  input: { key: Key },
  data: z.object({
    exists: z.boolean(),
    value: Value.optional(),
    revision: Revision.optional(),
    expires_at: Expiry.optional(),
  }),
  readOnly: true,
  absent: { exists: false },
  run: (store, input) => getKey(store, input.key),
});

export const DELETE = kvOperation({
  description: "Deletes a key; deleted:false when it was missing or expired",
  input: { key: Key },
  data: z.object({ deleted: z.boolean() }),
  absent: { deleted: false },
  async run(store, input) {
    return { deleted: await deleteKey(store, input.key) };
  },
});

export const LIST = kvOperation({
  description: `Live keys in lexicographic order, optionally those starting with a prefix, ${KEYS_PER_REPLY} at most`,
  input: {
    prefix: text().max(256).optional(),
    /** A limit above the reply's bound is capped, with truncated:true, never refused. */
    limit: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(KEYS_PER_REPLY),
    /** The last key of the previous page. */
    after: Key.optional(),
  },
  data: z.object({ keys: z.array(z.string()), count: z.number().int(), truncated: z.boolean() }),
  readOnly: true,
  absent: { keys: [], count: 0, truncated: false },
  run: (store, input, room) => listKeys(store, { ...input, replyBytes: room.reply }),
});

export const INCR = kvOperation({
  description: "Adds to the integer at a key atomically (a missing key counts as 0), keeping its expiry",
  input: { key: Key, by: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).default(1) },
  data: z.object({ value: z.number().int(), revision: Revision }),
  run: (store, input) => incrementKey(store, input.key, input.by),
});

export const GET_MANY = kvOperation({
  description:
    `The values of up to ${KEYS_PER_REPLY} keys at once, by key, for those present; when they do not all fit the reply, truncated and next, the index in keys to ask again from`,
  input: { keys: z.array(Key).min(1).max(KEYS_PER_REPLY) },
  data: z.object({
    values: z.record(z.string(), Value),
    truncated: z.boolean(),
    /** When the values did not all fit this reply (the server's max_payload): ask again with keys.slice(next). */
    next: z.number().int().optional(),
  }),
  readOnly: true,
  absent: { values: {}, truncated: false },
  run: (store, input, room) => getKeys(store, input.keys, room.reply),
});
