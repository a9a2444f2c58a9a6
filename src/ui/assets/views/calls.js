// Service calls: status, attempts, next attempt (the due time of the call's run
// while it waits), response excerpt or error; filters by status; paged.

import { api, query } from "../api.js";
import { h, fill, badge, time, table, field, select, errorBox, debounce, oneOf, liveBadge, setLive } from "../dom.js";
import { follow } from "../live.js";

const STATUSES = ["submitted", "scheduled", "running", "succeeded", "failed", "cancelled"];

export function mount(root) {
  const live = liveBadge();
  const list = h("div", { id: "calls-list" });
  const pager = h("div", { class: "bar" });
  const status = select("status", [["", "any status"], ...STATUSES.map((s) => [s, s[0].toUpperCase() + s.slice(1)])], "");
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter service calls" },
    field("Status", status), h("button", { type: "submit" }, "Apply"));
  root.append(h("div", { class: "bar" }, h("h1", {}, "Service calls"), live), form, list, pager);
  let cursors = [];
  let cursor = "";

  async function nextAttempt(c) {
    // A waiting call's run says when it is due next (its timer or retry).
    if (!oneOf(c.status, ["submitted", "scheduled", "running"]) || !c.runId) return null;
    try {
      const run = await api(`/v1/runs/${c.runId}`);
      const waiting = run.steps.find((s) => s.wakesAt);
      return waiting?.wakesAt || run.wakesAt || null;
    } catch { return null; }
  }

  async function load() {
    try {
      const page = await api(`/v1/service-calls${query({ status: status.value, limit: 20, cursor })}`);
      const next = await Promise.all(page.serviceCalls.map(nextAttempt));
      fill(list, table(["Name", "Status", "Attempts", "Due", "Next attempt", "Request", "Response or error"],
        page.serviceCalls.map((c, i) => ({
          attrs: { "data-call-id": c.serviceCallId },
          cells: [
            { attrs: { class: "wrap" }, value: c.name || c.serviceCallId },
            badge(c.status), c.attempts, time(c.dueAt), next[i] ? time(next[i]) : "—",
            { attrs: { class: "wrap" }, value: `${c.request?.method ?? ""} ${c.request?.url ?? ""}` },
            { attrs: { class: "wrap" }, value: c.error
              ? `${c.error.kind}: ${c.error.message}`
              : c.response ? `${c.response.statusCode ?? c.response.status ?? ""} ${String(c.response.bodyExcerpt ?? c.response.excerpt ?? "").slice(0, 200)}` : "—" },
          ],
        })), { caption: "Service calls, newest first", empty: "No service call matches." }));
      fill(pager,
        h("button", { type: "button", class: "secondary", disabled: cursors.length === 0, onclick: () => { cursor = cursors.pop() ?? ""; load(); } }, "Newer"),
        h("button", { type: "button", class: "secondary", disabled: !page.nextCursor, onclick: () => { cursors.push(cursor); cursor = page.nextCursor; load(); } }, "Older"));
    } catch (err) {
      fill(list, errorBox(err));
    }
  }
  const reload = debounce(load, 300);
  const stop = follow({ workflow: "service-call" }, () => reload(), (s) => setLive(live, s));
  form.addEventListener("submit", (e) => { e.preventDefault(); cursors = []; cursor = ""; load(); });
  load();
  return () => { stop(); reload.cancel(); };
}
