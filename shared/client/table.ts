/** The shape of the client's method table and the method types inferred from it. */
import type { z } from "zod";
import type { EventFunction, RequestFunction } from "../function/define.ts";

/** An event subject's entry: `params` names its `[name]` tokens in order. */
export interface ClientEvent {
  subject: string;
  params?: readonly string[];
  fn: EventFunction;
}

/**
 * A request subject's entry. `fallback` is what it resolves to when no reply came: `"empty"`, the
 * empty value of its output schema (see `fallback.ts`), or `null`.
 */
export interface ClientRequest {
  subject: string;
  params?: readonly string[];
  fn: RequestFunction;
  fallback: "empty" | null;
}

/** Method name → entry, as `shared/client/generate.ts` writes it. */
export type ClientTable = Record<string, ClientEvent | ClientRequest>;

type InputOf<F> = F extends { input: infer S extends z.ZodType } ? z.input<S> : never;
type OutputOf<F> = F extends { output: infer S extends z.ZodType } ? z.output<S> : never;
type ParamsArg<E> = E extends { params: readonly [infer N extends string, ...string[]] }
  ? [params: Record<E["params"][number] | N, string>]
  : [];
// deno-lint-ignore ban-types
type InputArg<F> = {} extends InputOf<F> ? [input?: InputOf<F>] : [input: InputOf<F>];
type Reply<E> = E extends { fallback: "empty"; fn: infer F } ? OutputOf<F>
  : E extends { fn: infer F } ? OutputOf<F> | null
  : never;

/** One method per entry: `(params?, input) => Promise<void>` for events, `Promise<reply>` for requests. */
export type RoseyMethods<T extends ClientTable> = {
  [K in keyof T]: T[K] extends ClientRequest
    ? (...args: [...ParamsArg<T[K]>, ...InputArg<T[K]["fn"]>]) => Promise<Reply<T[K]>>
    : (...args: [...ParamsArg<T[K]>, ...InputArg<T[K]["fn"]>]) => Promise<void>;
};
