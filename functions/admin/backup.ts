import { z } from "zod";
import { defineRequest } from "../../shared/function/define.ts";
import { COLD_FOLDER, COLD_SUFFIX } from "../conversation/_cold_file.ts";

const PREFIX = "rosey-db-";

export default defineRequest({
  description:
    "A consistent copy of the database (VACUUM INTO) in BACKUP_DIR under a timestamped name, with each plugin's database and the cold-storage files beside it, keeping the newest RETENTION backups=",
  // Never a caller-chosen path: the directory is configuration, the name is the time.
  input: z.object({}),
  output: z.object({
    file: z.string(),
    size_bytes: z.number(),
    /** Each plugin's copy, in the folder `<file without .db>.plugins/`. */
    plugins: z.array(z.object({ plugin: z.string(), file: z.string(), size_bytes: z.number() })),
    /** Copies of the cold-storage files (archived conversations), in `<file without .db>.cold/`. */
    cold_files: z.array(z.string()),
    /** "remote": the plugins' databases are on the server PLUGINS_DATABASE_URL names, which backs them up. */
    plugin_databases: z.enum(["copied", "remote"]),
    removed: z.array(z.string()),
    took_ms: z.number(),
  }),
  async handle(_input, ctx) {
    const started = performance.now();
    const dir = ctx.config.BACKUP_DIR;
    // Backups hold chat history: readable by the service's user alone.
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    // The time orders the names; the suffix keeps two backups of the same millisecond apart.
    const stamp = `${new Date().toISOString().replaceAll(":", "-")}-${crypto.randomUUID().slice(0, 8)}`;
    const file = `${dir}/${PREFIX}${stamp}.db`;
    // On the reader's connection: one read transaction, a consistent snapshot, and writes go on meanwhile.
    await ctx.db.run("VACUUM INTO ?", [await privateFile(file)]);
    // Measured now: a newer backup running beside this one may remove this copy as old.
    const { size } = await Deno.stat(file);
    const plugins = [];
    const names = ctx.plugins.remote ? [] : await ctx.plugins.list();
    if (names.length > 0) await Deno.mkdir(pluginsFolder(file), { mode: 0o700 });
    for (const plugin of names) {
      // A plugin dropped since the list was taken is not made again, empty, by its copy.
      const store = await ctx.existingPlugin(plugin);
      if (!store) continue;
      const copy = `${pluginsFolder(file)}/${plugin}.db`;
      await store.db.run("VACUUM INTO ?", [await privateFile(copy)]);
      plugins.push({ plugin, file: copy, size_bytes: (await Deno.stat(copy)).size });
    }
    // After the snapshot: a conversation archived meanwhile is in both copies, never in neither.
    const coldFiles = await copyColdStorage(dir, coldFolder(file));
    const backups: string[] = [];
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.startsWith(PREFIX) && entry.name.endsWith(".db")) backups.push(entry.name);
    }
    backups.sort().reverse();
    const removed = backups.slice(ctx.config.RETENTION.backups);
    for (const name of removed) {
      // A backup running beside this one may have removed it already.
      for (const path of [`${dir}/${name}`, pluginsFolder(`${dir}/${name}`), coldFolder(`${dir}/${name}`)]) {
        await Deno.remove(path, { recursive: true }).catch((error) => {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        });
      }
    }
    return {
      file,
      size_bytes: size,
      plugins,
      cold_files: coldFiles,
      plugin_databases: ctx.plugins.remote ? "remote" as const : "copied" as const,
      removed,
      took_ms: Math.round(performance.now() - started),
    };
  },
});

/** The folder of a backup's plugin databases: `rosey-db-<time>.plugins` beside `rosey-db-<time>.db`. */
function pluginsFolder(file: string): string {
  return file.replace(/\.db$/, ".plugins");
}

/** The folder of a backup's cold-storage files: `rosey-db-<time>.cold` beside `rosey-db-<time>.db`. */
function coldFolder(file: string): string {
  return file.replace(/\.db$/, ".cold");
}

/** Copies the finished cold-storage files under `dir` into `target` (made only if there are some); their copies. */
async function copyColdStorage(dir: string, target: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${dir}/${COLD_FOLDER}`)) {
      if (entry.isFile && entry.name.endsWith(COLD_SUFFIX)) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  if (names.length > 0) await Deno.mkdir(target, { mode: 0o700 });
  const copies = [];
  for (const name of names.sort()) {
    const copy = `${target}/${name}`;
    try {
      await Deno.copyFile(`${dir}/${COLD_FOLDER}/${name}`, await privateFile(copy));
      // A copy takes its source's mode: narrowed again.
      await Deno.chmod(copy, 0o600);
    } catch (error) {
      // The source emptied by restores or an erasure, or this backup removed as old, meanwhile.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      await Deno.remove(copy).catch(() => {});
      continue;
    }
    copies.push(copy);
  }
  return copies;
}

/**
 * Makes `path` an empty file only its owner can read (VACUUM INTO fills an empty file it finds, and
 * keeps its mode), so no copy is ever readable by others, not even while it is written.
 */
async function privateFile(path: string): Promise<string> {
  // The umask only narrows the mode given at creation. No chmod after it: a backup running beside
  // this one may already have removed this copy as old.
  await Deno.writeFile(path, new Uint8Array(), { createNew: true, mode: 0o600 });
  return path;
}
