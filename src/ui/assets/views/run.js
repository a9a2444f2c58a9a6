// One run: facts, cancel and retry (with confirmation), the step waterfall, each
// step's dependencies, output, error, messages and skip reason, and its events.
// Reloads on each of the run's events; bars of a running run grow every second.

import { api, query } from "../api.js";
import { h, fill, badge, time, ms, json, table, errorBox, confirm, debounce, oneOf, liveBadge, setLive, problem } from "../dom.js";
import { follow } from "../live.js";
import { waterfall } from "./waterfall.js";

const FINAL = ["completed", "failed", "cancelled"];

export function mount(root, id) {
  const live = liveBadge();
  const head = h("div");
  const chart = h("div");
  const steps = h("div");
  const evs = h("div");
  const note = h("p", { class: "error", role: "alert", id: "run-message" });
  root.append(
    h("p", {}, h("a", { href: "#/runs" }, "← Runs")),
    h("div", { class: "bar" }, h("h1", {}, "Run"), live), note, head,
    h("h2", {}, "Step timing"), chart, h("h2", {}, "Steps"), steps, h("h2", {}, "Events"), evs);

  let timeline = null;
  let ticker = null;

  async function act(verb) {
    const ok = await confirm(
      verb === "cancel" ? "Cancel this run? Steps not yet finished will not run." : "Retry this run from its failed and skipped steps?",
      verb === "cancel" ? "Cancel run" : "Retry run");
    if (!ok) return;
    try {
      await api(`/v1/runs/${id}/${verb}`, { method: "POST" });
      note.textContent = "";
      load();
    } catch (err) {
      note.textContent = problem(err);
    }
  }

  function renderHead(v) {
    const final = oneOf(v.status, FINAL);
    const retryable = oneOf(v.status, ["failed", "cancelled"]);
    fill(head, h("div", { class: "panel" },
      h("div", { class: "bar" },
        h("strong", {}, v.workflow), h("span", { class: "muted" }, `v${v.workflowVersion}`),
        h("span", { id: "run-status", "data-status": String(v.status).toLowerCase() }, badge(v.status)),
        final ? null : h("button", { type: "button", class: "danger", id: "cancel-run", onclick: () => act("cancel") }, "Cancel"),
        retryable ? h("button", { type: "button", id: "retry-run", onclick: () => act("retry") }, "Retry") : null),
      h("dl", { class: "facts" },
        h("dt", {}, "Run id"), h("dd", {}, h("code", {}, v.runId)),
        h("dt", {}, "Correlation id"), h("dd", {}, v.correlationId || "—"),
        h("dt", {}, "Submitted"), h("dd", {}, time(v.createdAt)),
        h("dt", {}, "Started"), h("dd", {}, time(v.startedAt)),
        h("dt", {}, "Finished"), h("dd", {}, time(v.finishedAt)),
        h("dt", {}, "Duration"), h("dd", {}, ms(v.durationMs)),
        v.wakesAt ? [h("dt", {}, "Wakes"), h("dd", {}, time(v.wakesAt))] : null),
      v.error ? [h("h3", {}, "Error"), json(v.error)] : null,
      h("details", {}, h("summary", {}, "Input and options"), h("h3", {}, "Input"), json(v.input), h("h3", {}, "Options"), json(v.options))));
  }

  function renderSteps(v, t) {
    const deps = Object.fromEntries((t?.steps || []).map((s) => [s.name, s.dependsOn]));
    fill(steps, v.steps.map((s) => h("details", { class: "step" },
      h("summary", {}, h("strong", {}, s.name), badge(s.status),
        h("span", { class: "muted" }, `${s.attempts} attempt${s.attempts === 1 ? "" : "s"}, ${ms(s.durationMs)}`)),
      h("dl", { class: "facts" },
        h("dt", {}, "Depends on"), h("dd", {}, (deps[s.name] || []).join(", ") || "—"),
        h("dt", {}, "Started"), h("dd", {}, time(s.startedAt)),
        h("dt", {}, "Finished"), h("dd", {}, time(s.finishedAt)),
        s.wakesAt ? [h("dt", {}, "Due"), h("dd", {}, time(s.wakesAt))] : null,
        s.skipReason ? [h("dt", {}, "Skipped because"), h("dd", {}, s.skipReason)] : null),
      s.error ? [h("h3", {}, "Error"), json(s.error)] : null,
      (s.messages?.errors?.length || s.messages?.warnings?.length || s.messages?.infos?.length)
        ? [h("h3", {}, "Messages"), json(s.messages)] : null,
      s.output !== null && s.output !== undefined ? [h("h3", {}, "Output"), json(s.output)] : null)));
  }

  async function load() {
    try {
      const [v, t, e] = await Promise.all([
        api(`/v1/runs/${id}`),
        api(`/v1/runs/${id}/timeline`),
        api(`/v1/events${query({ runId: id, limit: 500 })}`),
      ]);
      timeline = t;
      renderHead(v);
      fill(chart, waterfall(t));
      renderSteps(v, t);
      fill(evs, table(["Id", "Time", "Type", "Step", "Source"],
        e.events.slice().reverse().map((x) => [x.id, time(x.timestamp), x.eventType, x.data?.step || "—", x.source]),
        { caption: "The run's events, newest first" }));
      clearInterval(ticker);
      if (!oneOf(v.status, FINAL)) ticker = setInterval(() => fill(chart, waterfall(timeline)), 1000);
    } catch (err) {
      fill(head, errorBox(err));
    }
  }
  const reload = debounce(load, 200);
  const stop = follow({ runId: id }, () => reload(), (s) => { setLive(live, s); if (s === "live") reload(); });
  load();
  return () => { stop(); reload.cancel(); clearInterval(ticker); };
}
