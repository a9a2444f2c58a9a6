//! `[events]`: the event stream and the event table.

use std::time::Duration;

use serde::Deserialize;

use super::Secret;
use super::serde_helpers::duration;

/// `[events]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    /// `events.buffer_per_subscriber` (`CAREFLOW_EVENTS__BUFFER_PER_SUBSCRIBER`),
    /// default 1024: events a slow SSE subscriber may fall behind before it loses the
    /// oldest and is told so.
    pub buffer_per_subscriber: usize,
    /// `events.buffer_bytes_per_subscriber`
    /// (`CAREFLOW_EVENTS__BUFFER_BYTES_PER_SUBSCRIBER`), default 4 MiB: bytes of events
    /// a slow SSE subscriber may fall behind, whatever their number, before it loses
    /// the oldest and is told so. Bounds a stalled subscriber's memory when events
    /// are large; a single larger event is still delivered, alone.
    pub buffer_bytes_per_subscriber: usize,
    /// `events.retention`, default 7d: stored events older than this are pruned.
    #[serde(with = "duration")]
    pub retention: Duration,
    /// `events.keep_alive`, default 15s: SSE comment interval that keeps proxies open.
    #[serde(with = "duration")]
    pub keep_alive: Duration,
    /// `events.retry_hint`, default 3s: the `retry:` reconnect delay sent to clients.
    #[serde(with = "duration")]
    pub retry_hint: Duration,
    /// `events.stream_token_ttl`, default 60s: how long a token from
    /// `POST /v1/stream-tokens` may be used to open `GET /v1/events/stream?token=`.
    #[serde(with = "duration")]
    pub stream_token_ttl: Duration,
    /// `events.stream_token_key` (`CAREFLOW_EVENTS__STREAM_TOKEN_KEY`), default empty:
    /// the base64 key (at least 32 bytes) that signs stream tokens. Empty: a random
    /// key made on first start and kept in the database, so every replica shares it.
    pub stream_token_key: Secret,
}
