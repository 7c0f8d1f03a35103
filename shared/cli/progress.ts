/**
 * Progress of a long command-line operation on stderr: a bar redrawn in place on a terminal, a
 * plain line every few seconds otherwise (a log, a pipe, CI), so that stdout keeps only the result.
 */

/** Reports how far an operation is. */
export interface Progress {
  /** `done` of `total` units (`unit` names them: "events", "rows"). */
  update(done: number, total: number): void;
  /** The operation ended: the last state, and a line break on a terminal. */
  finish(): void;
}

/** Most redraws of a terminal bar per second: more would cost more than the work shown. */
const REDRAW_MS = 100;
/** Seconds between plain lines when stderr is no terminal. */
const LINE_EVERY_MS = 5_000;
const BAR_WIDTH = 30;

export interface ProgressOptions {
  /** Where the lines go; default stderr. */
  write?: (text: string) => void;
  /** Whether to draw a bar in place; default: whether stderr is a terminal. */
  terminal?: boolean;
  /** The clock, in milliseconds; tests pass their own. */
  now?: () => number;
  /** How often {@linkcode running} speaks; default each second on a terminal, every 5 s otherwise. */
  everyMs?: number;
}

const encoder = new TextEncoder();

/** Where lines go (stderr unless told), and whether it is a terminal. */
function output(options: ProgressOptions) {
  return {
    write: options.write ?? ((text: string) => void Deno.stderr.writeSync(encoder.encode(text))),
    terminal: options.terminal ?? Deno.stderr.isTerminal(),
  };
}

/** A progress reporter for `label` counting `unit`. */
export function progress(label: string, unit: string, options: ProgressOptions = {}): Progress {
  const { write, terminal } = output(options);
  const now = options.now ?? (() => performance.now());
  const started = now();
  let last: { done: number; total: number } | undefined;
  let shown: typeof last;
  let shownAt = -Infinity;
  const line = ({ done, total }: { done: number; total: number }) => {
    const share = total > 0 ? done / total : 1;
    const seconds = ((now() - started) / 1000).toFixed(1);
    const figures = `${done.toLocaleString("en")}/${total.toLocaleString("en")} ${unit} (${
      Math.floor(share * 100)
    } %, ${seconds} s)`;
    if (!terminal) return `${label}: ${figures}\n`;
    const filled = Math.round(share * BAR_WIDTH);
    return `\r${label} [${"#".repeat(filled)}${" ".repeat(BAR_WIDTH - filled)}] ${figures}`;
  };
  return {
    update(done, total) {
      last = { done, total };
      const at = now();
      if (at - shownAt < (terminal ? REDRAW_MS : LINE_EVERY_MS)) return;
      shownAt = at;
      shown = last;
      write(line(last));
    },
    finish() {
      if (last && last !== shown) write(line(last));
      if (terminal) write("\n");
    },
  };
}

/**
 * For an operation whose share done nobody knows (a backup, a VACUUM, answered by the service at the
 * end): how long it has run, each second on a terminal, every 5 s otherwise. `stop()` clears it.
 */
export function running(label: string, options: ProgressOptions = {}): { stop(): void } {
  const { write, terminal } = output(options);
  const started = Date.now();
  const timer = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    write(terminal ? `\r${label}: running, ${seconds} s` : `${label}: still running, ${seconds} s\n`);
  }, options.everyMs ?? (terminal ? 1000 : LINE_EVERY_MS));
  return {
    stop() {
      clearInterval(timer);
      // Erase the line on a terminal, so that the result starts clean.
      if (terminal) write("\r\x1b[K");
    },
  };
}
