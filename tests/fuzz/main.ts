/**
 * `deno task fuzz`: the campaign of tests/fuzz/schemas_test.ts at scale. FUZZ_INPUTS (10000) inputs
 * from FUZZ_SEED (18), with INGEST_MODE as the service reads it; prints what was sent and what became
 * of it, and exits 1 on any 500, unanswered request, lost event or failed /health.
 */
import { discoverFunctions } from "../../shared/runtime/discover.ts";
import { type CampaignReport, runCampaign } from "./_campaign.ts";

const inputs = Number(Deno.env.get("FUZZ_INPUTS") ?? 10_000);
const seed = Number(Deno.env.get("FUZZ_SEED") ?? 18);
if (!Number.isSafeInteger(inputs) || inputs < 1 || !Number.isSafeInteger(seed)) {
  console.error(`FUZZ_INPUTS and FUZZ_SEED must be integers: got "${inputs}" and "${seed}"`);
  Deno.exit(2);
}

// INGEST_MODE=jetstream fuzzes the JetStream ingest path instead of core subscriptions.
const ingestMode = Deno.env.get("INGEST_MODE");
console.log(`Fuzzing every subject: ${inputs} inputs, seed ${seed}${ingestMode ? `, INGEST_MODE=${ingestMode}` : ""}`);
const report = await runCampaign({
  inputs,
  seed,
  env: ingestMode ? { INGEST_MODE: ingestMode } : {},
  onProgress: (sent) => console.log(`  ${sent} sent`),
});
await print(report);
Deno.exit(problems(report).length === 0 ? 0 : 1);

/** What breaks the campaign's promises; empty when it held. */
function problems(report: CampaignReport): string[] {
  const found: string[] = [];
  if (report.internalErrors.length > 0) found.push(`${report.internalErrors.length} replies with code 500`);
  if (report.unanswered.length > 0) found.push(`${report.unanswered.length} requests without a reply`);
  if (report.health !== 200) found.push(`/health answered ${report.health}`);
  const accounted = report.stored + report.deadLettered;
  const sent = report.events + report.replayed;
  if (accounted !== sent) found.push(`${sent} events sent (replays included) but ${accounted} stored or dead-lettered`);
  const rows = report.deadLettered - report.replayed - report.purged;
  if (report.deadLetterRows !== rows) found.push(`${report.deadLetterRows} dead_letters rows, expected ${rows}`);
  return found;
}

async function print(report: CampaignReport) {
  const rows: [string, string | number][] = [
    ["inputs sent", report.inputs],
    ["requests", report.requests],
    ["events", report.events],
    ...Object.entries(report.replies).sort().map(([code, n]): [string, number] => [`replies ${code}`, n]),
    ["replies with code 500", report.internalErrors.length],
    ["requests without a reply", report.unanswered.length],
    ["events stored", report.stored],
    ["events dead-lettered", report.deadLettered],
    ["dead letters replayed", report.replayed],
    ["dead letters purged", report.purged],
    ["dead_letters rows at the end", report.deadLetterRows],
    ["/health at the end", report.health],
    ["seconds to account for events", report.settleSeconds.toFixed(1)],
    ["seconds", report.seconds.toFixed(1)],
  ];
  for (const [label, value] of rows) console.log(`${label.padEnd(30)} ${value}`);
  for (const finding of [...report.internalErrors, ...report.unanswered]) {
    console.log(`\n${finding.subject} (${finding.kind}): ${finding.error}\n  ${JSON.stringify(finding.excerpt)}`);
  }
  const requests = (await discoverFunctions("functions")).filter((f) => f.fn.kind === "request");
  const neverOk = requests.map((f) => f.subject).filter((subject) => !report.answered.has(subject));
  console.log(`\nRequest subjects never answered without an error: ${neverOk.join(", ") || "none"}`);
  const found = problems(report);
  console.log(found.length === 0 ? "\nNo problem found" : `\nProblems:\n${found.map((p) => `- ${p}`).join("\n")}`);
}
