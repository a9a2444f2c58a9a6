// Live events with the API's filters (run id, correlation id, workflow, event type),
// newest first; the most recent 200 are kept on the page.

import { h, fill, time, field, short, liveBadge, setLive } from "../dom.js";
import { follow } from "../live.js";

const KEEP = 200;

export function mount(root) {
  const live = liveBadge();
  const body = h("tbody", { id: "events-body" });
  const empty = h("p", { class: "muted", id: "events-empty" }, "Waiting for events…");
  const inputs = {
    runId: h("input", { name: "runId", size: 20 }),
    correlationId: h("input", { name: "correlationId", size: 16 }),
    workflow: h("input", { name: "workflow", size: 14 }),
    eventType: h("input", { name: "eventType", size: 16, placeholder: "e.g. run.completed" }),
  };
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter live events" },
    field("Run id", inputs.runId), field("Correlation id", inputs.correlationId),
    field("Workflow", inputs.workflow), field("Event type", inputs.eventType),
    h("button", { type: "submit" }, "Follow"));
  root.append(h("div", { class: "bar" }, h("h1", {}, "Live events"), live), form, empty,
    h("div", { class: "scroll" }, h("table", { class: "events-list" },
      h("caption", { class: "sr-only" }, "Live events, newest first"),
      h("thead", {}, h("tr", {}, ["Id", "Time", "Type", "Run", "Workflow", "Correlation id", "Data"].map((x) => h("th", { scope: "col" }, x)))),
      body)));

  let stop = () => {};
  function start() {
    stop();
    const filters = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
    fill(body);
    empty.hidden = false;
    stop = follow(filters, (e) => {
      empty.hidden = true;
      const data = JSON.stringify(e.data ?? {});
      body.prepend(h("tr", { "data-event-type": e.eventType, "data-event-id": e.id },
        h("td", {}, e.id), h("td", {}, time(e.timestamp)), h("td", {}, e.eventType),
        h("td", {}, e.runId ? h("a", { href: `#/runs/${e.runId}` }, short(e.runId)) : "—"),
        h("td", {}, e.workflow || "—"), h("td", { class: "wrap" }, e.correlationId || "—"),
        h("td", { class: "wrap" }, h("code", {}, data.length > 160 ? `${data.slice(0, 160)}…` : data))));
      while (body.children.length > KEEP) body.lastChild.remove();
    }, (s) => setLive(live, s));
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); start(); });
  start();
  return () => stop();
}
