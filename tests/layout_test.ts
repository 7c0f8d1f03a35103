/**
 * The architecture rules of the "One core" issue, checked on the files themselves: short files, a
 * shared/ that reads as a table of contents, function files that stay on the contract's side of the
 * core, and a configuration table a user can read.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAX_LINES = 300;
const MAX_LOOSE_SHARED_FILES = 6;
const MAX_SETTINGS = 30;
/**
 * Settings that features added after the core's budget was set, each with the reason a user cannot
 * do without it (tuning stays a named constant). They do not count against MAX_SETTINGS.
 */
const FEATURE_SETTINGS: Record<string, string> = {
  PLUGINS_DIR: "where plugins' migration files live is the operator's layout; nothing could guess it",
  EMBEDDING_DIMENSIONS:
    "vector columns are fixed when created, and only the operator knows which embedding model the bots use",
  PLUGINS_DATABASE_URL:
    "a remote service database leaves plugin databases no place of their own; only the operator knows their URLs",
  CONVERSATION_ARCHIVE_DAYS:
    "how long a chat app's users come back to old conversations is the app's to know; moving them out too soon costs a restore",
  JETSTREAM_REPLICAS:
    "how many NATS servers hold the stream is the cluster's size and the loss it must survive; one server cannot hold 3",
  ADMIN_TOKEN: "the admin page can replay, purge and back up: only the operator may turn it on and hold its key",
};
/** What a function file may not reach, directly or through anything it imports: transports and core internals. */
const FORBIDDEN_PATHS = ["shared/nats/", "shared/http/", "shared/runtime/", "shared/ingest/", "shared/storage/writer"];
const FORBIDDEN_PACKAGES = /^(?:npm:|jsr:)?(?:@nats-io\/|hono(?:$|[@/]))/;
/** Static imports and re-exports (`import … from`, `export … from`, `import "…"`, `import("…")` of a literal). */
const IMPORT =
  /^\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;

/** Every `.ts` file under `dir` (relative to the repository), as repository-relative paths. */
async function tsFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await tsFiles(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) files.push(path);
  }
  return files.sort();
}

function lineCount(text: string): number {
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

Deno.test(`Source files in shared/ and functions/ are at most ${MAX_LINES} lines`, async () => {
  const long: string[] = [];
  for (const file of [...await tsFiles("shared"), ...await tsFiles("functions")]) {
    const lines = lineCount(await Deno.readTextFile(join(ROOT, file)));
    if (lines > MAX_LINES) long.push(`${file}: ${lines} lines`);
  }
  assert.deepEqual(long, [], `Files over ${MAX_LINES} lines, split them by concept:\n${long.join("\n")}`);
});

Deno.test(`shared/ holds at most ${MAX_LOOSE_SHARED_FILES} loose .ts files, the rest in folders by concept`, async () => {
  const loose: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, "shared"))) {
    if (entry.isFile && entry.name.endsWith(".ts")) loose.push(`shared/${entry.name}`);
  }
  loose.sort();
  assert.ok(
    loose.length <= MAX_LOOSE_SHARED_FILES,
    `${loose.length} loose .ts files at the top of shared/, at most ${MAX_LOOSE_SHARED_FILES}: ${loose.join(", ")}`,
  );
});

/** The import map's target of a bare specifier, else the specifier itself. */
async function importMap(): Promise<(specifier: string) => string> {
  const { imports } = JSON.parse(await Deno.readTextFile(join(ROOT, "import_map.json"))) as {
    imports: Record<string, string>;
  };
  return (specifier) => {
    const prefix = Object.keys(imports).find((key) => specifier === key || specifier.startsWith(`${key}/`));
    return prefix === undefined ? specifier : imports[prefix] + specifier.slice(prefix.length);
  };
}

/** Repository-relative paths and package specifiers that `file` imports statically. */
async function importsOf(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(ROOT, file));
  return [...text.matchAll(IMPORT)].map(([, from, bare, dynamic]) => {
    const specifier = from ?? bare ?? dynamic;
    return specifier.startsWith(".") ? relative(ROOT, join(ROOT, dirname(file), specifier)) : specifier;
  });
}

