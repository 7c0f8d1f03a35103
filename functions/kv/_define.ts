/**
 * The two families of key/value subjects, built from one operation each (./_operations.ts):
 * `kv.<op>` names the plugin in the payload (`plugin_name`) and answers `{success, data}`;
 * `kv.<plugin>.<op>` names it in the subject and answers the same fields at the top level as well as
 * under `data` (quote-db reads `exists` and `value` at the top).
 */
import { z } from "zod";
import { defineRequest, type RequestFunction, type Store } from "../../shared/function/define.ts";
import { pluginName } from "../../shared/function/plugin_name.ts";
import { subjectPlugin } from "../_plugin.ts";

/** One key/value operation: its input fields (without the plugin), its reply's data, and its work. */
export interface KvOperation<I extends z.ZodRawShape, D extends z.ZodObject> {
  description: string;
  input: I;
  /** Checks across fields that a field's schema cannot make (aliases given twice). */
  refine?: (input: z.output<z.ZodObject<I>>, ctx: z.RefinementCtx) => void;
  data: D;
  readOnly?: boolean;
  run(store: Store, input: z.output<z.ZodObject<I>>): Promise<z.input<D>>;
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
      const data = await op.run(await ctx.plugin(plugin_name), input as z.output<z.ZodObject<I>>);
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
      const data = await op.run(await subjectPlugin(ctx), input);
      return { success: true as const, ...data, data };
    },
  });
}
