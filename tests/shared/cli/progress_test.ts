import assert from "node:assert/strict";
import { progress, running } from "../../../shared/cli/progress.ts";

/** A reporter writing into a list, on a clock the test moves. */
function recorded(terminal: boolean) {
  const out: string[] = [];
  let clock = 0;
  const reporter = progress("Importing", "events", { terminal, write: (text) => out.push(text), now: () => clock });
  return { out, reporter, advance: (ms: number) => clock += ms };
}

Deno.test("progress on a terminal: one bar redrawn in place, at most every 100 ms, ending complete on a new line", () => {
  const { out, reporter, advance } = recorded(true);
  for (let done = 0; done <= 1000; done++) {
    reporter.update(done, 1000);
    advance(1);
  }
  reporter.finish();
  assert.ok(out.length >= 10 && out.length <= 13, `${out.length} redraws of 1,001 updates over 1 s`);
  assert.ok(out.slice(0, -1).every((text) => text.startsWith("\r") && !text.includes("\n")));
  assert.match(out.at(-2)!, /^\rImporting \[#{30}\] 1,000\/1,000 events \(100 %, 1\.0 s\)$/);
  assert.equal(out.at(-1), "\n");
});

Deno.test("progress elsewhere: a plain line every 5 s and the last state once at the end, never a carriage return", () => {
  const { out, reporter, advance } = recorded(false);
  for (let done = 0; done < 20; done++) {
    reporter.update(done, 20);
    advance(1000);
  }
  reporter.update(20, 20);
  reporter.finish();
  assert.deepEqual(out.map((line) => line.replace(/, [\d.]+ s\)/, ")")), [
    "Importing: 0/20 events (0 %)\n",
    "Importing: 5/20 events (25 %)\n",
    "Importing: 10/20 events (50 %)\n",
    "Importing: 15/20 events (75 %)\n",
    "Importing: 20/20 events (100 %)\n",
  ]);
});

Deno.test("running: a long operation says how long it has run until stopped, and on a terminal clears its line", async () => {
  for (const terminal of [false, true]) {
    const out: string[] = [];
    const ticker = running("backup", { terminal, write: (text) => out.push(text), everyMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    ticker.stop();
    const spoken = out.length;
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(out.length, spoken, "silent once stopped");
    const lines = terminal ? out.slice(0, -1) : out;
    assert.ok(lines.length >= 2, `${lines.length} lines`);
    for (const line of lines) {
      assert.match(line, terminal ? /^\rbackup: running, \d+ s$/ : /^backup: still running, \d+ s\n$/);
    }
    if (terminal) assert.equal(out.at(-1), "\r\x1b[K");
  }
});
