/**
 * `deno task admin <command>`: the operator's command line over NATS, with the service's own NATS
 * settings (NATS_URL, NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_CREDS_FILE, ...). Tables on a terminal,
 * `--json` for scripts; every request names the actor (`--actor`, default the OS user) for the audit line.
 * Exit status: 0 done, 1 the service answered an error or a check found a problem, 2 bad arguments or
 * settings, 3 no answer (NATS or the service not reachable), 4 refused by NATS (authorization, permissions).
 */
import { running } from "./progress.ts";
import { userInfo } from "node:os";
import { ConfigError } from "../config/error.ts";
import { loadConfig } from "../config.ts";
import { ACTOR_MAX_LENGTH, actorOf } from "../runtime/audit.ts";
import { type CommandArgs, COMMANDS } from "./admin_commands.ts";
import { AdminError, EXIT, exitCodeOf, openLink } from "./admin_link.ts";

/** Default request timeout; long operations (backup, maintenance, integrity) set their own. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** Options that take no value. */
const FLAGS = new Set(["json", "all", "vacuum", "include-revoked", "help"]);

/** Runs one command line; resolves to the exit status. `print` and `fail` take stdout's and stderr's text. */
export async function runAdmin(
  argv: string[],
  env: Record<string, string | undefined>,
  print: (text: string) => void = console.log,
  fail: (text: string) => void = console.error,
): Promise<number> {
  let json = false;
  try {
    const { words, args } = parse(argv);
    json = args.options.json === true;
    const command = COMMANDS.find((c) => c.words === words.slice(0, c.words.split(" ").length).join(" "));
    if (args.options.help === true || words.length === 0) {
      print(usage());
      return words.length === 0 && args.options.help !== true ? EXIT.usage : EXIT.ok;
    }
    if (!command) throw new AdminError(`Unknown command "${words.join(" ")}" (see --help)`, EXIT.usage);
    args.positional = words.slice(command.words.split(" ").length);
    const natsUrl = args.options["nats-url"];
    const config = loadConfig(env, typeof natsUrl === "string" ? ["--nats-url", natsUrl] : []);
    const actor = actorNamed(args.options.actor, env);
    const timeout = args.options.timeout;
    const timeoutMs = typeof timeout === "string" && /^\d+$/.test(timeout)
      ? Number(timeout)
      : command.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const link = await openLink(config, { actor, timeoutMs });
    // A long operation says it is still running, on stderr: stdout keeps the result alone.
    const ticker = command.timeoutMs ? running(command.words) : undefined;
    try {
      const result = await command.run(link, args).finally(() => ticker?.stop());
      print(json ? JSON.stringify(result.value, null, 2) : result.text);
      return result.problem ? EXIT.failed : EXIT.ok;
    } finally {
      await link.close();
    }
  } catch (error) {
    const lines = error instanceof ConfigError ? error.problems : [(error as Error).message];
    const code = error instanceof ConfigError ? EXIT.usage : exitCodeOf(error);
    if (json) fail(JSON.stringify({ error: { message: lines.join("; "), exit_status: code } }));
    else for (const line of lines) fail(`admin: ${line}`);
    return code;
  }
}

/** Command words first (`dead-letters list`), then `--name value`, `--name=value` or `--flag`. */
function parse(argv: string[]): { words: string[]; args: CommandArgs } {
  const words: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-h") options.help = true;
    else if (arg.startsWith("--")) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
      if (FLAGS.has(name)) options[name] = true;
      else if (inline !== undefined) options[name] = inline;
      else if (i + 1 < argv.length) options[name] = argv[++i];
      else throw new AdminError(`--${name}: needs a value`, EXIT.usage);
    } else words.push(arg.replaceAll("_", "-"));
  }
  return { words, args: { options, positional: [] } };
}

/** `--actor`, else the OS user; refused (exit 2) when the service would refuse it. */
function actorNamed(given: string | true | undefined, env: Record<string, string | undefined>): string {
  if (given === true) throw new AdminError("--actor: needs a value", EXIT.usage);
  const actor = given ?? (env.USER || env.LOGNAME || env.USERNAME || osUser());
  try {
    const valid = actorOf({ get: () => actor });
    if (valid) return valid;
  } catch {
    // Said below, with the rule.
  }
  throw new AdminError(`--actor: 1 to ${ACTOR_MAX_LENGTH} characters, no control characters`, EXIT.usage);
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "";
  }
}

/** The help text: every command with its options. */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.words.length));
  return [
    "Usage: deno task admin <command> [options] [--json] [--actor NAME] [--timeout MS] [--nats-url URL]",
    "",
    "Commands:",
    ...COMMANDS.map((c) =>
      `  ${c.words.padEnd(width)}  ${c.summary}${c.usage ? `\n  ${" ".repeat(width)}    ${c.usage}` : ""}`
    ),
    "",
    "NATS settings come from the service's environment: NATS_URL (default nats://127.0.0.1:4222),",
    "NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED, NATS_CREDS_FILE, NATS_TLS_CA/CERT/KEY (and *_FILE).",
    "Exit status: 0 done, 1 error reply or failed check, 2 usage, 3 not reachable, 4 refused by NATS.",
  ].join("\n");
}

if (import.meta.main) Deno.exit(await runAdmin(Deno.args, Deno.env.toObject()));
