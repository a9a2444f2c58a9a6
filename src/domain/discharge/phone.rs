//! Owner phone numbers as clinics write them (`(555) 123-4567`, `+44 20 7946 0958`,
//! `0044 20 7946 0958`, `1-212-555-0142`) read into E.164 with libphonenumber's
//! rules and metadata (the `phonenumber` crate). A number without a country code is
//! read in the configured default region (`discharge.default_phone_region`).
//!
//! The check is the one libphonenumber calls "possible": the country code exists and
//! the number has a length that country uses. Numbers are not checked against the
//! ranges currently assigned, which change faster than any release and would refuse
//! the fictional 555 numbers clinics use in training and tests.

use std::fmt;

use phonenumber::Mode;
use phonenumber::country::Id;
use phonenumber::metadata::DATABASE;

use super::contact::is_e164;

/// The region assumed for numbers written without a country code; `None` refuses
/// such numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhoneRegion(Option<Id>);

/// Why a phone number was not accepted; the messages name no digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    /// Not a phone number at all.
    NotANumber,
    /// No country code, and no default region is configured.
    NeedsCountryCode,
    /// It has an extension, which an automated call cannot dial.
    Extension,
    /// Too short or too long for its country.
    Length,
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PhoneError::NotANumber => "is not a phone number",
            PhoneError::NeedsCountryCode => {
                "has no country code and no default region is configured \
                 (discharge.default_phone_region); write it as + and the country code"
            }
            PhoneError::Extension => {
                "has an extension, which a call cannot dial; give a direct number"
            }
            PhoneError::Length => "has too few or too many digits for its country",
        })
    }
}

impl PhoneRegion {
    /// Reads a region code such as `US` or `gb`; empty means no default region.
    pub fn parse(code: &str) -> Result<Self, String> {
        let code = code.trim();
        if code.is_empty() {
            return Ok(Self(None));
        }
        code.to_ascii_uppercase()
            .parse::<Id>()
            .map(|id| Self(Some(id)))
            .map_err(|_| {
                format!("{code:?} is not a region code such as US, CA or GB (ISO 3166-1 alpha-2)")
            })
    }

    /// The region code, when one is set.
    pub fn code(&self) -> Option<&str> {
        self.0.as_ref().map(AsRef::as_ref)
    }

    /// The number in E.164 (`+15551234567`). A leading `00` is read as the
    /// international prefix, as in most of the world.
    pub fn normalise(&self, raw: &str) -> Result<String, PhoneError> {
        let raw = raw.trim();
        let raw = raw.strip_prefix("tel:").unwrap_or(raw).trim();
        let written = match raw.strip_prefix("00") {
            Some(rest) => format!("+{}", rest.trim_start()),
            None => raw.to_string(),
        };
        if !written.starts_with('+') && self.0.is_none() {
            return Err(PhoneError::NeedsCountryCode);
        }
        let number = phonenumber::parse(self.0, &written).map_err(|_| PhoneError::NotANumber)?;
        if number.extension().is_some() {
            return Err(PhoneError::Extension);
        }
        let e164 = number.format().mode(Mode::E164).to_string();
        let code = number.code().value();
        let national_len = e164.len().saturating_sub(1 + code.to_string().len());
        if !possible_lengths(code).contains(&(national_len as u16)) || !is_e164(&e164) {
            return Err(PhoneError::Length);
        }
        Ok(e164)
    }
}

/// The national-number lengths the main region of a country code uses, over every
/// kind of number (fixed line, mobile, toll free, ...).
fn possible_lengths(code: u16) -> Vec<u16> {
    let Some(meta) = DATABASE.by_code(&code).and_then(|m| m.into_iter().next()) else {
        return Vec::new();
    };
    let d = meta.descriptors();
    let mut lengths: Vec<u16> = [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
    .flat_map(|desc| desc.possible_length().iter().copied())
    .collect();
    lengths.sort_unstable();
    lengths.dedup();
    lengths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> PhoneRegion {
        PhoneRegion::parse("us").unwrap()
    }

    #[test]
    fn numbers_as_clinics_write_them_become_e164() {
        let table = [
            ("national with brackets", "(555) 123-4567", "+15551234567"),
            ("national with dashes", "555-123-4567", "+15551234567"),
            ("trunk prefix", "1-212-555-0142", "+12125550142"),
            ("international", "+1 555 123 4567", "+15551234567"),
            ("dots", "212.555.0142", "+12125550142"),
            ("another country", "+44 20 7946 0958", "+442079460958"),
            ("00 prefix", "0044 20 7946 0958", "+442079460958"),
            (
                "US international prefix",
                "011 44 20 7946 0958",
                "+442079460958",
            ),
            ("tel URI", "tel:+15005550006", "+15005550006"),
        ];
        for (case, raw, want) in table {
            assert_eq!(us().normalise(raw).as_deref(), Ok(want), "{case}: {raw}");
        }
        let gb = PhoneRegion::parse("GB").unwrap();
        assert_eq!(
            gb.normalise("020 7946 0958").as_deref(),
            Ok("+442079460958")
        );
    }

    #[test]
    fn numbers_that_cannot_be_called_are_refused_with_the_reason() {
        let table = [
            ("words", "call the front desk", PhoneError::NotANumber),
            ("seven digits, no area code", "555-1234", PhoneError::Length),
            ("too long", "+1 555 123 45678", PhoneError::Length),
            ("extension", "212 555 0142 ext. 12", PhoneError::Extension),
            (
                "unknown country code",
                "+999 1234 5678",
                PhoneError::NotANumber,
            ),
        ];
        for (case, raw, want) in table {
            assert_eq!(us().normalise(raw), Err(want), "{case}: {raw}");
        }
        let none = PhoneRegion::parse("").unwrap();
        assert_eq!(
            none.normalise("(555) 123-4567"),
            Err(PhoneError::NeedsCountryCode)
        );
        assert_eq!(
            none.normalise("+15551234567").as_deref(),
            Ok("+15551234567")
        );
    }

    #[test]
    fn region_codes_are_checked() {
        assert_eq!(us().code(), Some("US"));
        assert_eq!(PhoneRegion::parse(" ").unwrap().code(), None);
        assert!(
            PhoneRegion::parse("USA")
                .unwrap_err()
                .contains("region code")
        );
    }
}
