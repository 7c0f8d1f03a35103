/** Compose files as their tests read them (no container engine runs here): parsed, and the checks both files share. */
import assert from "node:assert/strict";
import { parse } from "yaml";

const ROOT = new URL("../", import.meta.url);

/** What the tests look at in a compose service. */
export interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: string[];
  secrets?: string[];
}

/** A compose file's services, volumes and secrets. */
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
}

/** The compose file `name` of the repository, `<<: *anchor` merged as docker compose reads it. */
export async function readCompose(name: string): Promise<ComposeFile> {
  return parse(await Deno.readTextFile(new URL(name, ROOT)), { merge: true }) as ComposeFile;
}

/** deploy/nats.conf, whose users both compose files run. */
export function natsConf(): string {
  return Deno.readTextFileSync(new URL("deploy/nats.conf", ROOT));
}

/** The variables deploy/nats.conf reads its passwords from, sorted. */
export function natsConfPasswords(): string[] {
  return [...natsConf().matchAll(/password: \$([A-Z_]+)/g)].map((m) => m[1]).sort();
}

/** The variable a `${NAME:?message}` value reads: compose refuses to start without it. */
export function requiredVariable(value: string): string | undefined {
  return /^\$\{([A-Z_]+):\?[^}]+\}$/.exec(value)?.[1];
}

/** Asserts the service reads METRICS_TOKEN_FILE from a secret the file declares and the service is given. */
export function assertMetricsTokenFromSecret(compose: ComposeFile, service: ComposeService): void {
  const secret = /^\/run\/secrets\/(.+)$/.exec(service.environment?.METRICS_TOKEN_FILE ?? "")?.[1];
  assert.ok(
    secret && service.secrets?.includes(secret) && compose.secrets?.[secret]?.file,
    "metrics token from a secret",
  );
}

/** Asserts every port the service publishes listens on this host only. */
export function assertLocalPorts(name: string, service: ComposeService): void {
  for (const port of service.ports ?? []) assert.match(port, /^127\.0\.0\.1:\d+:\d+$/, `${name}: ${port}`);
}
