//! The built-in workflows, one module each. A workflow module builds its
//! [`WorkflowDefinition`]s from the shared [`Services`]; it uses the engine's step
//! API and the domain services, and knows nothing about leases, queues or SQL.

pub mod discharge;
pub mod schedule_import;
pub mod service_call;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{BreakerSettings, Settings};
use crate::domain::discharge::phone::PhoneRegion;
use crate::domain::service_call::ServiceCalls;
use crate::engine::{Clock, DefinitionError, FunctionSpec, WorkflowDefinition};
use crate::providers::outbound::{GuardedClient, OutboundSettings};
use crate::providers::resilience::Resilience;
use crate::store::Store;
use clients::ProviderClients;

pub mod care;
pub mod clients;
pub mod encounter;
pub mod startup;
pub mod support;
pub mod user;

/// What the built-in workflows are built from.
#[derive(Clone)]
pub struct Services {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The settings the service started with.
    pub settings: Arc<Settings>,
    /// The engine's clock.
    pub clock: Arc<dyn Clock>,
    /// The shared HTTP client for outside services configured by the operator.
    pub http: reqwest::Client,
    /// Deadlines and circuit breakers of outside providers.
    pub resilience: Arc<Resilience>,
    /// The provider clients, each behind the resilience layer. The outbound one is
    /// for URLs that come from requests rather than from the configuration:
    /// internal destinations are refused unless `providers.outbound.allow` permits them.
    pub providers: Arc<ProviderClients>,
    /// Scheduled service calls: the `ServiceCall` aggregate.
    pub service_calls: Arc<ServiceCalls>,
    /// The FHIR sources of the `encounter` workflow.
    pub encounter_sources: Arc<encounter::EncounterSources>,
    /// Where owner phone numbers without a country code are read
    /// (`discharge.default_phone_region`).
    pub phone_region: PhoneRegion,
}

impl Services {
    /// Builds the shared services from the settings: the HTTP client for configured
    /// providers, the resilience layer, one client per provider behind it, the
    /// outbound guard and the service-call aggregate. The error names the setting at fault.
    pub fn build(
        store: Arc<dyn Store>,
        settings: Arc<Settings>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("careflow/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let resilience = Resilience::new(
            settings.resilience.breaker.clone(),
            breaker_overrides(&settings),
        );
        let outbound_settings = &settings.providers.outbound;
        let policy = Arc::new(startup::outbound_policy(outbound_settings)?);
        let outbound = GuardedClient::new(
            policy.clone(),
            OutboundSettings::from_settings(outbound_settings),
        )
        .map_err(|e| format!("outbound client: {e}"))?;
        let phone_region = discharge::phone_region(&settings.discharge)?;
        let service_calls = ServiceCalls::new(store.clone(), &settings.service_calls, policy)
            .map_err(|e| format!("service_calls.encryption_key: {e}"))?;
        let encounter_sources = Arc::new(encounter::EncounterSources::from_settings(
            &settings.encounters,
        )?);
        for source in encounter_sources.all() {
            resilience.register(&source.endpoint);
        }
        let providers = Arc::new(ProviderClients::build(
            &settings,
            &http,
            outbound,
            &resilience,
        )?);
        Ok(Self {
            store,
            settings,
            clock,
            http,
            resilience,
            providers,
            service_calls: Arc::new(service_calls),
            encounter_sources,
            phone_region,
        })
    }
}

/// The breakers that differ from `[resilience.breaker]`, by the name the layer looks
/// them up by: a provider (`fhir`), from its `[providers.<name>.breaker]`, or one
/// breaker (`fhir:north`), from `[resilience.endpoints]` over its provider's keys.
fn breaker_overrides(settings: &Settings) -> BTreeMap<String, BreakerSettings> {
    let defaults = &settings.resilience.breaker;
    let providers = settings.providers.breakers();
    let mut out: BTreeMap<String, BreakerSettings> = providers
        .iter()
        .filter(|(_, changes)| !changes.is_empty())
        .map(|(name, changes)| (name.to_string(), defaults.merged(changes)))
        .collect();
    for (name, changes) in &settings.resilience.endpoints {
        let kind = name.split(':').next().unwrap_or_default();
        let base = providers
            .iter()
            .find(|(provider, _)| *provider == kind)
            .map_or_else(|| defaults.clone(), |(_, own)| defaults.merged(own));
        out.insert(name.clone(), base.merged(changes));
    }
    out
}

/// Every built-in event function: a workflow and what triggers it.
pub fn functions(
    services: &Services,
) -> Result<Vec<(WorkflowDefinition, FunctionSpec)>, DefinitionError> {
    care::functions(services)
}

/// Every built-in workflow definition.
pub fn builtin(services: &Services) -> Result<Vec<WorkflowDefinition>, DefinitionError> {
    let mut all = Vec::new();
    all.extend(service_call::definitions(services)?);
    all.extend(discharge::definitions(services)?);
    all.extend(schedule_import::definitions(services)?);
    all.extend(encounter::definitions(services)?);
    Ok(all)
}
