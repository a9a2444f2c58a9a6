// Schedules: a hospital's imports (newest first), the selected import's validation
// report and coverage per day as a bar chart, and the schedule version it created
// with its shifts. Reloads on schedule-import events.

import { api, query } from "../api.js";
import { h, fill, badge, time, table, field, errorBox, debounce, short, liveBadge, setLive } from "../dom.js";
import { follow } from "../live.js";

function chart(perDay) {
  if (!perDay?.length) return h("p", { class: "muted" }, "No coverage computed.");
  return h("figure", { class: "panel", id: "coverage-chart" },
    h("figcaption", {}, "Coverage per day (assigned ÷ required staff)"),
    h("div", { class: "chart", role: "list" }, perDay.map((d) => {
      const pct = Math.max(0, Math.min(100, Number(d.percentage) || 0));
      const tone = pct >= 100 ? "" : pct >= 50 ? "under" : "low";
      return h("div", { class: "day", role: "listitem", "aria-label": `${d.date}: ${pct}% (${d.assigned} of ${d.required})` },
        h("span", { class: "pct" }, `${Math.round(pct)}%`),
        h("div", { class: `fill ${tone}`, style: { height: `${pct}%` } }));
    })),
    h("div", { class: "chart-labels", "aria-hidden": "true" }, perDay.map((d) => h("span", {}, d.date.slice(5)))));
}

function report(v) {
  const rows = [];
  for (const [level, list] of [["error", v?.errors], ["warning", v?.warnings], ["info", v?.infos]]) {
    for (const m of list || []) rows.push([badge(level === "error" ? "failed" : level === "warning" ? "warning" : "info", level),
      m.phase || "—", m.sheet || "—", m.row ?? "—", m.column || "—", { attrs: { class: "wrap" }, value: m.message }]);
  }
  return table(["Level", "Phase", "Sheet", "Row", "Column", "Message"], rows,
    { caption: "Validation report", empty: "No validation message: every row imported." });
}

export function mount(root) {
  const live = liveBadge();
  const hospital = h("select", { name: "hospitalId" }, h("option", { value: "" }, "every hospital"));
  const status = h("div", { id: "import-status" });
  const imports = h("div", { id: "imports" });
  const detail = h("div", { id: "import-detail" });
  const version = h("div", { id: "version" });
  root.append(h("div", { class: "bar" }, h("h1", {}, "Schedules"), live),
    h("div", { class: "filters" }, field("Hospital", hospital)), status,
    h("h2", {}, "Imports"), imports, detail, version);
  let selected = "";

  async function showVersion(id) {
    try {
      const v = await api(`/v1/schedules/versions/${id}`);
      const shifts = v.shifts || [];
      fill(version, h("h2", {}, "Version"),
        h("div", { class: "bar" }, h("code", {}, v.id || id), badge(v.status)),
        table(["Date", "Shift", "Service", "Start", "End", "Required", "Assigned", "Coverage"],
          shifts.map((s) => [s.date, s.shiftName, s.service, String(s.start).slice(11, 16), String(s.end).slice(11, 16),
            s.requiredStaff, (s.assignments || []).length, badge(s.coverageStatus || "—")]),
          { caption: "Shifts of this version", empty: "No shift." }));
    } catch (err) {
      fill(version, errorBox(err));
    }
  }

  async function showImport(runId) {
    selected = runId;
    fill(version);
    try {
      const r = await api(`/v1/schedules/imports/${runId}`);
      fill(detail, h("h2", {}, `Import ${short(runId)}`),
        h("div", { class: "bar" }, badge(r.status),
          r.scheduleVersion ? h("button", { type: "button", class: "secondary", onclick: () => showVersion(r.scheduleVersion.id) },
            `Show version (${r.scheduleVersion.shiftCount} shifts, ${r.scheduleVersion.status})`) : null,
          h("a", { href: `#/runs/${runId}` }, "Run details")),
        r.assignments ? h("p", {}, `Assignments: ${r.assignments.count} stored, ${r.assignments.unmatchedCount} unmatched (${r.assignments.outcome})`) : null,
        r.coverage ? h("p", {}, `Overall coverage ${r.coverage.overallPercentage}% (${r.coverage.assignedStaff} of ${r.coverage.requiredStaff} staff)`) : null,
        chart(r.coverage?.perDay), h("h3", {}, "Validation report"), report(r.validation));
    } catch (err) {
      fill(detail, errorBox(err));
    }
  }

  async function load() {
    try {
      const page = await api(`/v1/runs${query({ workflow: "schedule-import", limit: 50 })}`);
      const runs = page.runs.filter((r) => !hospital.value || r.input?.hospitalId === hospital.value);
      fill(imports, table(["Import", "Hospital", "Status", "Submitted"],
        runs.map((r) => ({ attrs: { "data-run-id": r.runId }, cells: [
          h("button", { type: "button", class: "secondary", onclick: () => showImport(r.runId) }, short(r.runId)),
          names[r.input?.hospitalId] || short(r.input?.hospitalId), badge(r.status), time(r.createdAt)] })),
        { caption: "Schedule imports, newest first", empty: "No import yet." }));
      if (hospital.value) {
        const s = await api(`/v1/schedules/imports/status${query({ hospitalId: hospital.value })}`);
        fill(status, h("p", {}, "Import status: ", badge(s.status), s.startedAt ? ` (started ${time(s.startedAt)}${s.completedAt ? `, ended ${time(s.completedAt)}` : ""})` : ""));
      } else fill(status);
      if (selected) showImport(selected);
    } catch (err) {
      fill(imports, errorBox(err));
    }
  }

  const names = {};
  api("/v1/hospitals").then((r) => {
    for (const x of r.hospitals || []) {
      names[x.id] = x.name;
      hospital.append(h("option", { value: x.id }, x.name));
    }
    load();
  }).catch((err) => fill(imports, errorBox(err)));
  hospital.addEventListener("change", () => { selected = ""; fill(detail); fill(version); load(); });
  const reload = debounce(load, 400);
  const stop = follow({ workflow: "schedule-import" }, () => reload(), (s) => setLive(live, s));
  return () => { stop(); reload.cancel(); };
}
