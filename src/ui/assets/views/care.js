// Care: the tasks board by status with SLA standing and assignee, the notification
// log, and one patient's outreach timeline. Reloads on task, notification and
// interaction events.

import { api, query } from "../api.js";
import { h, fill, badge, time, table, field, errorBox, debounce, same, liveBadge, setLive } from "../dom.js";
import { follow } from "../live.js";

const COLUMNS = [["open", "Open"], ["assigned", "Assigned"], ["resolved", "Resolved"]];
const STANDING = { on_track: ["ok", "on track"], at_risk: ["warn", "at risk"], breached: ["bad", "breached"] };

function standing(sla) {
  const key = String(sla?.standing ?? "").toLowerCase();
  if (!STANDING[key]) return null;
  const [tone, word] = STANDING[key];
  return h("span", { class: `badge ${tone}`, "data-standing": key }, `SLA ${word}`);
}

export function mount(root) {
  const live = liveBadge();
  const board = h("div", { class: "board", id: "care-board" });
  const log = h("div", { id: "notification-log" });
  const patient = h("input", { name: "patientId", size: 18, required: true });
  const outreach = h("div", { id: "outreach" });
  const form = h("form", { class: "filters", "aria-label": "Show a patient's outreach" },
    field("Patient id", patient), h("button", { type: "submit" }, "Show outreach"));
  root.append(h("div", { class: "bar" }, h("h1", {}, "Care"), live),
    h("h2", {}, "Tasks"), board, h("h2", {}, "Notification log"), log,
    h("h2", {}, "Patient outreach"), form, outreach);

  async function loadBoard() {
    try {
      const [nurses, ...columns] = await Promise.all([
        api("/v1/nurses"),
        ...COLUMNS.map(([s]) => api(`/v1/tasks${query({ status: s, limit: 50 })}`)),
      ]);
      const names = Object.fromEntries(nurses.nurses.map((n) => [n.nurseId, n.name]));
      fill(board, COLUMNS.map(([status, label], i) => h("section", { class: "column", "aria-label": `${label} tasks`, "data-status": status },
        h("h3", {}, `${label} (${columns[i].tasks.length}${columns[i].nextCursor ? "+" : ""})`),
        columns[i].tasks.length ? columns[i].tasks.map((t) => h("article", { class: "task", "data-task-id": t.taskId },
          h("div", { class: "title" }, t.title),
          h("div", { class: "bar" }, badge(t.severity), same(t.status, "resolved") ? null : standing(t.sla)),
          h("div", { class: "muted" }, `Patient ${t.patientId}`),
          h("div", {}, t.assigneeId ? `Assignee: ${names[t.assigneeId] || t.assigneeId}` : "Unassigned"),
          h("div", { class: "muted" }, same(t.status, "resolved") ? `Resolved ${time(t.resolvedAt)}` : `Breach at ${time(t.sla?.breachAt)}`)))
          : h("p", { class: "muted" }, "None."))));
    } catch (err) {
      fill(board, errorBox(err));
    }
  }

  async function loadLog() {
    try {
      const n = await api(`/v1/notifications${query({ limit: 30 })}`);
      fill(log, table(["Created", "Kind", "Channel", "Recipient", "Status", "Attempts", "Error"],
        n.notifications.map((x) => [time(x.createdAt), x.kind, x.channel, `${x.recipient?.kind ?? ""}`,
          badge(x.status), x.attempts, { attrs: { class: "wrap" }, value: x.error || "—" }]),
        { caption: "Notifications, newest first", empty: "No notification sent yet." }));
    } catch (err) {
      fill(log, errorBox(err));
    }
  }

  async function loadOutreach() {
    const id = patient.value.trim();
    if (!id) return;
    try {
      const o = await api(`/v1/patients/${encodeURIComponent(id)}/outreach`);
      const items = [];
      for (const p of o.plans) {
        items.push([p.createdAt, `Outreach plan to ${p.phone}: ${String(p.status).toLowerCase()}`]);
        for (const a of p.attempts) {
          items.push([a.sentAt || p.createdAt, `Check-in ${a.number} by ${a.channel}: ${String(a.status).toLowerCase()}`
            + (a.notification ? ` (notification ${String(a.notification.status).toLowerCase()})` : "")]);
        }
      }
      for (const i of o.interactions) {
        items.push([i.receivedAt, `Reply (${i.direction}, ${i.channel}) classified ${i.severity ?? "pending"}${i.taskId ? ", task raised" : ""}`]);
      }
      for (const n of o.notifications) items.push([n.createdAt, `Notification ${n.kind} by ${n.channel}: ${String(n.status).toLowerCase()}`]);
      items.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      fill(outreach, items.length
        ? h("ol", { class: "timeline" }, items.map(([t, what]) => h("li", {}, h("div", { class: "muted" }, time(t)), what)))
        : h("p", { class: "muted" }, "No outreach for this patient."));
    } catch (err) {
      fill(outreach, errorBox(err));
    }
  }

  const reload = debounce(() => { loadBoard(); loadLog(); loadOutreach(); }, 300);
  const stop = follow({}, (e) => {
    if (/^(task|notification|interaction|patient)\//.test(String(e.eventType))) reload();
  }, (s) => setLive(live, s));
  form.addEventListener("submit", (e) => { e.preventDefault(); loadOutreach(); });
  loadBoard();
  loadLog();
  return () => { stop(); reload.cancel(); };
}
