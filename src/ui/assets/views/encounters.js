// Encounters: prior-authorization runs (newest first); the selected encounter's
// steps, analysis and criteria, and its form PDF, fetched with the bearer token and
// shown from a blob URL (a plain link could not send the token).

import { api, query } from "../api.js";
import { h, fill, badge, time, table, errorBox, debounce, liveBadge, setLive, problem } from "../dom.js";
import { follow } from "../live.js";

export function mount(root) {
  const live = liveBadge();
  const list = h("div", { id: "encounters" });
  const detail = h("div", { id: "encounter-detail" });
  root.append(h("div", { class: "bar" }, h("h1", {}, "Encounters"), live), list, detail);
  let pdfUrl = null;
  let selected = null;

  async function openPdf(url, holder) {
    try {
      const r = await api(url, { raw: true });
      const blob = await r.blob();
      if (pdfUrl) URL.revokeObjectURL(pdfUrl);
      pdfUrl = URL.createObjectURL(blob);
      fill(holder,
        h("p", {}, h("a", { href: pdfUrl, download: "prior-authorization.pdf" }, "Download the form PDF")),
        h("iframe", { class: "pdf", src: pdfUrl, title: "Prior-authorization form" }));
    } catch (err) {
      fill(holder, h("p", { class: "error" }, problem(err)));
    }
  }

  async function show(input) {
    selected = input;
    try {
      const e = await api(`/v1/encounters/${encodeURIComponent(input.encounterId)}${query({ source: input.source })}`);
      const a = e.analysis;
      const pdf = h("div", { id: "encounter-pdf" });
      fill(detail, h("h2", {}, `Encounter ${e.encounterId}`),
        h("div", { class: "bar" }, badge(e.status), h("span", { class: "muted" }, `source ${e.source}`),
          e.runId ? h("a", { href: `#/runs/${e.runId}` }, "Run details") : null),
        table(["Step", "Status", "Attempts", "Error"], (e.steps || []).map((s) => [s.name, badge(s.status), s.attempts,
          { attrs: { class: "wrap" }, value: s.error ? (s.error.message || JSON.stringify(s.error)) : "—" }]), { caption: "Steps" }),
        h("h3", {}, "Analysis"),
        a ? h("dl", { class: "facts" },
          h("dt", {}, "Prior authorization"), h("dd", {}, a.requiresPriorAuth ? "required" : "not required"),
          h("dt", {}, "Confidence"), h("dd", {}, a.confidence ?? "—"),
          h("dt", {}, "Decided by"), h("dd", {}, a.analyzer || "—"),
          h("dt", {}, "Justification"), h("dd", {}, a.justification || "—")) : h("p", { class: "muted" }, "Not analysed yet."),
        h("h3", {}, "Criteria met"),
        table(["Rule", "Description", "Evidence"], (a?.criteriaMet || []).map((c) => [c.rule, c.description,
          { attrs: { class: "wrap" }, value: c.evidence || "—" }]), { caption: "Criteria met", empty: "None." }),
        h("h3", {}, "Form"),
        e.form ? h("div", {}, h("p", {}, `${e.form.sizeBytes} bytes, made ${time(e.form.createdAt)} `,
          h("button", { type: "button", onclick: () => openPdf(e.form.url, pdf) }, "Show the form PDF")), pdf)
          : h("p", { class: "muted" }, "No form yet."));
    } catch (err) {
      fill(detail, errorBox(err));
    }
  }

  async function load() {
    try {
      const page = await api(`/v1/runs${query({ workflow: "encounter", limit: 50 })}`);
      fill(list, table(["Encounter", "Source", "Status", "Submitted"],
        page.runs.map((r) => ({ attrs: { "data-run-id": r.runId }, cells: [
          h("button", { type: "button", class: "secondary", onclick: () => show(r.input) }, r.input?.encounterId ?? "?"),
          r.input?.source ?? "—", badge(r.status), time(r.createdAt)] })),
        { caption: "Encounters, newest first", empty: "No encounter processed yet." }));
    } catch (err) {
      fill(list, errorBox(err));
    }
  }
  const reload = debounce(() => { load(); if (selected) show(selected); }, 400);
  const stop = follow({ workflow: "encounter" }, () => reload(), (s) => setLive(live, s));
  load();
  return () => { stop(); reload.cancel(); if (pdfUrl) URL.revokeObjectURL(pdfUrl); };
}
