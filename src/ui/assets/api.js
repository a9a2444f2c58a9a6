// The JSON API, with the signed-in bearer credential. The credential is kept in
// sessionStorage: this tab only, gone when the tab closes or the user signs out.

const KEY = "careflow.credential";
let onSignedOut = () => {};

export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  set(token) { sessionStorage.setItem(KEY, token); },
  clear() { sessionStorage.removeItem(KEY); },
  onSignedOut(fn) { onSignedOut = fn; },
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Calls the API; resolves with the JSON body (or the Response when `raw`). */
export async function api(path, { method = "GET", body, raw = false, token } = {}) {
  const headers = { Accept: "application/json" };
  const credential = token ?? session.token;
  if (credential) headers.Authorization = `Bearer ${credential}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
  });
  if (!r.ok) {
    let p = null;
    try { p = await r.json(); } catch { p = null; }
    // An expired JWT or a revoked key: back to the sign-in form.
    if (r.status === 401 && !token) onSignedOut(p?.detail || "Please sign in again.");
    throw new ApiError(r.status, p);
  }
  if (raw) return r;
  return r.status === 204 ? null : r.json();
}

/** `?a=1&b=2` from the non-empty values of an object. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}
