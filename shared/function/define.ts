/** The contract of a function file: one default export built by `defineEvent` or `defineRequest`. */
import type { z } from "zod";
import type { Retention } from "../config.ts";
import type { Sql } from "./sql.ts";
import type { Logger } from "../log.ts";

/** The settings a function may read: the few functions use, never a credential. */
export interface FunctionSettings {
  /** Prefix of every subject (dead-letter filters take subjects with or without it). */
  readonly SUBJECT_PREFIX: string;
  /** What maintenance deletes when, and how many backups admin.backup keeps. */
  readonly RETENTION: Retention;
  /** Where admin.backup writes its copies. */
  readonly BACKUP_DIR: string;
  /** Folder of the plugins' migration files (`<plugin>/migrations/NNN_name.sql`), if configured. */
  readonly PLUGINS_DIR?: string;
  /** Days without a change after which maintenance moves a conversation to cold storage; absent: never. */
  readonly CONVERSATION_ARCHIVE_DAYS?: number;
  /** Length of message and memory embeddings; 0 when embeddings are off. */
  readonly EMBEDDING_DIMENSIONS: number;
}

/** What every handler receives besides its input. */
export interface FunctionContext {
  /** The full subject the message arrived on. */
  subject: string;
  /** Values of `[name]` tokens in the function's path. */
  params: Record<string, string>;
  /** Unix seconds when the message was received. */
  receivedAt: number;
  /** The settings functions use; credentials never reach a handler. */
  config: FunctionSettings;
  log: Logger;
}

/** Context of an event handler: `db` is the open write transaction of its batch. */
export interface EventContext extends FunctionContext {
  db: Sql;
}

/** Options of `ctx.write`. */
export interface WriteOptions {
  /** false runs the work outside a transaction, for statements such as VACUUM. Default true. */
  transaction?: boolean;
  /** Give up after this many retries while another connection holds the write lock (default: wait). */
  busyRetry?: { attempts: number; delayMs: number };
}

/** A database and its single writer: `db` reads, `write` runs work in the writer's transaction. */
export interface Store {
  db: Sql;
  write<T>(work: (tx: Sql) => Promise<T>, options?: WriteOptions): Promise<T>;
}

/** Context of a request handler: the service's database, and each plugin's own. */
export interface RequestContext extends FunctionContext, Store {
  /** Publishes raw bytes on a full subject (replaying dead letters); fails when NATS is not connected. */
  publish(subject: string, payload: Uint8Array): void;
  /**
   * Bytes of JSON the reply may take: the connected server's max_payload less room for headers. A
   * reply whose shape is an object bounds its lists by it (a bare array is cut by the router).
   */
  replyBytes: number;
  /**
   * The plugin's own database, opened on first use (README "Plugin storage"): no other plugin's data
   * and none of the service's tables are in it. A name that is not a plugin name is a 400.
   */
  plugin(name: string): Promise<Store>;
  /**
   * The plugin's database if it has one, without making it: a read of a plugin that never wrote
   * answers "nothing there" and leaves no file behind.
   */
  existingPlugin(name: string): Promise<Store | undefined>;
  /** The plugins that have a database, for administration. */
  plugins: PluginDirectory;
}

/** The plugins' databases as a whole (admin.plugins.*, admin.backup). */
export interface PluginDirectory {
  /** Names of the plugins that have a database, sorted. */
  list(): Promise<string[]>;
  /** Closes and deletes the plugin's database; whether there was one. */
  drop(name: string): Promise<boolean>;
  /** Whether plugin databases live on a remote server (PLUGINS_DATABASE_URL), which keeps and backs them up. */
  readonly remote: boolean;
}

const brand = Symbol.for("rosey-db.function");

// deno-lint-ignore no-explicit-any
type AnySchema = z.ZodType<any, any>;

/** A fire-and-forget subject: validated, batched, written; bad input becomes a dead letter. */
export interface EventFunction<I extends AnySchema = AnySchema> {
  readonly [brand]: true;
  readonly kind: "event";
  readonly description: string;
  readonly input: I;
  handle(input: z.output<I>, ctx: EventContext): Promise<void>;
  /** Optional set-based path for a whole batch, in arrival order; must equal calling `handle` per input. */
  handleBatch?(inputs: z.output<I>[], ctx: EventContext): Promise<void>;
}

/** A request/reply subject. */
export interface RequestFunction<I extends AnySchema = AnySchema, O extends AnySchema = AnySchema> {
  readonly [brand]: true;
  readonly kind: "request";
  readonly description: string;
  readonly input: I;
  readonly output: O;
  /**
   * A read: the reply depends only on the input, the subject, the database's contents and
   * `ctx.receivedAt`, and the function writes nothing. The bot client then answers a request that
   * got no reply with the output's empty value (shared/client/generate.ts fallbackOf).
   */
  readonly readOnly?: boolean;
  /**
   * How its errors are answered, its own and the router's (bad JSON, schema, size): `"adr32"` (the
   * default) `{error:{code, message, issues?}}`, or `"rosey"`, the plugin style of Rosey's own service,
   * `{success:false, error:{code, message}}` with codes such as MISSING_FIELD or NOT_FOUND. Both carry
   * the ADR-32 headers.
   */
  readonly replyStyle?: "adr32" | "rosey";
  /**
   * How a bare-array reply over the server's max_payload is cut (shared/runtime/reply_size.ts); by
   * default it keeps the first items and says `Rosey-Truncated: true`.
   */
  readonly cut?: ReplyCut;
  handle(input: z.output<I>, ctx: RequestContext): Promise<z.input<O>>;
}

/** How the router cuts a bare-array reply that does not fit (`RequestFunction.cut`). */
export interface ReplyCut {
  /**
   * `"last"` keeps the last items rather than the first: those of a list in chronological order whose
   * newest matter most (the last messages of a conversation, a prompt's context).
   */
  keep?: "first" | "last";
  /**
   * Where the rest starts, from the last item kept: sent as `Rosey-Next-Cursor` for the caller to ask
   * for the next page with (a `before_id`, say).
   */
  nextCursor?(lastKept: Record<string, unknown>): string;
}

export type RoseyFunction = EventFunction | RequestFunction;

/** Defines an event function, the default export of its file (README.md "Subjects": how paths map to subjects). */
export function defineEvent<I extends AnySchema>(
  definition: Omit<EventFunction<I>, typeof brand | "kind">,
): EventFunction<I> {
  return { ...definition, kind: "event", [brand]: true };
}

/** Defines a request function, the default export of its file (README.md "Subjects": how paths map to subjects). */
export function defineRequest<I extends AnySchema, O extends AnySchema>(
  definition: Omit<RequestFunction<I, O>, typeof brand | "kind">,
): RequestFunction<I, O> {
  return { ...definition, kind: "request", [brand]: true };
}

/** Whether a module's default export was built by `defineEvent` or `defineRequest`. */
export function isFunction(value: unknown): value is RoseyFunction {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
