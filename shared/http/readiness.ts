/** Readiness reasons that the main thread and the ingest thread both check for their own parts. */
import type { JetStreamIngest } from "../nats/jetstream.ts";
import type { NatsLink } from "../nats/connection.ts";
import type { Router } from "../runtime/router.ts";

/** Why `links`, `router`'s subscriptions or `ingest` keep this thread from serving; empty when nothing does. */
export function servingProblems(
  links: (NatsLink | undefined)[],
  router: Router | undefined,
  ingest?: JetStreamIngest,
): string[] {
  const reasons = [];
  for (const link of links) {
    if (!link || link.connected()) continue;
    const refusal = link.refusal();
    reasons.push(`nats: ${link.role} connection down${refusal ? `: ${refusal}` : ""}`);
  }
  if (router && router.subscribed < router.expectedSubscriptions) {
    reasons.push(`functions: ${router.subscribed} of ${router.expectedSubscriptions} subscribed`);
  }
  for (const refusal of router?.refusals() ?? []) reasons.push(`functions: ${refusal}`);
  const problem = ingest?.problem();
  if (problem) reasons.push(`jetstream: ${problem}`);
  return reasons;
}
