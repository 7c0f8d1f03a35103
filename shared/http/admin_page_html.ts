/**
 * The admin page's HTML, rendered on the server: every value passes through {@linkcode escapeHtml},
 * and the page's one script (admin_page_assets.ts) writes text only, never markup.
 */
import { VERSION } from "../version.ts";

/** A subject's message counts by outcome, as the metrics registry holds them since start. */
export interface SubjectCounts {
  subject: string;
  kind: "event" | "request";
  ok: number;
  invalid: number;
  /** Requests that failed (500, 503, …). */
  error: number;
  /** Events stored as dead letters for a reason other than their input. */
  dead_letter: number;
}

/** One row of admin.dead_letters.list. */
export interface DeadLetterRow {
  id: number;
  subject: string;
  payload: string;
  payload_bytes: number;
  error_code: string;
  error: string;
  received_at: number;
}

/** One backup file in BACKUP_DIR. */
export interface BackupFile {
  name: string;
  size_bytes: number;
  modified: Date | null;
}

/** Everything the dashboard shows. */
export interface Dashboard {
  reasons: string[];
  subjects: SubjectCounts[];
  /** Undefined when this instance does not serve admin.dead_letters.list (FUNCTIONS). */
  deadLetters?: DeadLetterRow[];
  deadLetterLimit: number;
  backups: BackupFile[];
  backupDir: string;
  /** Whether this instance serves admin.backup. */
  canBackUp: boolean;
  /** What the last action did, or why it failed. */
  notice?: { text: string; error?: boolean };
}

/** Characters of a dead letter's payload shown in the table; the rest is cut. */
const PAYLOAD_SHOWN = 160;

/** `text` safe inside HTML text and double- or single-quoted attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page around `body`: the stylesheet and script are files of their own, so the CSP allows no inline code. */
function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/admin/page.css">
<script src="/admin/page.js" defer></script>
</head>
<body>
${body}
</body>
</html>
`;
}

/** The login form: the token is posted once and answered with an HttpOnly session cookie. */
export function loginPage(problem?: string): string {
  return page(
    "rosey-db admin",
    `<main class="login">
<h1>rosey-db admin</h1>
${problem ? `<p class="notice error" role="alert">${escapeHtml(problem)}</p>` : ""}
<form method="post" action="/admin/login">
<label for="token">Admin token (ADMIN_TOKEN)</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button>
</form>
</main>`,
  );
}

/** The dashboard: readiness, per-subject traffic, dead letters with their actions, the last backups. */
export function dashboardPage(view: Dashboard): string {
  const ready = view.reasons.length === 0;
  return page(
    "rosey-db admin",
    `<header>
<h1>rosey-db admin <small>${escapeHtml(VERSION)}</small></h1>
<span id="readiness" class="badge ${ready ? "ok" : "bad"}">${ready ? "Ready" : "Not ready"}</span>
<form method="post" action="/admin/logout"><button type="submit" class="quiet">Log out</button></form>
</header>
<main>
${
      view.notice
        ? `<p class="notice${view.notice.error ? " error" : ""}" role="status">${escapeHtml(view.notice.text)}</p>`
        : ""
    }
<section>
<h2>Readiness</h2>
<ul id="reasons">${view.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join("")}</ul>
<p id="ready-note"${
      ready ? "" : " hidden"
    }>Ready: NATS connected, every function subscribed, migrations applied, the database answers.</p>
</section>
${deadLettersSection(view)}
${backupsSection(view)}
${subjectsSection(view.subjects)}
</main>`,
  );
}

/** Subjects with messages first, busiest first; the idle rest folded away (the script still updates them). */
function subjectsSection(subjects: SubjectCounts[]): string {
  const total = (s: SubjectCounts) => s.ok + s.invalid + s.error + s.dead_letter;
  const active = subjects.filter((s) => total(s) > 0).sort((a, b) => total(b) - total(a));
  const idle = subjects.filter((s) => total(s) === 0);
  return `<section>
<h2>Subjects</h2>
<p class="hint">Rates per second over the last few seconds (the page asks every 2 s); totals since the service started.</p>
${subjectTable("subjects", active)}
<details><summary>${idle.length} subjects without messages yet</summary>${subjectTable("idle-subjects", idle)}</details>
</section>`;
}

function subjectTable(id: string, subjects: SubjectCounts[]): string {
  const rows = subjects.map((s) =>
    `<tr data-subject="${escapeHtml(s.subject)}">
