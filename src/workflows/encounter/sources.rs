//! The configured FHIR sources of the encounter workflow, each with its client,
//! tenant and payer. Requests only ever name a source; the URLs called are always
//! the configured ones.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use crate::config::{EncounterSettings, SourceAuth, SourceSettings};
use crate::providers::fhir::{FhirAuth, FhirClient};
use crate::providers::resilience::Endpoint;
use crate::store::TenantId;

/// One configured FHIR source.
#[derive(Debug)]
pub struct Source {
    /// Unique name.
    pub name: String,
    /// The tenant its encounters belong to.
    pub tenant: TenantId,
    /// The payer whose rules apply.
    pub payer: Option<String>,
    /// Whether the service polls it.
    pub poll: bool,
    /// Time between polls.
    pub interval: Duration,
    /// Encounters per search page.
    pub page_size: u32,
    /// Its client.
    pub client: FhirClient,
    /// What its breaker protects: this source, for its tenant alone.
    pub endpoint: Endpoint,
}

/// Every configured source, by name.
#[derive(Debug, Default)]
pub struct EncounterSources {
    sources: Vec<Arc<Source>>,
}

impl EncounterSources {
    /// Builds the sources and their clients. Redirects are not followed: a FHIR
    /// server's answer must come from the configured origin.
    pub fn from_settings(settings: &EncounterSettings) -> Result<Self, String> {
        if settings.sources.is_empty() {
            return Ok(Self::default());
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("careflow/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("FHIR HTTP client: {e}"))?;
        let sources = settings
            .sources
            .iter()
            .map(|s| source(http.clone(), s).map(Arc::new))
            .collect::<Result<_, _>>()?;
        Ok(Self { sources })
    }

    /// Every source.
    pub fn all(&self) -> &[Arc<Source>] {
        &self.sources
    }

    /// The source named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Source>> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// The source named `name` when it belongs to `tenant`; another tenant's source
    /// is reported exactly like an unknown one.
    pub fn for_tenant(&self, name: &str, tenant: &TenantId) -> Option<&Arc<Source>> {
        self.get(name).filter(|s| &s.tenant == tenant)
    }

    /// The sources of `tenant`.
    pub fn of_tenant<'a>(&'a self, tenant: &'a TenantId) -> impl Iterator<Item = &'a Arc<Source>> {
        self.sources.iter().filter(move |s| &s.tenant == tenant)
    }

    /// The sources of `tenant` whose base URL is `url` (compared after
    /// normalisation: scheme and host case, trailing slash).
    pub fn of_tenant_at<'a>(
        &'a self,
        tenant: &'a TenantId,
        url: &str,
    ) -> impl Iterator<Item = &'a Arc<Source>> {
        let wanted = normalise(url);
        self.of_tenant(tenant)
            .filter(move |s| wanted.as_ref() == Some(s.client.base_url()))
    }
}

/// A base URL as [`FhirClient`] keeps it: parsed, with a trailing slash.
fn normalise(url: &str) -> Option<Url> {
    let mut url = Url::parse(url.trim()).ok()?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Some(url)
}

fn source(http: reqwest::Client, s: &SourceSettings) -> Result<Source, String> {
    let at = |what: &str| format!("encounters.sources `{}`: {what}", s.name);
    let auth = match s.auth {
        SourceAuth::None => FhirAuth::None,
        SourceAuth::Bearer => FhirAuth::Bearer(s.token.clone()),
        SourceAuth::Basic => FhirAuth::Basic {
            user: s.username.clone(),
            password: s.password.clone(),
        },
    };
    let client = FhirClient::new(http, s.base_url.clone(), auth).map_err(|e| at(&e.to_string()))?;
    let tenant = TenantId::parse(&s.tenant).map_err(|e| at(&e))?;
    Ok(Source {
        endpoint: Endpoint::of_tenant("fhir", s.name.clone(), tenant.as_str()),
        name: s.name.clone(),
        tenant,
        payer: s.payer.clone().filter(|p| !p.trim().is_empty()),
        poll: s.poll,
        interval: s.interval,
        page_size: s.page_size,
        client,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn sources() -> EncounterSources {
        let mut settings = Settings::defaults().encounters;
        for (name, url, tenant) in [
            ("north", "http://127.0.0.1:9/fhir", "clinic-a"),
            ("south", "HTTP://127.0.0.1:9/other/", "clinic-b"),
        ] {
            settings.sources.push(SourceSettings {
                name: name.into(),
                base_url: url.into(),
                tenant: tenant.into(),
                auth: SourceAuth::None,
                token: Default::default(),
                username: String::new(),
                password: Default::default(),
                poll: true,
                interval: Duration::from_secs(60),
                payer: Some(" ".into()),
                page_size: 10,
            });
        }
        EncounterSources::from_settings(&settings).unwrap()
    }

    #[test]
    fn another_tenants_source_is_not_found_by_name_or_by_url() {
        let sources = sources();
        let a = TenantId::parse("clinic-a").unwrap();
        assert!(sources.for_tenant("north", &a).is_some());
        assert!(sources.for_tenant("south", &a).is_none());
        assert_eq!(
            sources
                .of_tenant_at(&a, "http://127.0.0.1:9/fhir/")
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["north"]
        );
        assert_eq!(
            sources.of_tenant_at(&a, "http://127.0.0.1:9/other").count(),
            0
        );
        let b = TenantId::parse("clinic-b").unwrap();
        assert_eq!(
            sources.of_tenant_at(&b, "http://127.0.0.1:9/other").count(),
            1
        );
        assert_eq!(sources.get("north").unwrap().payer, None);
    }
}
