/** `stats`: every instance's per-subject figures from NATS service discovery (`$SRV.STATS.rosey-db`). */
import type { AdminLink } from "./admin_link.ts";
import { AdminError, EXIT } from "./admin_link.ts";
import type { CommandResult } from "./admin_commands.ts";
import { table } from "./admin_table.ts";
import { SERVICE_NAME } from "../nats/service_discovery.ts";

/** How long to gather the replies of every instance. */
const GATHER_MS = 1000;

interface InstanceStats {
  id: string;
  started: string;
  endpoints: {
    subject: string;
    num_requests: number;
    num_errors: number;
    average_processing_time: number;
    last_error?: string;
  }[];
}

/** Each instance's endpoint stats; with `all` false, only subjects that had requests. */
export async function serviceStats(link: AdminLink, all: boolean): Promise<CommandResult> {
  const instances: InstanceStats[] = [];
  const replies = await link.nc.requestMany(`$SRV.STATS.${SERVICE_NAME}`, "", { maxWait: GATHER_MS }).catch(
    (error) => {
      throw new AdminError(`$SRV.STATS: ${(error as Error).message}`, EXIT.unreachable);
    },
  );
  for await (const reply of replies) {
    if (reply.data.length > 0) instances.push(reply.json<InstanceStats>());
  }
  if (instances.length === 0) {
    throw new AdminError(
      `No rosey-db instance answered $SRV.STATS.${SERVICE_NAME}: is the service running?`,
      EXIT.unreachable,
    );
  }
  const rows = instances.flatMap((instance) =>
    instance.endpoints
      .filter((e) => all || e.num_requests > 0)
      .sort((a, b) => b.num_requests - a.num_requests)
      .map((e) => [
        instance.id.slice(0, 8),
        e.subject,
        e.num_requests,
        e.num_errors,
        (e.average_processing_time / 1e6).toFixed(2),
        e.last_error || "-",
      ])
  );
  return {
    value: instances,
    text: `${instances.length} instance(s)\n` +
      table(["INSTANCE", "SUBJECT", "REQUESTS", "ERRORS", "AVG MS", "LAST ERROR"], rows),
  };
}
