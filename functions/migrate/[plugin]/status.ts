import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import {
  AppliedMigration,
  appliedMigrations,
  ChangedMigration,
  changedMigrations,
  currentVersion,
} from "../_records.ts";
import { openMigrations } from "../_run.ts";

export default defineRequest({
  description:
    "The plugin's current migration version, the migrations applied, the files pending, and applied migrations whose file changed since (or is gone)",
  replyStyle: "rosey",
  input: z.object({}),
  output: z.object({
    success: z.literal(true),
    current_version: z.number().int().describe("The highest applied version, 0 before any"),
    applied_migrations: z.array(AppliedMigration),
    pending_migrations: z.array(z.object({
      version: z.number().int(),
      name: z.string(),
      filename: z.string(),
      problem: z.string().optional().describe("Why apply would refuse it (a malformed file, SQL a plugin may not run)"),
    })),
    changed_migrations: z.array(ChangedMigration).describe("apply refuses to run while a file here changed"),
    ignored_files: z.array(z.object({ filename: z.string(), reason: z.string() })),
  }),
  async handle(_input, ctx) {
    // A plugin that never wrote has applied nothing: its status makes no database.
    const { store, files, ignored } = await openMigrations(ctx, true);
    const applied = store ? await appliedMigrations(store.db) : [];
    const current = currentVersion(applied);
    const done = new Set(applied.map((a) => a.version));
    const pending = files.filter((f) => f.version > current && !done.has(f.version)).map((f) => ({
      version: f.version,
      name: f.name,
      filename: f.filename,
      ...(f.up.problem ? { problem: f.up.problem } : {}),
    }));
    return {
      success: true as const,
      current_version: current,
      applied_migrations: applied,
      pending_migrations: pending,
      changed_migrations: changedMigrations(applied, files),
      ignored_files: ignored,
    };
  },
});
