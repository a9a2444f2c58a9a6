// The step-timing waterfall: one row per step, its spans (attempts, retry waits,
// parked and deferred time) placed along the run's time from submission to its end
// (or now, while it lasts). Drawn from GET /v1/runs/{id}/timeline.

import { h, ms, time } from "../dom.js";

const KIND_WORDS = {
  attempt: "attempt", retry_wait: "waiting to retry", parked: "parked (waiting)", deferred: "deferred (breaker open)",
};

export function waterfall(timeline, now = Date.now()) {
  const start = Date.parse(timeline.createdAt);
  let end = timeline.finishedAt ? Date.parse(timeline.finishedAt) : now;
  for (const step of timeline.steps) {
    for (const s of step.spans) end = Math.max(end, s.end ? Date.parse(s.end) : now);
  }
  const total = Math.max(end - start, 1);
  const pct = (t) => `${(((t - start) / total) * 100).toFixed(3)}%`;

  const rows = timeline.steps.map((step) => {
    const spans = step.spans.map((s) => {
      const a = Date.parse(s.start);
      const b = s.end ? Date.parse(s.end) : now;
      const kind = KIND_WORDS[s.kind] || s.kind;
      const what = `${step.name}: ${kind}${s.attempt ? ` ${s.attempt}` : ""}, ${ms(b - a)}`
        + `${s.outcome ? `, ${s.outcome}` : s.end ? "" : ", ongoing"}`
        + `${s.until ? `, due ${time(s.until)}` : ""}`;
      return h("span", {
        class: `wf-span ${s.kind} ${s.outcome || ""} ${s.end ? "" : "open"}`,
        style: { left: pct(a), width: `calc(${pct(b)} - ${pct(a)})` },
        title: what,
      }, h("span", { class: "sr-only" }, what));
    });
    const deps = step.dependsOn.length ? ` after ${step.dependsOn.join(", ")}` : "";
    return h("div", { class: "wf-row", "data-step": step.name, role: "listitem" },
      h("div", { class: "wf-label" },
        h("strong", {}, step.name), " ",
        h("span", { class: "muted" }, `${String(step.status).toLowerCase()}`
          + `${step.attempts > 1 ? `, ${step.attempts} attempts` : ""}${deps}`)),
      h("div", { class: "wf-track", "aria-hidden": "false" },
        spans.length ? spans : h("span", { class: "sr-only" }, step.skipReason ? `skipped: ${step.skipReason}` : "not started")));
  });
  return h("div", { class: "wf", id: "waterfall" },
    h("div", { role: "list", "aria-label": "Step timing waterfall" }, rows),
    h("div", { class: "legend", "aria-hidden": "true" },
      h("span", { class: "l-attempt" }, "attempt"), h("span", { class: "l-failed" }, "failed attempt"),
      h("span", { class: "l-retry_wait" }, "retry wait"), h("span", { class: "l-parked" }, "parked"),
      h("span", { class: "l-deferred" }, "deferred"),
      h("span", {}, `${time(timeline.createdAt)} → ${timeline.finishedAt ? time(timeline.finishedAt) : "now"} (${ms(total)})`)));
}
