//! How request headers are kept: secret values (`Authorization`,
//! `Proxy-Authorization`, `Cookie` and configured names) are sealed with the
//! configured key, or dropped without one; and how the stored request is turned
//! back into the request to send.

use http::Method;
use url::Url;
use uuid::Uuid;

use super::record::{ServiceCall, StoredHeader};
use super::redact::is_secret_header;
use super::sealing::{HeaderSealer, SealError};
use crate::config::Secret;
use crate::providers::outbound::OutboundRequest;
use crate::store::TenantId;

/// Seals secret header values at submission and opens them for sending.
#[derive(Debug, Clone)]
pub(super) struct HeaderKeeper {
    sealer: Option<HeaderSealer>,
    secret_names: Vec<String>,
}

impl HeaderKeeper {
    pub(super) fn new(key: &Secret, secret_names: &[String]) -> Result<Self, SealError> {
        Ok(Self {
            sealer: HeaderSealer::from_key(key)?,
            secret_names: secret_names.to_vec(),
        })
    }

    /// True when a key is configured, so secret values are kept (sealed).
    pub(super) fn seals(&self) -> bool {
        self.sealer.is_some()
    }

    /// The headers as stored for call `id` of `tenant`.
    pub(super) fn keep(
        &self,
        tenant: &TenantId,
        id: Uuid,
        headers: &[(String, String)],
    ) -> Result<Vec<StoredHeader>, SealError> {
        headers
            .iter()
            .map(|(name, value)| {
                let name = name.clone();
                if !is_secret_header(&name, &self.secret_names) {
                    return Ok(StoredHeader::Plain {
                        name,
                        value: value.clone(),
                    });
                }
                match &self.sealer {
                    Some(s) => {
                        let sealed = s.seal(&seal_context(tenant, id, &name), value)?;
                        Ok(StoredHeader::Sealed { name, sealed })
                    }
                    None => Ok(StoredHeader::Dropped { name }),
                }
            })
            .collect()
    }

    /// The request to send: secret values opened, dropped ones left out, a
    /// content type added for a body that has none. The error says which header
    /// or part is unusable, never a value.
    pub(super) fn outbound_request(&self, call: &ServiceCall) -> Result<OutboundRequest, String> {
        let method = Method::from_bytes(call.method.as_bytes())
            .map_err(|_| "the stored method is not valid".to_string())?;
        let url = Url::parse(&call.url).map_err(|_| "the stored URL is not valid".to_string())?;
        let mut headers = Vec::with_capacity(call.headers.len() + 1);
        for h in &call.headers {
            match h {
                StoredHeader::Plain { name, value } => headers.push((name.clone(), value.clone())),
                StoredHeader::Sealed { name, sealed } => {
                    let sealer = self.sealer.as_ref().ok_or_else(|| {
                        format!(
                            "header {name} is sealed but service_calls.encryption_key is not configured"
                        )
                    })?;
                    let value = sealer
                        .open(&seal_context(&call.tenant, call.id, name), sealed)
                        .map_err(|e| format!("header {name}: {e}"))?;
                    headers.push((name.clone(), value));
                }
                StoredHeader::Dropped { .. } => {}
            }
        }
        let typed = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
        if let Some(body) = call.body.as_ref().filter(|_| !typed) {
            headers.push(("Content-Type".into(), body.default_content_type().into()));
        }
        Ok(OutboundRequest {
            method,
            url,
            headers,
            body: call.body.as_ref().map(|b| b.to_bytes()),
        })
    }
}

/// What a sealed value is bound to: its tenant, call and header name.
fn seal_context(tenant: &TenantId, id: Uuid, header: &str) -> String {
    format!(
        "service-call-header\u{0}{tenant}\u{0}{id}\u{0}{}",
        header.to_ascii_lowercase()
    )
}
