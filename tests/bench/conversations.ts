/**
 * Conversation store figures of `deno task bench` (README "Conversation store"), to a rosey-db process
 * of their own: `conversation.context` on a conversation of BENCH_CONTEXT_MESSAGES (10000) messages
 * with a summary, beside a bare NATS responder measured in the same moments; archival to cold storage
 * of BENCH_ARCHIVE_CONVERSATIONS (10000) conversations of 20 messages (conversations/s) and the time
 * to restore one. Runs alone too: `deno run -A tests/bench/conversations.ts` prints its figures.
 */
import { createClient } from "@libsql/client";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer } from "../../shared/nats/local_server.ts";
import { percentile, spawnScript, startServiceProcess } from "./_harness.ts";
import type { Figure, PluginFiguresOptions } from "./plugins.ts";

const size = (name: string, fallback: number) => Number(Deno.env.get(name) ?? fallback);
const CONTEXT_MESSAGES = size("BENCH_CONTEXT_MESSAGES", 10_000);
const ARCHIVE_CONVERSATIONS = size("BENCH_ARCHIVE_CONVERSATIONS", 10_000);
const MESSAGES_EACH = 20;
const RESTORES = 20;
const ECHO = "bench.conversations.echo";
const DAY = 86_400;

/** What main.ts lends: the same as for the plugin figures. */
export type ConversationFiguresOptions = Pick<
  PluginFiguresOptions,
  "natsUrl" | "workDir" | "requests" | "record" | "interleavedLatency"
>;

async function ask(nc: NatsConnection, subject: string, body: unknown): Promise<Record<string, unknown>> {
  const msg = await nc.request(subject, JSON.stringify(body), { timeout: 600_000 });
  if (msg.headers?.get("Nats-Service-Error-Code")) throw new Error(`${subject} failed: ${msg.string().slice(0, 300)}`);
  return msg.json();
}

/** Messages of about 50 tokens (200 characters), every tenth with a stored count. */
const MESSAGE_ROWS = (conversation: string, count: number, each: number) =>
  `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${count - 1})
    INSERT INTO conversation_messages (id, conversation_id, role, content, metadata, created_at)
    SELECT printf('%08x-0000-4000-8000-%012x', abs(random()) % 4294967295, i), ${conversation},
      CASE WHEN i % 2 THEN 'assistant' ELSE 'user' END, 'message ' || i || ' ' || substr(hex(randomblob(100)), 1, 190),
      CASE WHEN i % 10 = 0 THEN json_object('tokens', 48) ELSE '{}' END, 1000 + i / ${each} FROM n`;

