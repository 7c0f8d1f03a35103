/** The import's report: per plugin, each table (Rosey's → the plugin's, rows), keys and migrations. */
import type { ImportPlan, PluginPlan } from "./plan.ts";
import type { Written } from "./write.ts";

/** What one plugin received (or, on a dry run, would receive). */
export interface PluginReport {
  plugin: string;
  database: string;
  tables: { source: string; target: string; sqlName: string; made: string; rows: number; why: string }[];
  keys: { imported: number; expired: string[]; unreadable: string[] };
  migrations: { recorded: number; applied: number; currentVersion: number; versions: string[] };
  notes: string[];
}

/** The whole report. */
export interface ImportReport {
  file: string;
  dryRun: boolean;
  plugins: PluginReport[];
  left: ImportPlan["left"];
}

/** The report of one plugin from its plan and what was written (counted in the database itself). */
export function pluginReport(plan: PluginPlan, database: string, written: Written): PluginReport {
  const applied = plan.migrations.filter((m) => m.status === "applied");
  return {
    plugin: plan.plugin,
    database,
    tables: plan.tables.map((table) => ({
      source: table.source,
      target: table.target,
      sqlName: table.sqlName,
      made: table.made,
      rows: written.tables.find((t) => t.source === table.source)!.rows,
      why: table.why,
    })),
    keys: { imported: written.keys, expired: plan.expired, unreadable: plan.unreadable },
    migrations: {
      recorded: written.migrations,
      applied: applied.length,
      currentVersion: Math.max(0, ...applied.map((m) => m.version)),
      versions: plan.migrations.map((m) => `v${m.version} ${m.name} (${m.status}, ${m.checksum.slice(0, 12)}…)`),
    },
    notes: plan.notes,
  };
}

/** The report as lines of text. */
export function formatReport(report: ImportReport): string {
  const lines = [
    `Rosey plugin data in ${report.file}${
      report.dryRun ? " (dry run: nothing was written)" : ""
    }; the file is left unchanged`,
  ];
  for (const p of report.plugins) {
    lines.push("", `${p.plugin} → ${p.database}`);
    for (const t of p.tables) {
      const name = t.sqlName === t.target ? `"${t.target}"` : `"${t.target}" (table "${t.sqlName}")`;
      lines.push(`  table "${t.source}" → ${name}: ${t.rows} rows, ${t.why}`);
    }
    const skipped = [
      ...(p.keys.expired.length ? [`${p.keys.expired.length} expired skipped (${list(p.keys.expired)})`] : []),
      ...(p.keys.unreadable.length
        ? [`${p.keys.unreadable.length} not JSON skipped, Rosey read them as missing (${list(p.keys.unreadable)})`]
        : []),
    ];
    lines.push(`  keys: ${p.keys.imported} imported${skipped.length ? `, ${skipped.join(", ")}` : ""}`);
    if (p.migrations.recorded > 0) {
      lines.push(
        `  migrations: ${p.migrations.recorded} recorded, ${p.migrations.applied} applied, current_version ${p.migrations.currentVersion}`,
      );
      for (const version of p.migrations.versions) lines.push(`    ${version}`);
    }
    for (const note of p.notes) lines.push(`  note: ${note}`);
  }
  if (report.left.length > 0) {
    lines.push("", "Left in the Rosey file:");
    for (const left of report.left) {
      lines.push(`  ${left.table ? `table "${left.table}"` : `plugin "${left.plugin}"`}: ${left.what}, ${left.reason}`);
    }
  }
  const total = (pick: (p: PluginReport) => number) => report.plugins.reduce((sum, p) => sum + pick(p), 0);
  lines.push(
    "",
    `${report.plugins.length} plugins: ${total((p) => p.tables.reduce((s, t) => s + t.rows, 0))} rows in ${
      total((p) => p.tables.length)
    } tables, ${total((p) => p.keys.imported)} keys (${total((p) => p.keys.expired.length)} expired skipped), ${
      total((p) => p.migrations.recorded)
    } migration records`,
  );
  return lines.join("\n");
}

function list(keys: string[]): string {
  const shown = keys.slice(0, 5).map((key) => JSON.stringify(key)).join(", ");
  return keys.length > 5 ? `${shown}, …` : shown;
}
