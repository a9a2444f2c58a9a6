// The dashboard's shell: sign-in, navigation and the hash router (#/runs,
// #/runs/<id>, #/events, ...). Each view module exports `mount(root, params)` and
// returns a function that stops its timers and streams.

import { api, session } from "./api.js";
import { h, fill } from "./dom.js";
import * as runs from "./views/runs.js";
import * as run from "./views/run.js";
import * as events from "./views/events.js";
import * as health from "./views/health.js";
import * as care from "./views/care.js";
import * as schedules from "./views/schedules.js";
import * as encounters from "./views/encounters.js";
import * as calls from "./views/calls.js";

const routes = [
  [/^#\/runs\/([0-9a-f-]{36})$/i, run, "Run"],
  [/^#\/runs$/, runs, "Runs"],
  [/^#\/events$/, events, "Live events"],
  [/^#\/health$/, health, "Health"],
  [/^#\/care$/, care, "Care"],
  [/^#\/schedules$/, schedules, "Schedules"],
  [/^#\/encounters$/, encounters, "Encounters"],
  [/^#\/calls$/, calls, "Service calls"],
];

const $ = (id) => document.getElementById(id);
let unmount = () => {};

function showSignIn(message = "") {
  unmount();
  unmount = () => {};
  fill($("view"));
  $("nav").hidden = true;
  $("who").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  document.title = "Sign in · careflow";
  $("token").focus();
}

async function signIn(token) {
  try {
    const me = await api("/v1/me", { token });
    session.set(token);
    $("tenant").textContent = `tenant ${me.tenant}`;
    $("signin").hidden = true;
    $("nav").hidden = false;
    $("who").hidden = false;
    $("token").value = "";
    if (!location.hash || location.hash === "#/") location.hash = "#/runs";
    else route();
  } catch (err) {
    session.clear();
    showSignIn(err.status === 401 ? "That credential was not accepted." : `Sign-in failed: ${err.message}`);
  }
}

function signOut(message = "") {
  session.clear();
  showSignIn(message);
}

function route() {
  if (!session.token) return showSignIn();
  const hash = location.hash || "#/runs";
  const found = routes.find(([re]) => re.test(hash));
  unmount();
  const root = $("view");
  fill(root);
  if (!found) {
    root.append(h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/runs" }, "Back to runs")));
    unmount = () => {};
    return;
  }
  const [re, view, title] = found;
  const params = hash.match(re).slice(1);
  document.title = `${title} · careflow`;
  for (const a of $("nav").querySelectorAll("a")) {
    const current = hash === a.getAttribute("href") || (title === "Run" && a.getAttribute("href") === "#/runs");
    if (current) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  unmount = view.mount(root, ...params) || (() => {});
}

session.onSignedOut((message) => signOut(message));
$("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const token = $("token").value.trim();
  if (token) signIn(token);
});
$("signout").addEventListener("click", () => signOut("Signed out."));
$("skip").addEventListener("click", (e) => {
  e.preventDefault();
  $("main").focus();
});
window.addEventListener("hashchange", () => {
  route();
  $("main").focus({ preventScroll: true });
});

if (session.token) signIn(session.token);
else showSignIn();
