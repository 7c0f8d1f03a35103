/**
 * One fuzz campaign: a real nats-server and rosey-db on a database file, inputs derived from every
 * function's input schema and mutated (tests/fuzz/_hostile.ts), sent over NATS, then the accounting:
 * replies by code, and every event sent either stored or dead-lettered.
 */
import fc from "fast-check";
import { z } from "zod";
import { discoverFunctions, type LoadedFunction } from "../../shared/runtime/discover.ts";
import { LATEST_UNIX_SECONDS } from "../../shared/function/numbers.ts";
import { ACK_WAIT_SECONDS } from "../../shared/nats/jetstream.ts";
import { ask, countRows, http, startNats, startRosey, tempDir, type TestService } from "../_helpers.ts";
import { type Payload, payloadsOf } from "./_hostile.ts";
import { PLUGINS, seed, withLiveIds } from "./_seed.ts";
import { type JsonSchema, type Pools, validValue } from "./_valid.ts";

/** Options of {@linkcode runCampaign}. */
export interface CampaignOptions {
  /** Inputs to send (requests and events together). */
  inputs: number;
  seed: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Called every 1,000 inputs, for a long run's progress. */
  onProgress?: (sent: number) => void;
  /** Settings of the service beside its database, e.g. `INGEST_MODE: "jetstream"`. */
  env?: Record<string, string>;
}

/** A reply or a missing reply worth a look: its subject, the mutation and the service's message. */
export interface Finding {
  subject: string;
  kind: string;
  /** The payload's first bytes, as text. */
  excerpt: string;
  error: string;
}

/** What a campaign sent and what became of it. */
export interface CampaignReport {
  inputs: number;
  requests: number;
  events: number;
  /** Replies by Nats-Service-Error-Code, `ok` for a reply without one. */
  replies: Record<string, number>;
  /** Request subjects that answered at least one input without an error: how deep valid inputs reached. */
  answered: Set<string>;
  /** Replies with code 500. */
  internalErrors: Finding[];
  /** Requests that got no reply in time (or no responder). */
  unanswered: Finding[];
  /** Events re-published by admin.dead_letters.replay (each counted again when it arrives). */
  replayed: number;
  /** Dead letters deleted by admin.dead_letters.purge. */
  purged: number;
  /** Event outcomes counted by the service: stored (`ok`) and dead-lettered (`invalid`, `dead_letter`). */
  stored: number;
  deadLettered: number;
  /** Rows of the dead_letters table at the end. */
  deadLetterRows: number;
  /** GET /health's status at the end. */
  health: number;
  /**
   * Seconds from the last request until every event was accounted for: beyond a moment, events were
   * held somewhere (a JetStream delivery left unacknowledged waits out its ack wait).
   */
  settleSeconds: number;
  seconds: number;
}

/** A request's answer must come within the read-your-writes bound (10 s) and some. */
const REQUEST_TIMEOUT_MS = 15_000;

/** Sends `options.inputs` fuzzed inputs to a fresh service and accounts for them. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  await using dir = await tempDir();
  // A store for JetStream, which INGEST_MODE=jetstream needs.
  await using nats = await startNats({ storeDir: `${dir.path}/nats` });
  await using t = await startRosey(
    {
      DATABASE_URL: `file:${dir.path}/fuzz.db`,
      BACKUP_DIR: `${dir.path}/backups`,
      // Migrations of two of the plugins (quote-db, countdown) for the migrate subjects to run.
      PLUGINS_DIR: "tests/fixtures/plugins",
      ...options.env,
    },
    nats,
  );
  const started = performance.now();
  const functions = await discoverFunctions("functions");
  const eventSubjects = functions.filter((f) => f.fn.kind === "event").map((f) => f.subject);
  /** Conversations created so far: the seeding's, then those conversation.create answers with. */
  const conversations: string[] = [];
  const pools = await seed(t, eventSubjects, conversations);
  const before = await eventOutcomes(t, eventSubjects);
  const inputs = fc.sample(inputArbitrary(functions, pools), { seed: options.seed, numRuns: options.inputs });

  const report: CampaignReport = {
    inputs: inputs.length,
    requests: 0,
    events: 0,
    replies: {},
    answered: new Set(),
    internalErrors: [],
    unanswered: [],
    replayed: 0,
    purged: 0,
    stored: 0,
    deadLettered: 0,
    deadLetterRows: 0,
    health: 0,
    settleSeconds: 0,
    seconds: 0,
  };
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const index = next++;
      const input = inputs[index];
      await send(t, { ...input, payload: withLiveIds(input.payload, conversations) }, report, conversations);
      if ((index + 1) % 1000 === 0) options.onProgress?.(index + 1);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));

  // Dead letters once more on their subjects: replayed events must be accounted for as well.
  await ask(t, "status.get");
  report.replayed +=
    (await ask<{ replayed: number }>(t, "admin.dead_letters.replay", { before: LATEST_UNIX_SECONDS, limit: 10_000 }))
      .replayed;

  // Every event received before this request is committed once it is answered; outcomes reach the
  // metrics a moment later (from the ingest thread), and replayed events arrive after their replay.
  await ask(t, "status.get");
  const expected = report.events + report.replayed;
  // Longer than a JetStream redelivery takes, so that a delivery left unacknowledged is seen late,
  // not counted as lost.
  const settling = performance.now();
  const deadline = Date.now() + (2 * ACK_WAIT_SECONDS + 10) * 1000;
  let outcomes = before;
  do {
    const now = await eventOutcomes(t, eventSubjects);
    outcomes = { ok: now.ok - before.ok, deadLettered: now.deadLettered - before.deadLettered };
    if (outcomes.ok + outcomes.deadLettered >= expected) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  } while (Date.now() < deadline);
  report.settleSeconds = (performance.now() - settling) / 1000;
  report.stored = outcomes.ok;
  report.deadLettered = outcomes.deadLettered;
  report.deadLetterRows = await countRows(t.service, "dead_letters");
  report.health = await http(t.service, "/health").then(async (r) => (await r.body?.cancel(), r.status));
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** One input: which function, the subject it is sent on, and the payload for it. */
interface Input {
  /** The function's subject, `*` where its file name has a `[param]`. */
  subject: string;
  /** The subject sent on: each `*` filled with a token. */
  target: string;
  kind: "event" | "request";
  payload: Payload;
}

