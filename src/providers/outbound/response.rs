//! What is kept of an outbound response: status, a few headers worth recording,
//! the body size and a bounded, lossily decoded excerpt of the body.

use std::fmt;

use reqwest::header::HeaderMap;
use serde::Serialize;

/// Response headers worth recording; everything else (cookies etc.) is dropped.
const KEPT_HEADERS: [&str; 6] = [
    "content-type",
    "content-length",
    "retry-after",
    "location",
    "date",
    "x-request-id",
];

/// The recorded outcome of an outbound call that got an answer.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundResponse {
    /// HTTP status code.
    pub status: u16,
    /// Selected headers (lower-case names): content-type, content-length,
    /// retry-after, location, date and every x-request-id.
    pub headers: Vec<(String, String)>,
    /// Total body size in bytes, counted while streaming.
    pub body_size: u64,
    /// The start of the body, at most the configured number of bytes, decoded
    /// as UTF-8 with invalid sequences replaced.
    pub body_excerpt: String,
    /// Milliseconds from sending until the body was read.
    pub latency_ms: u64,
}

impl OutboundResponse {
    /// The first kept header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Debug leaves out the body excerpt: it may hold personal data.
impl fmt::Debug for OutboundResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_size", &self.body_size)
            .field("body_excerpt_len", &self.body_excerpt.len())
            .field("latency_ms", &self.latency_ms)
            .finish()
    }
}

/// The kept subset of response headers, in response order.
pub(crate) fn kept_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| KEPT_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect()
}

/// Counts streamed body bytes and keeps only the first `limit` of them.
#[derive(Debug)]
pub(crate) struct Excerpt {
    limit: usize,
    kept: Vec<u8>,
    total: u64,
}

impl Excerpt {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            kept: Vec::with_capacity(limit.min(64 * 1024)),
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.total = self.total.saturating_add(chunk.len() as u64);
        let room = self.limit.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }

    /// Total size and the excerpt text, never longer than `limit` bytes.
    pub(crate) fn finish(self) -> (u64, String) {
        let truncated = self.total > self.kept.len() as u64;
        let mut text = String::with_capacity(self.kept.len());
        let mut chunks = self.kept.utf8_chunks().peekable();
        while let Some(chunk) = chunks.next() {
            text.push_str(chunk.valid());
            let cut_mid_character = truncated && chunks.peek().is_none();
            if !chunk.invalid().is_empty() && !cut_mid_character {
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
        // A NUL cannot be stored (PostgreSQL refuses it): it becomes U+FFFD too.
        let mut text = crate::storable::string(text);
        // Replacement characters are wider than the bytes they replace.
        let mut end = text.len().min(self.limit);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        (self.total, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt(limit: usize, chunks: &[&[u8]]) -> (u64, String) {
        let mut e = Excerpt::new(limit);
        for c in chunks {
            e.push(c);
        }
        e.finish()
    }

    #[test]
    fn the_excerpt_keeps_the_start_and_counts_every_byte() {
        let (size, text) = excerpt(5, &[b"hel", b"lo wor", b"ld"]);
        assert_eq!(size, 11);
        assert_eq!(text, "hello");
    }

    #[test]
    fn a_character_cut_by_the_limit_is_dropped_rather_than_garbled() {
        let (size, text) = excerpt(4, &["abcé".as_bytes()]);
        assert_eq!(size, 5);
        assert_eq!(text, "abc");
    }

    #[test]
    fn invalid_bytes_become_replacement_characters_within_the_bound() {
        let (_, text) = excerpt(8, &[b"a\xffb"]);
        assert_eq!(text, "a\u{FFFD}b");
        let (_, text) = excerpt(3, &[b"\xff\xff\xff"]);
        assert!(text.len() <= 3, "{text:?}");
        assert_eq!(text, "\u{FFFD}");
    }

    #[test]
    fn only_recordable_headers_are_kept() {
        let mut map = HeaderMap::new();
        map.insert("content-type", "application/json".parse().unwrap());
        map.insert("set-cookie", "session=secret".parse().unwrap());
        map.append("x-request-id", "a1".parse().unwrap());
        map.append("x-request-id", "a2".parse().unwrap());
        let kept = kept_headers(&map);
        assert!(kept.contains(&("content-type".into(), "application/json".into())));
        assert!(kept.contains(&("x-request-id".into(), "a2".into())));
        assert_eq!(kept.len(), 3);
    }

    #[test]
    fn debug_output_leaves_out_the_body() {
        let response = OutboundResponse {
            status: 200,
            headers: vec![],
            body_size: 14,
            body_excerpt: "patient: Jane".into(),
            latency_ms: 3,
        };
        assert!(!format!("{response:?}").contains("Jane"));
    }
}
