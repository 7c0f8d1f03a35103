/** The admin commands: each calls the typed client and renders its reply as a table (or returns it for --json). */
import type { AdminLink } from "./admin_link.ts";
import { AdminError, EXIT } from "./admin_link.ts";
import { bytes, keyValues, table, time } from "./admin_table.ts";
import { serviceStats } from "./admin_stats.ts";

/** Options given after the command words: `--name value`, `--flag`, and positional words. */
export interface CommandArgs {
  options: Record<string, string | true>;
  positional: string[];
}

/** What a command answers: the reply (printed as JSON with --json), its text, and whether it found a problem. */
export interface CommandResult {
  value: unknown;
  text: string;
  /** A check that ran and found a problem (health not ok, integrity problems): exit status 1. */
  problem?: boolean;
}

/** One admin command. */
export interface Command {
  words: string;
  usage: string;
  summary: string;
  /** Default request timeout in milliseconds for this command (long operations wait longer). */
  timeoutMs?: number;
  run(link: AdminLink, args: CommandArgs): Promise<CommandResult>;
}

const LONG_MS = 120_000;

/** Every command, in the order `--help` lists them. */
export const COMMANDS: Command[] = [
  {
    words: "dead-letters list",
    usage: "[--subject S] [--before TIME] [--ids 1,2] [--limit N] [--before-id ID]",
    summary: "Dead letters, newest first (payload cut in the table; whole with --json)",
    async run(link, args) {
      const rows = await link.client.adminDeadLettersList({
        ...filterOf(args),
        limit: integer(args, "limit") ?? 20,
        before_id: integer(args, "before-id"),
      });
      return {
        value: rows,
        text: table(
          ["ID", "RECEIVED", "SUBJECT", "CODE", "BYTES", "ERROR", "PAYLOAD"],
          rows.map((r) => [r.id, time(r.received_at), r.subject, r.error_code, r.payload_bytes, r.error, r.payload]),
        ),
      };
    },
  },
  {
    words: "dead-letters replay",
    usage: "(--ids 1,2 | --subject S | --before TIME) [--limit N]",
    summary: "Publish dead letters again on their subjects and remove them",
    async run(link, args) {
      const reply = await link.client.adminDeadLettersReplay({ ...filterOf(args), limit: integer(args, "limit") });
      return { value: reply, text: `Replayed ${reply!.replayed} dead letter(s)` };
    },
  },
  {
    words: "dead-letters purge",
    usage: "(--ids 1,2 | --subject S | --before TIME | --all)",
    summary: "Delete dead letters",
    async run(link, args) {
      const reply = await link.client.adminDeadLettersPurge({ ...filterOf(args), all: args.options.all === true });
      return { value: reply, text: `Purged ${reply!.purged} dead letter(s)` };
    },
  },
  {
    words: "backup",
    usage: "",
    summary: "A consistent copy of the database (and each plugin's) in BACKUP_DIR",
    timeoutMs: LONG_MS,
    async run(link) {
      const reply = (await link.client.adminBackup())!;
      const plugins = reply.plugins.length > 0
        ? `\n${table(["PLUGIN", "SIZE", "FILE"], reply.plugins.map((p) => [p.plugin, bytes(p.size_bytes), p.file]))}`
        : "";
      return {
        value: reply,
        text: `Backup written: ${reply.file} (${bytes(reply.size_bytes)}, ${reply.took_ms} ms); ` +
          `plugin databases ${reply.plugin_databases}; ${reply.removed.length} old backup(s) removed${plugins}`,
      };
    },
  },
  {
    words: "health",
    usage: "",
    summary: "Database reachable, tables present, migrations applied (exit 1 unless ok)",
    async run(link) {
      const reply = (await link.client.adminHealth())!;
      return {
        value: reply,
        text: keyValues({ ...reply, size_bytes: bytes(reply.size_bytes) }),
        problem: reply.status !== "ok",
      };
    },
  },
  {
    words: "integrity",
    usage: "",
    summary: "PRAGMA integrity_check and foreign_key_check (exit 1 on a problem)",
    timeoutMs: LONG_MS,
    async run(link) {
      const reply = (await link.client.adminIntegrity())!;
      return { value: reply, text: keyValues(reply), problem: !reply.ok };
    },
  },
  {
    words: "maintenance",
    usage: "[--vacuum]",
    summary: "Delete what outlived its retention, archive, optimize; VACUUM with --vacuum",
    timeoutMs: LONG_MS,
    async run(link, args) {
      const reply = (await link.client.adminMaintenance({ vacuum: args.options.vacuum === true }))!;
      return { value: reply, text: keyValues(reply) };
    },
  },
  {
    words: "stats",
    usage: "[--all]",
    summary: "Per-subject requests, errors and average time of each instance ($SRV.STATS)",
    run: (link, args) => serviceStats(link, args.options.all === true),
  },
  {
    words: "tokens list",
    usage: "[--include-revoked]",
    summary: "API tokens (previews only)",
    async run(link, args) {
      const rows = await link.client.tokenList({ include_revoked: args.options["include-revoked"] === true });
      return {
        value: rows,
        text: table(
          ["PREVIEW", "CREATED", "LAST USED", "REVOKED", "DESCRIPTION"],
          rows.map((
            r,
          ) => [r.token_preview, time(r.created_at), time(r.last_used), r.revoked ? "yes" : "no", r.description]),
        ),
      };
    },
  },
  {
    words: "tokens create",
    usage: "[--description TEXT]",
    summary: "Create an API token; it is shown once",
    async run(link, args) {
      const reply = (await link.client.tokenCreate({ description: text(args, "description") }))!;
      return { value: reply, text: `${reply.token}\n(shown once: only its hash is stored)` };
    },
  },
  {
    words: "tokens revoke",
    usage: "(--prefix FIRST8 | --token -)",
    summary: "Revoke a token by its first characters, or by its value read from stdin",
    async run(link, args) {
      const prefix = text(args, "prefix");
      const given = text(args, "token");
      if (given !== undefined && given !== "-") {
        throw new AdminError("--token: pass - and the token on stdin (a token in arguments shows in ps)", EXIT.usage);
      }
      const input = prefix !== undefined
        ? { token_prefix: prefix }
        : given === "-"
        ? { token: (await new Response(Deno.stdin.readable).text()).trim() }
        : undefined;
      if (!input) throw new AdminError("tokens revoke: give --prefix FIRST8 or --token - (token on stdin)", EXIT.usage);
      const reply = (await link.client.tokenRevoke(input))!;
      return { value: reply, text: `Revoked ${reply.revoked} token(s)`, problem: reply.revoked === 0 };
    },
  },
  {
    words: "plugins list",
    usage: "",
    summary: "Plugins with a database: size, keys, tables and rows",
    async run(link) {
      const { plugins } = await link.client.adminPluginsList();
      return {
        value: { plugins },
        text: table(
          ["PLUGIN", "SIZE", "KEYS", "TABLES"],
          plugins.map((
            p,
          ) => [p.plugin, bytes(p.size_bytes), p.keys, p.tables.map((t) => `${t.name} (${t.rows})`).join(", ")]),
        ),
      };
    },
  },
  {
    words: "plugins drop",
    usage: "NAME --confirm NAME",
    summary: "Delete a plugin's database (every key, row and migration record)",
    async run(link, args) {
      const [plugin] = args.positional;
      if (!plugin) throw new AdminError("plugins drop: name the plugin (plugins drop NAME --confirm NAME)", EXIT.usage);
      const reply = (await link.client.adminPluginsDrop({ plugin, confirm: text(args, "confirm") ?? "" }))!;
      return {
        value: reply,
        text: reply.dropped ? `Dropped plugin ${plugin}'s database` : `Plugin ${plugin} had no database`,
      };
    },
  },
];

/** The dead-letter filter options: --ids, --subject, --before (Unix seconds or an ISO date). */
function filterOf(args: CommandArgs) {
  const ids = text(args, "ids")?.split(",").map((id) => wholeNumber("ids", id.trim()));
  const before = text(args, "before");
  return {
    ids,
    subject: text(args, "subject"),
    before: before === undefined ? undefined : /^\d+$/.test(before) ? Number(before) : unixSeconds(before),
  };
}

function unixSeconds(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AdminError(`--before: Unix seconds or an ISO date, got "${value}"`, EXIT.usage);
  return Math.floor(ms / 1000);
}

function text(args: CommandArgs, name: string): string | undefined {
  const value = args.options[name];
  if (value === true) throw new AdminError(`--${name}: needs a value`, EXIT.usage);
  return value;
}

function integer(args: CommandArgs, name: string): number | undefined {
  const value = text(args, name);
  return value === undefined ? undefined : wholeNumber(name, value);
}

function wholeNumber(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new AdminError(`--${name}: a whole number, got "${value}"`, EXIT.usage);
  return Number(value);
}
