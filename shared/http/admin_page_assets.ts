/**
 * The admin page's stylesheet and its one small script, served as files of their own so that the
 * page's Content-Security-Policy allows no inline code. No build step: this is the code browsers run.
 */

/**
 * Live figures: asks /admin/live every 2 s and shows per-subject rates from the differences of the
 * counters, and the readiness reasons. It writes text only (textContent), never markup. Purge buttons
 * ask before they post.
 */
export const ADMIN_PAGE_SCRIPT = `"use strict";
document.addEventListener("submit", (event) => {
  const question = event.submitter && event.submitter.dataset.confirm;
  if (question && !confirm(question)) event.preventDefault();
});

let last;
async function poll() {
  try {
    const res = await fetch("/admin/live", { headers: { accept: "application/json" }, cache: "no-store" });
    // The session ended: the page shows the login form again.
    if (res.status === 403) return location.assign("/admin");
    if (res.ok) show(await res.json());
  } catch {
    // The service is restarting: ask again on the next tick.
  }
  setTimeout(poll, 2000);
}

function show(live) {
  const badge = document.getElementById("readiness");
  if (!badge) return;
  const ready = live.reasons.length === 0;
  badge.textContent = ready ? "Ready" : "Not ready";
  badge.className = "badge " + (ready ? "ok" : "bad");
  const list = document.getElementById("reasons");
  list.replaceChildren(...live.reasons.map((reason) => {
    const item = document.createElement("li");
    item.textContent = reason;
    return item;
  }));
  document.getElementById("ready-note").hidden = !ready;
  const seconds = last ? (live.at - last.at) / 1000 : 0;
  const before = new Map(last ? last.subjects.map((s) => [s.subject, s]) : []);
  for (const row of document.querySelectorAll("tr[data-subject]")) {
    const now = live.subjects.find((s) => s.subject === row.dataset.subject);
    if (!now) continue;
    const failed = now.kind === "event" ? now.dead_letter : now.error;
    row.querySelector(".ok").textContent = now.ok;
    row.querySelector(".invalid").textContent = now.invalid;
    row.querySelector(".failed").textContent = failed;
    const then = before.get(now.subject);
    if (!then || seconds <= 0) continue;
    const total = (s) => s.ok + s.invalid + s.error + s.dead_letter;
    const errors = (s) => s.invalid + s.error + s.dead_letter;
    row.querySelector(".rate").textContent = ((total(now) - total(then)) / seconds).toFixed(1);
    row.querySelector(".errors").textContent = ((errors(now) - errors(then)) / seconds).toFixed(1);
    row.classList.toggle("failing", errors(now) > errors(then));
  }
  last = live;
}

if (document.getElementById("readiness")) poll();
`;

/** Plain, readable, no framework. */
export const ADMIN_PAGE_STYLE = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.2rem; background: #1f2937; color: #f9fafb; }
header h1 { font-size: 1.2rem; margin: 0; flex: 1; }
header small, h2 small { font-weight: normal; opacity: .7; }
main { padding: 0 1.2rem 2rem; }
main.login { max-width: 22rem; margin: 4rem auto; }
main.login form { display: grid; gap: .5rem; }
section { margin-top: 1.4rem; }
h2 { font-size: 1.05rem; border-bottom: 1px solid #9ca3af; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #d1d5db55; vertical-align: top; }
details { margin-top: .6rem; }
summary { cursor: pointer; opacity: .8; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.wrap { max-width: 28rem; overflow-wrap: anywhere; }
tr.failing td { background: #f8717133; }
code { font-size: .82rem; }
.badge { padding: .15rem .6rem; border-radius: 1rem; font-weight: 600; }
.badge.ok { background: #16a34a; color: white; }
.badge.bad { background: #dc2626; color: white; }
.notice { padding: .5rem .8rem; border-left: 4px solid #16a34a; background: #16a34a22; }
.notice.error { border-color: #dc2626; background: #dc262622; }
.hint { font-size: .85rem; opacity: .75; }
.actions { white-space: nowrap; }
form.bulk { margin-bottom: .5rem; }
button { font: inherit; padding: .2rem .7rem; cursor: pointer; }
button.danger { color: #b91c1c; }
button.quiet { background: none; color: inherit; border: 1px solid #9ca3af; }
`;