/**
 * Tokens for a `[param]` of a subject (a plugin name, say): mostly names a plugin could have, else
 * tokens that are none (upper case, too long, leading digit or dash, prototype names, non-ASCII).
 */
const paramToken = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PLUGINS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("Quotes", "1abc", "-x", "_x", "a".repeat(65), "__proto__", "constructor", "ä", "😀"),
  },
);

/** Every function alike, each with payloads from its own input schema. */
function inputArbitrary(functions: LoadedFunction[], pools: Pools): fc.Arbitrary<Input> {
  return fc.oneof(
    ...functions.map(({ subject, fn }) => {
      const schema = z.toJSONSchema(fn.input, { io: "input", unrepresentable: "any" }) as JsonSchema;
      const tokens = subject.split(".");
      const target = fc.tuple(...tokens.map((token) => token === "*" ? paramToken : fc.constant(token)))
        .map((filled) => filled.join("."));
      return fc.tuple(target, payloadsOf(validValue(schema, pools)))
        .map(([target, payload]): Input => ({ subject, target, kind: fn.kind, payload }));
    }),
  );
}

const decoder = new TextDecoder();

const DEAD_LETTER_ADMIN = new Set(["admin.dead_letters.replay", "admin.dead_letters.purge"]);

/** Turns, one at a time, in the order taken. */
class Turns {
  #last: Promise<void> = Promise.resolve();
  take(): { ready: Promise<void>; done: () => void } {
    let done!: () => void;
    const ready = this.#last;
    this.#last = new Promise((resolve) => done = resolve);
    return { ready, done };
  }
}
const deadLetterAdmin = new Turns();

async function send(t: TestService, input: Input, report: CampaignReport, conversations: string[]): Promise<void> {
  const subject = `rosey.db.${input.target}`;
  if (input.kind === "event") {
    t.nc.publish(subject, input.payload.bytes);
    report.events++;
    return;
  }
  report.requests++;
  const finding = (error: string): Finding => ({
    subject: input.target,
    kind: input.payload.kind,
    excerpt: decoder.decode(input.payload.bytes.subarray(0, 120)),
    error,
  });
  let code: string;
  let body: unknown;
  // Two replays of one dead letter at once would both publish it while only one deletes its row:
  // the dead letters' bookkeeping is exact only when replays and purges take turns.
  const turn = DEAD_LETTER_ADMIN.has(input.subject) ? deadLetterAdmin.take() : undefined;
  try {
    await turn?.ready;
    const msg = await t.nc.request(subject, input.payload.bytes, { timeout: REQUEST_TIMEOUT_MS });
    code = msg.headers?.get("Nats-Service-Error-Code") || "ok";
    if (code === "500") report.internalErrors.push(finding(msg.headers?.get("Nats-Service-Error") ?? ""));
    body = code === "ok" ? msg.json() : undefined;
  } catch (error) {
    code = "no reply";
    report.unanswered.push(finding((error as Error).message));
  } finally {
    turn?.done();
  }
  report.replies[code] = (report.replies[code] ?? 0) + 1;
  if (code === "ok") report.answered.add(input.subject);
  if (input.subject === "conversation.create" && code === "ok") conversations.push((body as { id: string }).id);
  if (input.subject === "admin.dead_letters.replay") report.replayed += (body as { replayed?: number })?.replayed ?? 0;
  if (input.subject === "admin.dead_letters.purge") report.purged += (body as { purged?: number })?.purged ?? 0;
}

/** The service's own count of event outcomes so far, over `subjects`. */
async function eventOutcomes(t: TestService, subjects: string[]): Promise<{ ok: number; deadLettered: number }> {
  const text = await (await http(t.service, "/metrics")).text();
  const served = new Set(subjects);
  const totals = { ok: 0, deadLettered: 0 };
  for (
    const [, subject, outcome, value] of text.matchAll(
      /^rosey_db_messages_total\{subject="([^"]+)",outcome="(\w+)"\} (\d+)$/gm,
    )
  ) {
    if (!served.has(subject)) continue;
    if (outcome === "ok") totals.ok += Number(value);
    else if (outcome === "invalid" || outcome === "dead_letter") totals.deadLettered += Number(value);
  }
  return totals;
}
