//! `[discharge]`: how the discharge workflow reads what clinics send and signs what
//! it writes to owners.

use serde::{Deserialize, Deserializer};

use crate::domain::discharge::phone::PhoneRegion;

/// `[discharge]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DischargeSettings {
    /// `discharge.default_phone_region` (`CAREFLOW_DISCHARGE__DEFAULT_PHONE_REGION`),
    /// default `US`: the region (ISO 3166-1 alpha-2) whose national format is assumed
    /// for owner phone numbers written without a country code; empty refuses them.
    #[serde(deserialize_with = "region")]
    pub default_phone_region: PhoneRegion,
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

fn region<'de, D: Deserializer<'de>>(d: D) -> Result<PhoneRegion, D::Error> {
    let code = String::deserialize(d)?;
    PhoneRegion::parse(&code).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use figment::Figment;
    use figment::providers::{Format, Toml};

    use crate::config::{DEFAULT_TOML, Settings};

    #[test]
    fn the_default_region_is_us_and_a_bad_code_names_the_setting() {
        assert_eq!(
            Settings::defaults().discharge.default_phone_region.code(),
            Some("US")
        );
        let bad = Figment::new()
            .merge(Toml::string(DEFAULT_TOML))
            .merge(Toml::string(
                "[discharge]\ndefault_phone_region = \"USA\"\n",
            ));
        let err = bad.extract::<Settings>().unwrap_err().to_string();
        assert!(err.contains("region code"), "{err}");
        let none = Figment::new()
            .merge(Toml::string(DEFAULT_TOML))
            .merge(Toml::string("[discharge]\ndefault_phone_region = \"\"\n"));
        let settings: Settings = none.extract().unwrap();
        assert_eq!(settings.discharge.default_phone_region.code(), None);
    }
}
