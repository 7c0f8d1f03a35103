/** Finds function files under a directory and maps each path to its subject. */
import { type Config, ConfigError } from "../config.ts";
import { isFunction, type RoseyFunction } from "../function/define.ts";

/** A loaded function file and the subject it serves. */
export interface LoadedFunction {
  /** Path relative to the working directory, for messages: `functions/user/joined.ts`. */
  file: string;
  /** Subject without the prefix, `*` for each `[name]` token: `kv.*.get`. */
  subject: string;
  /** Token index → parameter name, for `[name]` tokens. */
  params: Map<number, string>;
  fn: RoseyFunction;
}

const EXAMPLE =
  `export default defineEvent({ description: "…", input: z.object({ … }), async handle(input, ctx) { … } })`;
const TOKEN = /^[A-Za-z0-9_-]+$/;
const PARAM = /^\[([A-Za-z_][A-Za-z0-9_]*)\]$/;

/** Walks `dir`, imports every function file and validates its default export. */
export async function discoverFunctions(dir: string): Promise<LoadedFunction[]> {
  const files: string[] = [];
  await walk(dir, files);
  files.sort();
  const loaded: LoadedFunction[] = [];
  const bySubject = new Map<string, string>();
  for (const file of files) {
    const { tokens, params } = subjectOf(file.slice(dir.length + 1), file);
    const subject = tokens.join(".");
    const other = bySubject.get(subject);
    if (other) throw new Error(`Cannot load function "${file}": subject "${subject}" is already served by "${other}"`);
    bySubject.set(subject, file);
    loaded.push({ file, subject, params, fn: await importFunction(file) });
  }
  return loaded;
}

async function walk(dir: string, files: string[]) {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) await walk(path, files);
    else if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) files.push(path);
  }
}

/** Maps `user/joined.ts` to `user.joined` and `kv/[plugin]/get.ts` to `kv.*.get`. */
export function subjectOf(relative: string, file = relative): { tokens: string[]; params: Map<number, string> } {
  const segments = relative.replace(/\.ts$/, "").split("/").flatMap((s) => PARAM.test(s) ? [s] : s.split("."));
  const params = new Map<number, string>();
  const tokens = segments.map((segment, index) => {
    const param = PARAM.exec(segment);
    if (param) {
      params.set(index, param[1]);
      return "*";
    }
    if (!TOKEN.test(segment)) {
      throw new Error(
        `Cannot load function "${file}": "${segment}" is not a valid subject token (letters, digits, "_" and "-", or "[name]")`,
      );
    }
    return segment;
  });
  return { tokens, params };
}

/** Imports one function file and checks its default export against the contract. */
export async function importFunction(file: string): Promise<RoseyFunction> {
  let module: Record<string, unknown>;
  try {
    module = await import(new URL(file, `file://${Deno.cwd()}/`).href);
  } catch (error) {
    throw new Error(`Cannot load function "${file}": import failed: ${(error as Error).message}`);
  }
  if (!("default" in module)) throw new Error(`Cannot load function "${file}": no default export; expected ${EXAMPLE}`);
  if (!isFunction(module.default)) {
    throw new Error(
      `Cannot load function "${file}": default export is not built by defineEvent or defineRequest; expected ${EXAMPLE}`,
    );
  }
  const fn = module.default;
  if (typeof fn.description !== "string" || fn.description.trim() === "") {
    throw new Error(`Cannot load function "${file}": description must be a non-empty string`);
  }
  if (typeof fn.input?.safeParse !== "function") {
    throw new Error(`Cannot load function "${file}": input must be a zod schema`);
  }
  if (fn.kind === "request" && typeof fn.output?.safeParse !== "function") {
    throw new Error(`Cannot load function "${file}": output must be a zod schema`);
  }
  if (typeof fn.handle !== "function") throw new Error(`Cannot load function "${file}": handle must be a function`);
  return fn;
}

/** Options of {@linkcode matchesFilter}. */
export interface MatchesFilterOptions {
  /** SUBJECT_PREFIX: a glob may also name the full subject (`rosey.db.user.*`). */
  prefix?: string;
}

/**
 * Whether `subject` (without prefix) matches one of the comma-separated globs (`*` matches anything),
 * each written without the prefix (`user.*`) or, when `options.prefix` is given, with it (`rosey.db.user.*`).
 */
export function matchesFilter(subject: string, filter: string, options: MatchesFilterOptions = {}): boolean {
  const forms = options.prefix ? [subject, `${options.prefix}.${subject}`] : [subject];
  return filter.split(",").map((g) => g.trim()).filter(Boolean).some((glob) => {
    const pattern = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
    const regex = new RegExp(`^${pattern}$`);
    return forms.some((form) => regex.test(form));
  });
}

/** The functions `FUNCTIONS` selects; a glob that selects none is a typo that would leave its subjects unserved. */
export function selectFunctions<F extends { subject: string }>(functions: F[], config: Config): F[] {
  const options = { prefix: config.SUBJECT_PREFIX };
  const globs = config.FUNCTIONS.split(",").map((glob) => glob.trim()).filter(Boolean);
  const unmatched = globs.filter((glob) => !functions.some((f) => matchesFilter(f.subject, glob, options)));
  if (unmatched.length > 0) {
    const families = [...new Set(functions.map((f) => f.subject.split(".")[0]))].join(", ");
    throw new ConfigError(
      unmatched.map((glob) =>
        `FUNCTIONS: "${glob}" matches no subject (subjects begin with ${families}; GET /functions lists them all)`
      ),
    );
  }
  return functions.filter((f) => matchesFilter(f.subject, config.FUNCTIONS, options));
}