Deno.test("Function files import no NATS, HTTP, router, ingest or writer module, directly or through what they import", async () => {
  const resolve = await importMap();
  const imports = new Map<string, Promise<string[]>>();
  const importsCached = (file: string) => imports.get(file) ?? imports.set(file, importsOf(file)).get(file)!;
  // One entry per offending import ("importer → target"), with the function files it reaches.
  const breaches = new Map<string, string[]>();
  let reached = 0;
  for (const start of await tsFiles("functions")) {
    const forbidden = (target: string) =>
      FORBIDDEN_PATHS.some((p) => target.startsWith(p)) || FORBIDDEN_PACKAGES.test(resolve(target));
    reached += await walkImports(start, importsCached, forbidden, (importer, target, path) => {
      const edge = `${importer} imports ${target}`;
      breaches.set(edge, [...breaches.get(edge) ?? [], path]);
    });
  }
  assert.ok(reached > 0, "No imports found in functions/: the import pattern no longer matches the code");
  const report = [...breaches].map(([edge, chains]) =>
    `${edge}, reached from ${chains.length} function file(s), e.g. ${chains[0]}`
  );
  assert.deepEqual(report, [], `Function files reaching transport or core internals:\n${report.join("\n")}`);
});

/** The edges of shared/: tools beside the service that may use function files as a library. */
const EDGES = ["shared/client/", "shared/cli/"];

Deno.test("Nothing in the service's core imports a function file: discovery loads them (the client and CLI edges may)", async () => {
  const imports = new Map<string, Promise<string[]>>();
  const importsCached = (file: string) => imports.get(file) ?? imports.set(file, importsOf(file)).get(file)!;
  const core = (await tsFiles("shared")).filter((file) => !EDGES.some((edge) => file.startsWith(edge)));
  const breaches: string[] = [];
  for (const start of core) {
    await walkImports(start, importsCached, (target) => target.startsWith("functions/"), (_, __, path) => {
      breaches.push(path);
    });
  }
  assert.ok(core.length > 20, "shared/ has no core files: the walk no longer finds them");
  assert.deepEqual(breaches, [], `Core modules reaching function files:\n${breaches.join("\n")}`);
});

/**
 * Walks the imports of `start` breadth first, each module's importer kept to name the chain that
 * reached it; reports each import `forbidden` accepts (not walking past it). Returns the modules reached.
 */
async function walkImports(
  start: string,
  importsOf: (file: string) => Promise<string[]>,
  forbidden: (target: string) => boolean,
  report: (importer: string, target: string, path: string) => void,
): Promise<number> {
  const via = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const target of await importsOf(file)) {
      if (via.has(target)) continue;
      via.set(target, file);
      if (forbidden(target)) report(file, target, chain(via, target));
      else if (target.endsWith(".ts") && !/^[a-z]+:/.test(target)) queue.push(target);
    }
  }
  return via.size - 1;
}

/** "functions/a.ts → shared/b.ts → target", from the importers recorded on the way. */
function chain(via: Map<string, string | null>, target: string): string {
  const path = [target];
  for (let file = via.get(target); file; file = via.get(file)) path.unshift(file);
  return path.join(" → ");
}

/** The settings in README's configuration table, in order. */
async function readmeSettings(): Promise<string[]> {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const [start, end] = [readme.indexOf("<!-- config:start -->"), readme.indexOf("<!-- config:end -->")];
  assert.ok(
    start >= 0 && end > start,
    'README.md: markers "<!-- config:start -->" and "<!-- config:end -->" are missing',
  );
  // Header and separator rows left out: one row per setting.
  const rows = readme.slice(start, end).split("\n").filter((line) => line.startsWith("|")).slice(2);
  return rows.map((row) => row.split("|")[1].trim().replaceAll("`", ""));
}

Deno.test(`README's configuration table lists at most ${MAX_SETTINGS} core settings`, async () => {
  const core = (await readmeSettings()).filter((name) => !Object.hasOwn(FEATURE_SETTINGS, name));
  assert.ok(
    core.length <= MAX_SETTINGS,
    `README.md's configuration table has ${core.length} core settings, at most ${MAX_SETTINGS}: make tuning a named constant, or justify a feature's setting in FEATURE_SETTINGS`,
  );
});

Deno.test("every feature setting allowed beyond the core's budget is one README lists", async () => {
  const listed = new Set(await readmeSettings());
  const stale = Object.keys(FEATURE_SETTINGS).filter((name) => !listed.has(name));
  assert.deepEqual(stale, [], `FEATURE_SETTINGS names settings README.md does not list: ${stale.join(", ")}`);
});
