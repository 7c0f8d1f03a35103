/** Names and ports other parties see, derived from the settings rather than set apart. */
import type { Config } from "../config.ts";

/** Port of the nats-server started when NATS_URL is unset: NATS's own default, where bots look first. */
export const LOCAL_NATS_PORT = 4222;

/** Name of the JetStream stream: one per subject prefix, as two streams cannot capture the same subjects. */
export function streamName(config: Pick<Config, "SUBJECT_PREFIX">): string {
  return `${config.SUBJECT_PREFIX.toUpperCase().replace(/[.-]/g, "_")}_EVENTS`;
}
