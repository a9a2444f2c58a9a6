//! The settings the workflows read into domain types, read once at start-up: the
//! discharge phone region, the schedules' default time zone, the encounter rule set
//! and sources' tenants, the service-call key and header, the outbound allowlist and
//! the Twilio sender. `config` keeps them as plain values and knows no domain type;
//! a wrong value stops start-up here with an error naming its key.

use crate::config::{OutboundProviderSettings, Settings, TwilioProviderSettings};
use crate::domain::discharge::case::is_e164;
use crate::providers::outbound::OutboundPolicy;

/// Every problem of the settings read here, each naming its key; empty when the
/// workflows can start.
pub fn problems(settings: &Settings) -> Vec<String> {
    let mut out = Vec::new();
    let mut keep = |result: Result<(), String>| {
        if let Err(e) = result {
            out.push(e);
        }
    };
    keep(super::discharge::phone_region(&settings.discharge).map(drop));
    keep(super::schedule_import::default_zone(&settings.schedules).map(drop));
    keep(super::service_call::check_settings(&settings.service_calls));
    keep(outbound_policy(&settings.providers.outbound).map(drop));
    keep(twilio_sender(&settings.providers.twilio));
    out.extend(super::encounter::settings::problems(&settings.encounters));
    out
}

/// `providers.outbound.allow` read into the destination policy of outbound calls.
pub fn outbound_policy(settings: &OutboundProviderSettings) -> Result<OutboundPolicy, String> {
    OutboundPolicy::new(&settings.allow).map_err(|e| format!("providers.outbound.allow: {e}"))
}

/// A configured Twilio account sends from an E.164 number unless a messaging
/// service picks the sender.
fn twilio_sender(settings: &TwilioProviderSettings) -> Result<(), String> {
    if settings.is_configured()
        && settings.messaging_service_sid.trim().is_empty()
        && !is_e164(&settings.from)
    {
        return Err(
            "providers.twilio.from: must be an E.164 number such as +15551234567 (or set messaging_service_sid)"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_start() {
        assert_eq!(problems(&Settings::defaults()), Vec::<String>::new());
    }

    #[test]
    fn a_malformed_allowlist_entry_is_refused_with_the_setting_named() {
        let mut s = Settings::defaults().providers.outbound;
        s.allow = vec!["10.0.0.0/99".into()];
        let err = outbound_policy(&s).unwrap_err();
        assert!(err.starts_with("providers.outbound.allow:"), "{err}");
    }

    #[test]
    fn allowlisted_ranges_open_internal_addresses_and_nothing_else() {
        let mut s = Settings::defaults().providers.outbound;
        assert!(s.allow.is_empty(), "nothing internal is allowed by default");
        s.allow = vec!["127.0.0.1/32".into()];
        let policy = outbound_policy(&s).unwrap();
        assert!(policy.is_address_allowed("127.0.0.1".parse().unwrap()));
        assert!(!policy.is_address_allowed("127.0.0.2".parse().unwrap()));
        assert!(!policy.is_address_allowed("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn every_problem_is_listed_with_its_key() {
        let mut s = Settings::defaults();
        s.discharge.default_phone_region = "USA".into();
        s.schedules.default_time_zone = "Nowhere/Else".into();
        s.service_calls.idempotency_header = "Two Words".into();
        s.providers.twilio.base_url = "https://api.twilio.example".into();
        s.providers.twilio.from = "5551234567".into();
        let found = problems(&s).join("\n");
        for key in [
            "discharge.default_phone_region",
            "schedules.default_time_zone",
            "service_calls.idempotency_header",
            "providers.twilio.from",
        ] {
            assert!(found.contains(key), "{key} in:\n{found}");
        }
    }

    #[test]
    fn a_twilio_account_sends_from_an_e164_number_or_a_messaging_service() {
        let mut s = Settings::defaults().providers.twilio;
        assert!(twilio_sender(&s).is_ok(), "no account, nothing to check");
        s.base_url = "https://api.twilio.example".into();
        s.from = "555-1234".into();
        let err = twilio_sender(&s).unwrap_err();
        assert!(err.starts_with("providers.twilio.from"), "{err}");
        s.messaging_service_sid = "MG0123".into();
        assert!(twilio_sender(&s).is_ok());
        s.messaging_service_sid = String::new();
        s.from = "+15551234567".into();
        assert!(twilio_sender(&s).is_ok());
    }
}
