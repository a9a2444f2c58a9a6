//! `[discharge]`: how the discharge workflow reads what clinics send and signs what
//! it writes to owners.

use serde::Deserialize;

/// `[discharge]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DischargeSettings {
    /// `discharge.default_phone_region` (`CAREFLOW_DISCHARGE__DEFAULT_PHONE_REGION`),
    /// default `US`: the region (ISO 3166-1 alpha-2) whose national format is assumed
    /// for owner phone numbers written without a country code; empty refuses them.
    /// The discharge workflow reads the code at start-up
    /// (`workflows::discharge::phone_region`), naming this key when it is no region.
    pub default_phone_region: String,
    /// `discharge.clinic_name` (`CAREFLOW_DISCHARGE__CLINIC_NAME`), default `the clinic
    /// team`: who the owner's email comes from, in its subject, body and signature,
    /// unless a request names the clinic.
    pub clinic_name: String,
}

impl DischargeSettings {
    /// Rules types cannot express.
    pub(super) fn check(&self) -> Result<(), String> {
        if self.clinic_name.trim().is_empty() || self.clinic_name.chars().any(char::is_control) {
            return Err("discharge.clinic_name: must be a non-empty name on one line".into());
        }
        Ok(())
    }
}
