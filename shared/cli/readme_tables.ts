/** The README's subject and configuration tables, generated from `functions/` and the config schema. */
import { settings } from "../config.ts";
import { renderFunctionTable } from "../client/generate.ts";
import { discoverFunctions } from "../runtime/discover.ts";

const TABLES = { subjects: subjectTable, config: configTable };

/** Markdown table of every function: subject, kind and description. */
export async function subjectTable(): Promise<string> {
  const functions = await discoverFunctions("functions");
  const rows = functions.map((f) => `| \`${f.subject}\` | ${f.fn.kind} | ${f.fn.description} |`);
  return ["| subject (after `SUBJECT_PREFIX.`) | kind | what it does |", "|---|---|---|", ...rows].join("\n");
}

/** Markdown table of every setting: variable, default and meaning. */
export function configTable(): Promise<string> {
  const rows = settings().map(({ name, fallback, meaning }) =>
    `| \`${name}\` | ${fallback === undefined ? "" : `\`${fallback}\``} | ${meaning} |`
  );
  return Promise.resolve(["| variable | default | meaning |", "|---|---|---|", ...rows].join("\n"));
}

/** README text with every generated table replaced by its current version. */
export async function renderReadme(readme: string): Promise<string> {
  for (const [name, build] of Object.entries(TABLES)) {
    const start = `<!-- ${name}:start -->`, end = `<!-- ${name}:end -->`;
    const from = readme.indexOf(start), to = readme.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md: markers "${start}" and "${end}" are missing`);
    readme = readme.slice(0, from + start.length) + "\n" + await build() + "\n" + readme.slice(to);
  }
  return readme;
}

// `deno task docs` rewrites the tables in README.md and the client's method table.
if (import.meta.main) {
  await Deno.writeTextFile("README.md", await renderReadme(await Deno.readTextFile("README.md")));
  await Deno.writeTextFile("shared/client/functions.ts", await renderFunctionTable("functions"));
}