<td>${escapeHtml(s.subject)}</td><td>${s.kind}</td>
<td class="num rate">–</td><td class="num errors">–</td>
<td class="num ok">${s.ok}</td><td class="num invalid">${s.invalid}</td>
<td class="num failed">${s.kind === "event" ? s.dead_letter : s.error}</td>
</tr>`
  );
  return `<table id="${id}">
<thead><tr><th>Subject</th><th>Kind</th><th class="num">msg/s</th><th class="num">errors/s</th><th class="num">ok</th>\
<th class="num">invalid</th><th class="num">failed</th></tr></thead>
<tbody>${rows.join("")}</tbody>
</table>`;
}

function deadLettersSection(view: Dashboard): string {
  const letters = view.deadLetters;
  if (!letters) {
    return `<section><h2>Dead letters</h2><p>This instance does not serve admin.dead_letters.list (FUNCTIONS).</p></section>`;
  }
  if (letters.length === 0) {
    return `<section><h2>Dead letters</h2><p id="no-dead-letters">No dead letters.</p></section>`;
  }
  const rows = letters.map((d) => {
    const cut = [...d.payload].length > PAYLOAD_SHOWN;
    const shown = cut ? `${[...d.payload].slice(0, PAYLOAD_SHOWN).join("")}…` : d.payload;
    return `<tr data-dead-letter="${d.id}">
<td class="num">${d.id}</td><td>${escapeHtml(d.subject)}</td>
<td>${escapeHtml(new Date(d.received_at * 1000).toISOString())}</td>
<td>${escapeHtml(d.error_code)}</td><td class="wrap">${escapeHtml(d.error)}</td>
<td class="wrap"><code>${escapeHtml(shown)}</code> <small>(${d.payload_bytes} B)</small></td>
<td class="actions">
<button type="submit" name="ids" value="${d.id}" formaction="/admin/dead-letters/replay">Replay</button>
<button type="submit" name="ids" value="${d.id}" formaction="/admin/dead-letters/purge" class="danger" data-confirm="Delete dead letter ${d.id} for good?">Purge</button>
</td>
</tr>`;
  });
  const ids = letters.map((d) => `<input type="hidden" name="ids" value="${d.id}">`).join("");
  const more = letters.length === view.deadLetterLimit ? ` (the newest ${view.deadLetterLimit})` : "";
  return `<section>
<h2>Dead letters <small>${letters.length}${more}</small></h2>
<form method="post" class="bulk">${ids}
<button type="submit" formaction="/admin/dead-letters/replay">Replay all listed</button>
<button type="submit" formaction="/admin/dead-letters/purge" class="danger" data-confirm="Delete all ${letters.length} listed dead letters for good?">Purge all listed</button>
</form>
<form method="post">
<table id="dead-letters">
<thead><tr><th>id</th><th>Subject</th><th>Received</th><th>Code</th><th>Error</th><th>Payload</th><th></th></tr></thead>
<tbody>${rows.join("")}</tbody>
</table>
</form>
</section>`;
}

function backupsSection(view: Dashboard): string {
  const rows = view.backups.map((b) =>
    `<tr><td>${escapeHtml(b.name)}</td><td class="num">${escapeHtml(size(b.size_bytes))}</td>
<td>${b.modified ? escapeHtml(b.modified.toISOString()) : ""}</td></tr>`
  );
  const list = rows.length === 0
    ? `<p id="no-backups">No backup in ${escapeHtml(view.backupDir)} yet.</p>`
    : `<table id="backups"><thead><tr><th>File in ${
      escapeHtml(view.backupDir)
    }</th><th>Size</th><th>Written</th></tr></thead>
<tbody>${rows.join("")}</tbody></table>`;
  const button = view.canBackUp
    ? `<form method="post" action="/admin/backup"><button type="submit">Back up now</button></form>`
    : "<p>This instance does not serve admin.backup (FUNCTIONS).</p>";
  return `<section>
<h2>Backups</h2>
${list}
${button}
</section>`;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
