/**
 * The two families of key/value subjects, built from one operation each (./_operations.ts):
 * `kv.<op>` names the plugin in the payload (`plugin_name`) and answers `{success, data}`;
 * `kv.<plugin>.<op>` names it in the subject and answers the same fields at the top level as well as
 * under `data` (quote-db reads `exists` and `value` at the top).
 */
import { z } from "zod";
import { defineRequest, type RequestContext, type RequestFunction, type Store } from "../../shared/function/define.ts";
import { LIST_ENVELOPE_BYTES } from "../../shared/function/fit_items.ts";
import { pluginName } from "../../shared/function/plugin_name.ts";
import { existingSubjectPlugin, subjectPlugin } from "../_plugin.ts";

/** One key/value operation: its input fields (without the plugin), its reply's data, and its work. */
export interface KvOperation<I extends z.ZodRawShape, D extends z.ZodObject> {
  description: string;
  input: I;
  /** Checks across fields that a field's schema cannot make (aliases given twice). */
  refine?: (input: z.output<z.ZodObject<I>>, ctx: z.RefinementCtx) => void;
  data: D;
  readOnly?: boolean;
  /** Its reply for a plugin with no database yet: given, the operation makes none (reads, delete). */
  absent?: z.input<D>;
  run(store: Store, input: z.output<z.ZodObject<I>>, room: ReplyRoom): Promise<z.input<D>>;
}

/** Bytes of JSON on the connected server (its max_payload less headers and the reply's other fields). */
export interface ReplyRoom {
  /** What this reply's data may take. */
  reply: number;
  /** What a get's data may take in either family, and so the largest value that can be read back. */
  readBack: number;
}

/** Runs `op` on the plugin's store, or answers its `absent` reply when the plugin has none and it makes none. */
async function runOn<I extends z.ZodRawShape, D extends z.ZodObject>(
  op: KvOperation<I, D>,
  store: (create: boolean) => Promise<Store | undefined>,
  input: z.output<z.ZodObject<I>>,
  ctx: RequestContext,
  doubled: boolean,
): Promise<z.input<D>> {
  const found = await store(op.absent === undefined);
  if (!found) return structuredClone(op.absent!);
  // kv.<plugin>.* put the data into the reply twice: at the top level and under `data`.
  const half = Math.floor(ctx.replyBytes / 2) - LIST_ENVELOPE_BYTES;
  return await op.run(found, input, { reply: doubled ? half : ctx.replyBytes - LIST_ENVELOPE_BYTES, readBack: half });
}

/** An operation, its types inferred from its input shape. */
export function kvOperation<I extends z.ZodRawShape, D extends z.ZodObject>(op: KvOperation<I, D>): KvOperation<I, D> {
  return op;
}

function inputOf<I extends z.ZodRawShape>(shape: I, refine?: KvOperation<I, z.ZodObject>["refine"]) {
  const object = z.object(shape);
  return refine ? object.superRefine(refine) : object;
}

/** `kv.<op>`: the plugin named by `plugin_name`, the reply `{success:true, data}`. */
export function payloadAddressed<I extends z.ZodRawShape, D extends z.ZodObject>(
  op: KvOperation<I, D>,
): RequestFunction {
  return defineRequest({
    description: `${op.description} (the plugin named by plugin_name)`,
    replyStyle: "rosey",
    readOnly: op.readOnly,
    input: inputOf({ plugin_name: pluginName(), ...op.input }, op.refine as KvOperation<z.ZodRawShape, D>["refine"]),
    output: z.object({ success: z.literal(true), data: op.data }),
    async handle(payload, ctx) {
      const { plugin_name, ...input } = payload as { plugin_name: string } & z.output<z.ZodObject<I>>;
      const store = (create: boolean) => create ? ctx.plugin(plugin_name) : ctx.existingPlugin(plugin_name);
      const data = await runOn(op, store, input as z.output<z.ZodObject<I>>, ctx, false);
      return { success: true as const, data };
    },
  });
}

/** `kv.<plugin>.<op>`: the plugin named by the subject, the reply's fields at the top level and under `data`. */
export function subjectAddressed<I extends z.ZodRawShape, D extends z.ZodObject>(
  op: KvOperation<I, D>,
): RequestFunction {
  return defineRequest({
    description: `${op.description} (the plugin named by the subject)`,
    replyStyle: "rosey",
    readOnly: op.readOnly,
    input: inputOf(op.input, op.refine),
    output: op.data.extend({ success: z.literal(true), data: op.data }),
    async handle(input, ctx) {
      const store = (create: boolean) => create ? subjectPlugin(ctx) : existingSubjectPlugin(ctx);
      const data = await runOn(op, store, input, ctx, true);
      return { success: true as const, ...data, data };
    },
  });
}
