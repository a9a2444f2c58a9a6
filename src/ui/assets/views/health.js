// Health: the queue (depth, oldest age), this tenant's unfinished runs and every
// provider's circuit breaker with its state and next trial. Refreshed on run events
// and every 5 s (breakers change without events).

import { api } from "../api.js";
import { h, fill, badge, time, ms, table, errorBox, debounce, liveBadge, setLive } from "../dom.js";
import { follow } from "../live.js";

const card = (label, value, hint) => h("div", { class: "card" },
  h("div", { class: "muted" }, label), h("div", { class: "value" }, value), hint ? h("div", { class: "muted" }, hint) : null);

export function mount(root) {
  const live = liveBadge();
  const cards = h("div", { class: "cards", id: "health-cards" });
  const breakers = h("div", { id: "breakers" });
  root.append(h("div", { class: "bar" }, h("h1", {}, "Health"), live), cards, h("h2", {}, "Provider circuit breakers"), breakers);

  async function load() {
    try {
      const [q, p] = await Promise.all([api("/v1/queue"), api("/v1/providers")]);
      const t = q.tenantRuns;
      fill(cards,
        card("Queue depth", q.depth, `of at most ${q.maxQueuedRuns}, all tenants`),
        card("Oldest queued", q.oldestAgeMs === null ? "—" : ms(q.oldestAgeMs), q.oldestQueuedAt ? time(q.oldestQueuedAt) : "queue empty"),
        card("Running", t.running, "your runs executing"),
        card("Parked", t.sleeping + t.waiting, `${t.sleeping} sleeping, ${t.waiting} waiting`),
        card("Queued", t.queued, "your runs waiting for a worker"));
      fill(breakers, table(["Provider", "State", "Calls / failures", "Last error", "Opened", "Next trial"],
        p.providers.map((b) => [b.name, badge(b.state), `${b.recentCalls} / ${b.recentFailures}`,
          { attrs: { class: "wrap" }, value: b.lastError || "—" }, time(b.openedAt), time(b.nextTrialAt)]),
        { caption: "Circuit breakers", empty: "No provider has been called yet." }));
    } catch (err) {
      fill(cards, errorBox(err));
    }
  }
  const reload = debounce(load, 500);
  const stop = follow({}, (e) => { if (String(e.eventType).startsWith("run.")) reload(); }, (s) => setLive(live, s));
  const timer = setInterval(load, 5000);
  load();
  return () => { stop(); clearInterval(timer); reload.cancel(); };
}