export async function conversationFigures(options: ConversationFiguresOptions): Promise<void> {
  const { natsUrl, workDir, requests, record } = options;
  const dbPath = `${workDir}/conversations.db`;
  const service = await startServiceProcess(natsUrl, dbPath, {
    BACKUP_DIR: `${workDir}/conversation-backups`,
    CONVERSATION_ARCHIVE_DAYS: "1",
  });
  const echo = await spawnScript("echo.ts", [natsUrl, ECHO]);
  const nc = await connect({ servers: natsUrl });
  const db = createClient({ url: `file:${dbPath}` });
  try {
    await db.execute("PRAGMA busy_timeout = 30000");
    // One long conversation with a summary through 90 % of it; a 4,000-token budget takes ~80 messages.
    const { id } = await ask(nc, "rosey.db.conversation.create", { user_id: "bench" }) as { id: string };
    await db.execute({ sql: MESSAGE_ROWS("?", CONTEXT_MESSAGES, CONTEXT_MESSAGES), args: [id] });
    await db.execute({
      sql:
        `INSERT INTO conversation_summaries (conversation_id, summary, through_message_id, through_seq, token_count, created_at)
        SELECT conversation_id, 'what was said so far, in a few hundred words', id, seq, 400, 2000 FROM conversation_messages
        WHERE conversation_id = ? ORDER BY seq LIMIT 1 OFFSET ?`,
      args: [id, Math.floor(CONTEXT_MESSAGES * 0.9)],
    });
    const context = { conversation_id: id, max_tokens: 4_500, reserve_tokens: 500 };
    const sample = await ask(nc, "rosey.db.conversation.context", context) as { messages: unknown[] };
    const [bare, timed] = await options.interleavedLatency(nc, [[ECHO, {}], [
      "rosey.db.conversation.context",
      context,
    ]], requests);
    record({
      figure: `conversation.context, ${CONTEXT_MESSAGES} messages with a summary, ${sample.messages.length} fit, p50`,
      value: timed.p50,
      unit: "ms",
      baseline: { name: "bare NATS request-reply p50", value: bare.p50 },
      target: "<= 2",
      met: timed.p50 <= 2,
    });

    // Archival: conversations of 20 messages, all inactive for longer than CONVERSATION_ARCHIVE_DAYS.
    const old = 1000;
    await db.execute(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ARCHIVE_CONVERSATIONS})
        INSERT INTO conversations (id, user_id, title, status, message_count, created_at, updated_at, activity, metadata)
        SELECT printf('a0000000-0000-4000-8000-%012d', i), 'user' || (i % 100), 'title ' || i, 'ACTIVE', ${MESSAGES_EACH},
          ${old}, ${old}, 1000000000 + i, '{"topic":"bench"}' FROM n`,
    );
    await db.execute(
      MESSAGE_ROWS(
        `printf('a0000000-0000-4000-8000-%012d', i / ${MESSAGES_EACH} + 1)`,
        ARCHIVE_CONVERSATIONS * MESSAGES_EACH,
        MESSAGES_EACH,
      ),
    );
    await db.execute({ sql: "UPDATE conversations SET updated_at = ? WHERE id = ?", args: [old - DAY, id] });
    let started = performance.now();
    const report = await ask(nc, "rosey.db.admin.maintenance", {}) as { cold_storage: { archived: number } };
    const seconds = (performance.now() - started) / 1000;
    record({
      figure: `archival of ${report.cold_storage.archived} conversations × ${MESSAGES_EACH} messages to cold storage`,
      value: report.cold_storage.archived / seconds,
      unit: "conversations/s",
      target: "reported",
      met: report.cold_storage.archived >= ARCHIVE_CONVERSATIONS,
    });
    const times: number[] = [];
    for (let i = 1; i <= RESTORES; i++) {
      const conversation = `a0000000-0000-4000-8000-${
        String(i * Math.floor(ARCHIVE_CONVERSATIONS / RESTORES)).padStart(12, "0")
      }`;
      started = performance.now();
      await ask(nc, "rosey.db.conversation.restore", { conversation_id: conversation });
      times.push(performance.now() - started);
    }
    record({
      figure: `conversation.restore of one conversation (${MESSAGES_EACH} messages), p50 of ${RESTORES}`,
      value: percentile(times, 50),
      unit: "ms",
      target: "reported",
      met: true,
    });
  } finally {
    db.close();
    await nc.close();
    echo.kill("SIGTERM");
    await echo.status;
    await service.stop();
  }
}

if (import.meta.main) {
  const workDir = await Deno.makeTempDir({ prefix: "rosey-db-bench-conversations-" });
  const nats = await startNatsServer({ install: true });
  const figures: Figure[] = [];
  try {
    await conversationFigures({
      natsUrl: nats.url,
      workDir,
      requests: size("BENCH_REQUESTS", 5_000),
      record: (figure) => figures.push(figure),
      async interleavedLatency(nc, targets, count) {
        const times = targets.map(() => [] as number[]);
        const payloads = targets.map(([, body]) => JSON.stringify(body));
        for (let i = 0; i < count; i++) {
          for (const [k, [subject]] of targets.entries()) {
            const started = performance.now();
            await nc.request(subject, payloads[k], { timeout: 10_000 });
            times[k].push(performance.now() - started);
          }
        }
        return times.map((t) => ({ p50: percentile(t, 50), p99: percentile(t, 99) }));
      },
    });
  } finally {
    await nats.stop();
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
  for (const f of figures) {
    const baseline = f.baseline ? ` (${f.baseline.name}: ${f.baseline.value.toFixed(3)})` : "";
    console.log(
      `${f.figure}: ${f.value.toFixed(3)} ${f.unit}${baseline}, target ${f.target}: ${f.met ? "met" : "not met"}`,
    );
  }
}
