// Live events for the views: a stream token (POST /v1/stream-tokens) opens the
// event stream with EventSource, which cannot send the bearer header. When the
// stream closes (a replica stopped, or the token expired before a reconnect), a new
// token is fetched and the stream resumes after the last event seen.

import { api } from "./api.js";

/**
 * Follows the tenant's events matching `filters` ({runId, correlationId, workflow,
 * eventType}); calls `onEvent(event)` for each, and `onState("live" | "reconnecting"
 * | "offline")`. Returns a function that stops following.
 */
export function follow(filters, onEvent, onState = () => {}) {
  let source = null;
  let lastId = "";
  let stopped = false;
  let timer = null;
  const clean = Object.fromEntries(Object.entries(filters || {}).filter(([, v]) => v));

  async function open() {
    if (stopped) return;
    let grant;
    try {
      grant = await api("/v1/stream-tokens", { method: "POST", body: clean });
    } catch {
      onState("offline");
      timer = setTimeout(open, 5000);
      return;
    }
    if (stopped) return;
    // named=false: every event arrives as a plain message, its type in the data.
    let url = `${grant.streamUrl}&named=false`;
    if (lastId) url += `&lastEventId=${encodeURIComponent(lastId)}`;
    source = new EventSource(url);
    source.onopen = () => onState("live");
    source.onmessage = (m) => {
      if (m.lastEventId) lastId = m.lastEventId;
      let event;
      try { event = JSON.parse(m.data); } catch { return; }
      if (event.eventType === "lagged") {
        // This tab read too slowly and lost events: resume from where they start.
        lastId = event.resumeFrom;
        source.close();
        open();
        return;
      }
      onEvent(event);
    };
    source.onerror = () => {
      if (stopped) return;
      onState("reconnecting");
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        timer = setTimeout(open, 1500);
      }
    };
  }

  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (source) source.close();
  };
}
