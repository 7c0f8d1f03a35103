/** Test helpers for services run as child processes: their logs and their HTTP readiness. */
import { waitFor } from "./_helpers.ts";

/** The text of `stream` (a child's stderr, say) as it arrives; `done` resolves at its end. */
export function collectText(stream: ReadableStream<Uint8Array>): { text(): string; done: Promise<void> } {
  let text = "";
  const done = stream.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (text += chunk) }),
  );
  return { text: () => text, done };
}

/** GET `base`/ready as status and body, or undefined while nothing answers. */
export async function readiness(base: string): Promise<{ status: number; body: string } | undefined> {
  const response = await fetch(base + "/ready").catch(() => undefined);
  return response ? { status: response.status, body: await response.text() } : undefined;
}

/** Resolves once `base`/ready answers 200, or when `/ready`'s body includes `reason` (then with it). */
export function waitReadiness(
  base: string,
  { reason, timeoutMs = 20_000 }: { reason?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  return waitFor(
    async () => {
      const ready = await readiness(base);
      const wanted = reason === undefined ? ready?.status === 200 : ready?.body.includes(reason);
      return wanted ? ready : undefined;
    },
    timeoutMs,
    reason ? `/ready naming "${reason}"` : "/ready 200",
  );
}
