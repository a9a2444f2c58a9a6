// Runs: filters (workflow, status, correlation id, time), newest first, paged by
// cursor; the list reloads when the stream reports a run event.

import { api, query } from "../api.js";
import { h, fill, badge, time, ms, short, debounce, field, select, table, errorBox, liveBadge, setLive } from "../dom.js";
import { follow } from "../live.js";

const STATUSES = ["queued", "running", "sleeping", "waiting", "completed", "failed", "cancelled"];
const PAGE = 20;
// Filters survive leaving the view and coming back within the tab.
const state = { filters: { workflow: "", status: "", correlationId: "", from: "", until: "" } };

/** A datetime-local value as RFC 3339 (the browser's zone), or "". */
function iso(local) {
  if (!local) return "";
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

export function mount(root) {
  const f = state.filters;
  const live = liveBadge();
  const list = h("div", { id: "runs-list", "aria-live": "polite" });
  const pager = h("div", { class: "bar" });
  const workflowSelect = select("workflow", [["", "any workflow"]], f.workflow);
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter runs" },
    field("Workflow", workflowSelect),
    field("Status", select("status", [["", "any status"], ...STATUSES.map((s) => [s, s])], f.status)),
    field("Correlation id", h("input", { name: "correlationId", value: f.correlationId, size: 16 })),
    field("Submitted from", h("input", { name: "from", type: "datetime-local", value: f.from })),
    field("until", h("input", { name: "until", type: "datetime-local", value: f.until })),
    h("button", { type: "submit" }, "Apply"));
  root.append(h("div", { class: "bar" }, h("h1", {}, "Runs"), live), form, list, pager);

  // Cursors of the pages before the current one; [] is the newest page.
  let cursors = [];
  let cursor = "";
  let stop = () => {};

  async function load() {
    try {
      const page = await api(`/v1/runs${query({
        workflow: f.workflow, status: f.status, correlationId: f.correlationId,
        createdFrom: iso(f.from), createdUntil: iso(f.until), limit: PAGE, cursor,
      })}`);
      fill(list, table(["Run", "Workflow", "Status", "Correlation id", "Submitted", "Duration"],
        page.runs.map((r) => ({
          attrs: { "data-run-id": r.runId, "data-status": String(r.status).toLowerCase() },
          cells: [
            h("a", { href: `#/runs/${r.runId}`, title: r.runId }, short(r.runId)),
            r.workflow, badge(r.status), { attrs: { class: "wrap" }, value: r.correlationId || "—" },
            time(r.createdAt), ms(r.durationMs),
          ],
        })), { caption: "Runs, newest first", empty: "No run matches these filters." }));
      fill(pager,
        h("button", { type: "button", class: "secondary", disabled: cursors.length === 0, onclick: () => {
          cursor = cursors.pop() ?? ""; load();
        } }, "Newer"),
        h("button", { type: "button", class: "secondary", disabled: !page.nextCursor, onclick: () => {
          cursors.push(cursor); cursor = page.nextCursor; load();
        } }, "Older"),
        h("span", { class: "muted" }, cursors.length ? `page ${cursors.length + 1}` : "newest first"));
    } catch (err) {
      fill(list, errorBox(err));
    }
  }
  const reload = debounce(load, 250);

  function restream() {
    stop();
    // The list is read once the stream is open, so no run submitted in between is missed.
    stop = follow({ workflow: f.workflow }, (e) => {
      if (String(e.eventType).startsWith("run.")) reload();
    }, (s) => { setLive(live, s); if (s === "live") reload(); });
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const data = new FormData(form);
    for (const k of Object.keys(f)) f[k] = String(data.get(k) || "").trim();
    cursors = [];
    cursor = "";
    restream();
    load();
  });

  api("/v1/workflows").then((w) => {
    for (const def of w.workflows) {
      workflowSelect.append(h("option", { value: def.name, selected: def.name === f.workflow ? true : null }, def.name));
    }
  }).catch(() => {});
  load();
  restream();
  return () => { stop(); reload.cancel(); };
}
