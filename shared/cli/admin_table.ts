/** Plain-text tables and key/value blocks for the admin command line, safe to print on a terminal. */

/** A cell as text: control characters shown escaped (a stored payload must not drive the terminal), cut to `max`. */
export function cell(value: unknown, max = 60): string {
  const text = value === null || value === undefined
    ? "-"
    : typeof value === "string"
    ? value
    : typeof value === "object"
    ? JSON.stringify(value)
    : String(value);
  // deno-lint-ignore no-control-regex
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1));
  const chars = [...safe];
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : safe;
}

/** Rows as aligned columns under a header; `(none)` when there are no rows. */
export function table(columns: string[], rows: unknown[][]): string {
  if (rows.length === 0) return "(none)";
  const text = rows.map((row) => row.map((value) => cell(value)));
  const widths = columns.map((name, i) => Math.max([...name].length, ...text.map((row) => [...row[i]].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => i === cells.length - 1 ? c : c + " ".repeat(widths[i] - [...c].length)).join("  ").trimEnd();
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...text.map(line)].join("\n");
}

/** Name/value lines, nested objects flattened with dots (`deleted.recent_chat  3`). */
export function keyValues(value: Record<string, unknown>): string {
  const pairs: [string, unknown][] = [];
  const walk = (node: Record<string, unknown>, path: string) => {
    for (const [key, field] of Object.entries(node)) {
      const name = path ? `${path}.${key}` : key;
      if (field && typeof field === "object" && !Array.isArray(field)) walk(field as Record<string, unknown>, name);
      else pairs.push([name, Array.isArray(field) ? field.map((item) => cell(item, 200)).join(", ") || "-" : field]);
    }
  };
  walk(value, "");
  const width = Math.max(...pairs.map(([name]) => name.length));
  return pairs.map(([name, field]) => `${name.padEnd(width)}  ${cell(field, 200)}`).join("\n");
}

/** Unix seconds as `2025-01-31 12:00:00Z`. */
export function time(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "-";
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** Bytes in a unit a person reads (`1.5 MiB`). */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n, unit = 0;
  while (value >= 1024 && unit < units.length - 1) value /= 1024, unit++;
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}
