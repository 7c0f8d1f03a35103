import { z } from "zod";
import { defineRequest } from "../../../shared/function/define.ts";
import { releaseLock, runner, takeLock } from "../_lock.ts";
import { AppliedBy, oneTarget, planApply, Version } from "../_plan.ts";
import { appliedMigrations, currentVersion, RunMigration } from "../_records.ts";
import { openMigrations, runMigrations } from "../_run.ts";

const Target = z.union([z.literal("latest"), Version]).nullable().optional()
  .describe('A version, or "latest" (the default): the last file');

export default defineRequest({
  description:
    "Applies the plugin's pending migrations from PLUGINS_DIR/<plugin>/migrations up to target_version, each in one transaction; dry_run runs them in a transaction that is rolled back",
  replyStyle: "rosey",
  input: z.object({
    target_version: Target,
    /** Aliases the plugins' docs use. */
    version: Target,
    to_version: Target,
    applied_by: AppliedBy,
    dry_run: z.boolean().default(false),
  }).superRefine((input, ctx) =>
    oneTarget({ target_version: input.target_version, version: input.version, to_version: input.to_version }, ctx)
  ),
  output: z.object({
    success: z.literal(true),
    applied: z.array(RunMigration).describe("Migrations applied (on a dry run: that would be), in order"),
    applied_migrations: z.array(RunMigration).describe("The same list under the name Rosey's CI script reads"),
    current_version: z.number().int(),
    dry_run: z.boolean(),
    message: z.string().optional(),
  }),
  async handle(input, ctx) {
    const { plugin, store, files } = await openMigrations(ctx);
    const requested = input.target_version ?? input.version ?? input.to_version;
    const target = requested === "latest" || requested == null ? undefined : requested;
    const reply = (applied: RunMigration[], current_version: number, message?: string) => ({
      success: true as const,
      applied,
      applied_migrations: applied,
      current_version,
      dry_run: input.dry_run,
      ...(message ? { message } : applied.length === 0 ? { message: "No pending migrations" } : {}),
    });
    if (input.dry_run) {
      const applied = await appliedMigrations(store.db);
      const from = currentVersion(applied);
      const plan = planApply(files, applied, target);
      const ran = await runMigrations(store, plan, { direction: "apply", plugin, by: input.applied_by, from });
      return reply(ran, from, "Dry run: the migrations ran in a transaction that was rolled back; nothing changed");
    }
    const lock = await takeLock(store, plugin, runner(input.applied_by));
    try {
      const applied = await appliedMigrations(store.db);
      const from = currentVersion(applied);
      const plan = planApply(files, applied, target);
      const ran = await runMigrations(store, plan, { direction: "apply", plugin, by: input.applied_by, from, lock });
      return reply(ran, ran.at(-1)?.version ?? from);
    } finally {
      await releaseLock(store, lock).catch((error) =>
        ctx.log.warn("Releasing the migration lock failed", { plugin, error: (error as Error).message })
      );
    }
  },
});
