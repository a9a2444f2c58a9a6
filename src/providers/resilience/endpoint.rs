//! What a breaker protects: one endpoint of one provider, and who may see it.

/// The endpoint a call goes to. Calls to the same endpoint share a breaker; calls to
/// different endpoints of the same provider never do, so one tenant's failing server
/// cannot trip (or heal) the breaker of another's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    provider: &'static str,
    key: String,
    tenant: Option<String>,
}

impl Endpoint {
    /// The one endpoint of a provider the operator configured for everybody (the LLM,
    /// the SMTP relay, the Twilio account, Amion): its breaker is visible to every
    /// tenant and named after the provider.
    pub fn global(provider: &'static str) -> Self {
        Self {
            provider,
            key: provider.to_owned(),
            tenant: None,
        }
    }

    /// An endpoint `tenant` calls: a FHIR source by name, an outbound host. Tenants
    /// calling the same endpoint share its breaker, and each of them sees it.
    pub fn of_tenant(provider: &'static str, key: impl Into<String>, tenant: &str) -> Self {
        Self {
            provider,
            key: key.into(),
            tenant: Some(tenant.to_owned()),
        }
    }

    /// The provider kind (`fhir`, `outbound`, ...): a small, fixed set, fit for metric
    /// labels.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// What identifies the endpoint within its provider (a source name, a host).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The tenant making the call, for endpoints that are not global.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The breaker's name: the provider for a global endpoint, `provider:key` else.
    pub fn breaker_name(&self) -> String {
        if self.tenant.is_none() && self.key == self.provider {
            self.provider.to_owned()
        } else {
            format!("{}:{}", self.provider, self.key)
        }
    }
}

/// A provider name alone is its global endpoint.
impl From<&'static str> for Endpoint {
    fn from(provider: &'static str) -> Self {
        Self::global(provider)
    }
}

impl From<&Endpoint> for Endpoint {
    fn from(endpoint: &Endpoint) -> Self {
        endpoint.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::Endpoint;

    #[test]
    fn global_endpoints_are_named_after_their_provider_and_others_after_their_key() {
        assert_eq!(Endpoint::global("llm").breaker_name(), "llm");
        let source = Endpoint::of_tenant("fhir", "north", "tenant-a");
        assert_eq!(source.breaker_name(), "fhir:north");
        assert_eq!(source.tenant(), Some("tenant-a"));
    }
}
