/** The service's version, from deno.json: in /health, the first log line and `--version` (CHANGELOG.md). */
import meta from "../deno.json" with { type: "json" };

export const VERSION: string = meta.version;
