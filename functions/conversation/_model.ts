/** The conversation store's shapes and the reads and writes its functions share. */
import { z } from "zod";
import { ServiceError } from "../../shared/function/errors.ts";
import type { RequestContext } from "../../shared/function/define.ts";
import type { Sql } from "../../shared/function/sql.ts";

export const ConversationId = z.uuid("must be a UUID");
export const Status = z.enum(["ACTIVE", "ARCHIVED", "CLOSED", "DELETED"]);
export const Role = z.enum(["user", "assistant", "system"]);

const CURSOR_ERROR = "must be a cursor returned by a previous page";

/** A page cursor as a previous page returned it: the digits of a safe integer (more would reach SQL as Infinity). */
export const Cursor = z.string()
  .regex(/^\d{1,16}$/, { error: CURSOR_ERROR, abort: true })
  .refine((cursor) => Number.isSafeInteger(Number(cursor)), CURSOR_ERROR);

/** Most bytes of a conversation's metadata as JSON: tags and settings, not documents. */
export const METADATA_MAX_BYTES = 16 * 1024;

/** A conversation's metadata as a caller sends it (conversation.create, conversation.update). */
export function metadataInput<T extends z.ZodType>(value: T) {
  return z.record(z.string().min(1).max(200), value).refine(
    (metadata) => new TextEncoder().encode(JSON.stringify(metadata)).length <= METADATA_MAX_BYTES,
    `must take at most ${METADATA_MAX_BYTES} bytes as JSON`,
  );
}

export const Conversation = z.object({
  id: z.string(),
  user_id: z.string(),
  title: z.string().nullable(),
  status: Status,
  message_count: z.number(),
  created_at: z.number(),
  updated_at: z.number(),
  last_message_at: z.number().nullable(),
  archived_at: z.number().nullable(),
  /** Free-form tags of the caller's (conversation.update merges into them; conversation.list filters by them). */
  metadata: z.record(z.string(), z.unknown()),
  /** Where conversation.fork copied it from, or null. */
  forked_from: z.object({ conversation_id: z.string(), message_id: z.string() }).nullable(),
});
export type Conversation = z.infer<typeof Conversation>;

export const Message = z.object({
  id: z.string(),
  conversation_id: z.string(),
  role: Role,
  content: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  created_at: z.number(),
});

export const CONVERSATION_COLUMNS =
  "id, user_id, title, status, message_count, created_at, updated_at, last_message_at, archived_at, metadata, forked_from_conversation_id, forked_from_message_id";
export const MESSAGE_COLUMNS = "id, conversation_id, role, content, metadata, created_at";

/** A message row with its metadata parsed back into an object. */
export function messageOf(row: Record<string, unknown>): z.infer<typeof Message> {
  return { ...(row as z.infer<typeof Message>), metadata: JSON.parse(row.metadata as string) };
}

/** A conversation row (of {@linkcode CONVERSATION_COLUMNS}) as the wire shape: metadata parsed, the fork origin nested. */
export function conversationOf(row: Record<string, unknown>): Conversation {
  // Field by field: a row read by `first` carries the driver's own `_metadata` beside the columns.
  const r = row as Record<string, never>;
  return {
    id: r.id,
    user_id: r.user_id,
    title: r.title,
    status: r.status,
    message_count: r.message_count,
    created_at: r.created_at,
    updated_at: r.updated_at,
    last_message_at: r.last_message_at,
    archived_at: r.archived_at,
    metadata: JSON.parse(r.metadata ?? "{}"),
    forked_from: r.forked_from_conversation_id
      ? { conversation_id: r.forked_from_conversation_id, message_id: r.forked_from_message_id }
      : null,
  };
}

/**
 * The conversation, or a 404 naming it; DELETED ones only when `includeDeleted`. One moved to cold
 * storage is a 404 that says so (conversation.restore brings it back).
 */
export async function requireConversation(db: Sql, id: string, includeDeleted = false): Promise<Conversation> {
  const row = await db.first(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = ?`, [id]);
  if (!row || (row.status === "DELETED" && !includeDeleted)) {
    if (!row && await db.first("SELECT 1 FROM conversation_cold WHERE conversation_id = ?", [id])) {
      throw new ServiceError(404, `Conversation "${id}" is in cold storage: conversation.restore brings it back`);
    }
    throw new ServiceError(404, `Unknown conversation: "${id}"`);
  }
  return conversationOf(row);
}

/** The next value of the activity counter (inside the write transaction). */
export async function nextActivity(tx: Sql): Promise<number> {
  const [{ next }] = await tx.query<{ next: number }>(
    "SELECT coalesce(max(activity), 0) + 1 AS next FROM conversations",
  );
  return next;
}

/** Inserts a new, empty, active conversation (inside the write transaction) as the newest activity. */
export async function insertConversation(tx: Sql, conversation: Conversation): Promise<void> {
  await tx.run(
    `INSERT INTO conversations (id, user_id, title, status, message_count, created_at, updated_at, activity,
        metadata, forked_from_conversation_id, forked_from_message_id)
      VALUES (?, ?, ?, 'ACTIVE', 0, ?, ?, ?, ?, ?, ?)`,
    [
      conversation.id,
      conversation.user_id,
      conversation.title,
      conversation.created_at,
      conversation.updated_at,
      await nextActivity(tx),
      JSON.stringify(conversation.metadata),
      conversation.forked_from?.conversation_id ?? null,
      conversation.forked_from?.message_id ?? null,
    ],
  );
}

/**
 * Busy retries of a conversation write: another process holding the write lock (an import, a second
 * instance on the same file) usually lets go within 20 + 40 + 80 + 160 + 320 ms; then a 503 beats a hang.
 */
const BUSY_RETRY = { attempts: 5, delayMs: 20 };

/** Runs a conversation write through the writer, giving up with 503 after {@linkcode BUSY_RETRY}. */
export function writeConversation<T>(ctx: RequestContext, work: (tx: Sql) => Promise<T>): Promise<T> {
  return ctx.write(work, { busyRetry: BUSY_RETRY });
}

/** Unix seconds now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
