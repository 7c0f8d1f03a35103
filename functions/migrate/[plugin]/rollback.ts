import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { releaseLock, runner, takeLock } from "../_lock.ts";
import { AppliedBy, oneTarget, planRollback, type RollbackTarget, Version } from "../_plan.ts";
import { appliedMigrations, currentVersion, RunMigration } from "../_records.ts";
import { openMigrations, runMigrations } from "../_run.ts";

const Target = Version.nullable().optional().describe("The version to go back to (kept); 0 undoes every migration");

export default defineRequest({
  description:
    "Rolls the plugin's migrations back to target_version (or count steps, default 1) with their DOWN sections, newest first, each in one transaction; dry_run rolls back nothing",
  replyStyle: "rosey",
  input: z.object({
    target_version: Target,
    /** Aliases the plugins' docs use. */
    version: Target,
    to_version: Target,
    count: z.number().int().min(1).max(999).optional().describe("How many migrations to undo when no version is given"),
    applied_by: AppliedBy,
    dry_run: z.boolean().default(false),
  }).superRefine((input, ctx) => {
    const targets = { target_version: input.target_version, version: input.version, to_version: input.to_version };
    oneTarget(targets, ctx);
    if (input.count !== undefined && Object.values(targets).some((v) => v !== undefined && v !== null)) {
      ctx.addIssue({ code: "custom", path: ["count"], message: "give either a version or a count, not both" });
    }
  }),
  output: z.object({
    success: z.literal(true),
    rolled_back: z.array(RunMigration).describe("Migrations rolled back (on a dry run: that would be), newest first"),
    current_version: z.number().int(),
    dry_run: z.boolean(),
    message: z.string().optional(),
  }),
  async handle(input, ctx) {
    const { plugin, store, files } = await openMigrations(ctx);
    const version = input.target_version ?? input.version ?? input.to_version;
    const target: RollbackTarget = version == null ? { count: input.count ?? 1 } : { version };
    const reply = (rolled_back: RunMigration[], current_version: number, message?: string) => ({
      success: true as const,
      rolled_back,
      current_version,
      dry_run: input.dry_run,
      ...(message ? { message } : rolled_back.length === 0 ? { message: "No migrations to roll back" } : {}),
    });
    const options = { direction: "rollback" as const, plugin, by: input.applied_by };
    if (input.dry_run) {
      const applied = await appliedMigrations(store.db);
      const from = currentVersion(applied);
      const ran = await runMigrations(store, planRollback(files, applied, target), { ...options, from });
      return reply(ran, from, "Dry run: the DOWN sections ran in a transaction that was rolled back; nothing changed");
    }
    const lock = await takeLock(store, plugin, runner(input.applied_by));
    try {
      const applied = await appliedMigrations(store.db);
      const from = currentVersion(applied);
      const ran = await runMigrations(store, planRollback(files, applied, target), { ...options, from, lock });
      return reply(ran, currentVersion(await appliedMigrations(store.db)));
    } finally {
      await releaseLock(store, lock).catch((error) =>
        ctx.log.warn("Releasing the migration lock failed", { plugin, error: (error as Error).message })
      );
    }
  },
});
