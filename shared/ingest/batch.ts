/**
 * Events crossing from the thread that receives them to the ingest thread: the payloads of one turn
 * of the event loop packed into one buffer, so that a flood costs one message per turn, not one per event.
 */
import type { EventFunction } from "../function/define.ts";
import { NO_PARAMS, type RouteTable } from "../runtime/routes.ts";
import type { EventEntry, Writer } from "../storage/writer.ts";

/** First size of a batch's payload buffer; it doubles as needed. */
const BATCH_BYTES = 64 * 1024;

/**
 * Events in arrival order: event `i` is of `routes[functions[i]]` (the event routes both threads
 * made from the same list), its payload is `bytes` from `ends[i - 1]` (or 0) to `ends[i]`, and its
 * subject is `subjects[i]` for functions with `[name]` tokens (else the function's own).
 */
export interface EventBatch {
  functions: Uint16Array;
  ends: Uint32Array;
  bytes: Uint8Array;
  subjects?: string[];
}

/** Packs received events into {@linkcode EventBatch}es, handing each over at the end of its turn. */
export class BatchPacker {
  /** Each event function's index in the list both threads route by, and whether its subject has parameters. */
  readonly #functions = new Map<EventFunction, { index: number; hasParams: boolean }>();
  #batch = emptyBatch();

  constructor(
    events: { fn: EventFunction; params: Map<number, string> }[],
    readonly hand: (batch: EventBatch) => void,
  ) {
    events.forEach((f, index) => this.#functions.set(f.fn, { index, hasParams: f.params.size > 0 }));
  }

  /** Adds an event to the batch of this turn. */
  add(entry: Omit<EventEntry, "kind">): void {
    const batch = this.#batch;
    const { index, hasParams } = this.#functions.get(entry.fn)!;
    const used = batch.ends.at(-1) ?? 0;
    if (used + entry.raw.length > batch.bytes.length) {
      const grown = new Uint8Array(Math.max(batch.bytes.length * 2, used + entry.raw.length));
      grown.set(batch.bytes.subarray(0, used));
      batch.bytes = grown;
    }
    batch.bytes.set(entry.raw, used);
    batch.ends.push(used + entry.raw.length);
    if (batch.functions.push(index) === 1) queueMicrotask(() => this.flush());
    if (hasParams) (batch.subjects ??= [])[batch.functions.length - 1] = entry.subject;
  }

  /** Hands over what was added and not yet handed. */
  flush(): void {
    const { functions, ends, bytes, subjects } = this.#batch;
    if (functions.length === 0) return;
    // The used part travels as a copy: the buffer stays for the next batch, so that a flood does not
    // leave a trail of large buffers in the ingest thread waiting for its garbage collector.
    this.#batch = emptyBatch(bytes);
    this.hand({
      functions: Uint16Array.from(functions),
      ends: Uint32Array.from(ends),
      bytes: bytes.slice(0, ends.at(-1)),
      subjects,
    });
  }
}

/** Queues a batch's events in `writer`, each run of one subject as it lies in the buffer; returns how many. */
export function queueBatch(
  { functions, ends, bytes, subjects }: EventBatch,
  events: RouteTable,
  writer: Writer,
): number {
  const routes = events.routes;
  for (let i = 0; i < functions.length;) {
    const route = routes[functions[i]], subject = subjects?.[i];
    const fn = route.fn as EventFunction;
    const first = i === 0 ? 0 : ends[i - 1];
    if (subject !== undefined) {
      writer.event({ fn, subject, params: events.params(route, subject), raw: bytes.subarray(first, ends[i]) });
      i++;
      continue;
    }
    let end = i + 1;
    while (end < functions.length && functions[end] === functions[i] && subjects?.[end] === undefined) end++;
    writer.packedEvents({
      fn,
      subject: route.fullSubject,
      params: NO_PARAMS,
      bytes,
      first,
      ends: ends.subarray(i, end),
    });
    i = end;
  }
  return functions.length;
}

function emptyBatch(bytes = new Uint8Array(BATCH_BYTES)) {
  return {
    functions: [] as number[],
    ends: [] as number[],
    bytes,
    subjects: undefined as string[] | undefined,
  };
}
