// Small DOM helpers. Data from the API is only ever set as text, never parsed as
// HTML, so nothing a record contains can run in the page.

/** Builds an element: h("a", {href: "#/x", class: "c", onclick: f}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k === "style") for (const [p, val] of Object.entries(v)) el.style.setProperty(p, val);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Compares enum values case-insensitively: the API may change their casing. */
export const same = (a, b) => String(a ?? "").toLowerCase() === String(b ?? "").toLowerCase();
export const oneOf = (a, list) => list.some((b) => same(a, b));

/** Calls `fn` once `ms` after the last call. */
export function debounce(fn, ms) {
  let t = null;
  const d = (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  d.cancel = () => clearTimeout(t);
  return d;
}

export function time(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function ms(n) {
  if (n === null || n === undefined) return "—";
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60000) return `${(n / 1000).toFixed(1)} s`;
  if (n < 3600000) return `${Math.floor(n / 60000)} min ${Math.round((n % 60000) / 1000)} s`;
  return `${Math.floor(n / 3600000)} h ${Math.round((n % 3600000) / 60000)} min`;
}

export const short = (id) => (id ? String(id).slice(-8) : "—");

const TONES = {
  ok: ["completed", "succeeded", "sent", "delivered", "read", "resolved", "closed", "on_track", "stored"],
  run: ["running", "queued", "scheduled", "submitted", "assigned", "in_progress", "pending", "half_open"],
  warn: ["sleeping", "waiting", "warning", "open_task", "deferred", "draft", "skipped"],
  bad: ["failed", "cancelled", "breached", "open", "error", "uncovered"],
};

/** A status as a coloured badge; the colour is never the only cue (the word is shown). */
export function badge(status, label) {
  const s = String(status ?? "").toLowerCase().replace(/[-\s]/g, "_");
  const tone = Object.entries(TONES).find(([, list]) => list.includes(s))?.[0] || "";
  return h("span", { class: `badge ${tone}`, "data-status": s }, label ?? status ?? "—");
}

/** A table; `rows` are arrays of cells, or {cells, attrs}. */
export function table(headers, rows, { caption, empty = "Nothing here yet." } = {}) {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h("div", { class: "scroll" },
    h("table", {},
      caption ? h("caption", { class: "sr-only" }, caption) : null,
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((r) => {
        const { cells, attrs } = Array.isArray(r) ? { cells: r, attrs: {} } : r;
        return h("tr", attrs, cells.map((c) => h("td", c?.attrs || {}, c?.attrs ? c.value : c)));
      }))));
}

/** Pretty JSON in a <pre>. */
export const json = (v) => h("pre", {}, v === undefined ? "—" : JSON.stringify(v, null, 2));

/** A labelled form control. */
export function field(label, control) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h("div", {}, h("label", { for: id }, label), control);
}

export function select(name, options, value) {
  return h("select", { name },
    options.map(([v, label]) => h("option", { value: v, selected: same(v, value) && v !== "" ? true : null }, label)));
}

/** Asks for confirmation in the page's modal dialog; resolves true on confirm. */
export function confirm(text, action) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = action;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
  });
}

/** An API error as text: the problem's detail and each listed problem. */
export function problem(err) {
  const p = err?.problem;
  if (!p) return String(err?.message || err);
  const lines = [p.detail || p.title || `HTTP ${err.status}`];
  for (const e of p.errors || []) lines.push(`${e.pointer || "/"}: ${e.message}`);
  return lines.join("\n");
}

export function errorBox(err) {
  return h("p", { class: "error", role: "alert" }, problem(err));
}

/** The "live" indicator the views show. */
export function liveBadge() {
  return h("span", { class: "live", role: "status", "data-state": "connecting" }, "connecting…");
}

export function setLive(el, state) {
  el.dataset.state = state;
  el.textContent = { live: "live", reconnecting: "reconnecting…", offline: "offline", connecting: "connecting…" }[state] || state;
}
