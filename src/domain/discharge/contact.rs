//! Contact syntax: email addresses (internationalised domains included, carried in
//! ASCII to the mail relay) and E.164 phone numbers. Reading numbers as people
//! write them is `phone`'s job; these checks take what it produced.

/// True when `s` looks like a deliverable email address: one `@`, a local part of
/// ordinary characters, and a dotted domain whose labels are letters, digits and
/// inner hyphens, ending in an alphabetic top-level label. Internationalised domains
/// (`tierklinik-müller.de`) are accepted when IDNA turns them into such a domain.
/// Deliberately stricter than RFC 5322 (no quoted local parts, no address literals)
/// because a mail relay rejects those far more often than it accepts them.
pub fn is_valid_email(s: &str) -> bool {
    if s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    local_ok && ascii_domain(domain).is_some_and(|d| is_ascii_domain(&d))
}

/// The domain as DNS and SMTP carry it: internationalised labels in their
/// `xn--` form, lower case. `None` when IDNA refuses it.
fn ascii_domain(domain: &str) -> Option<String> {
    if domain.is_empty() {
        return None;
    }
    idna::domain_to_ascii_strict(domain).ok()
}

fn is_ascii_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| {
            tld.len() >= 2
                && (tld.chars().all(|c| c.is_ascii_alphabetic()) || tld.starts_with("xn--"))
        })
}

/// A valid address with its domain in ASCII (`owner@xn--tierklinik-mller-uzb.de`),
/// as the SMTP envelope needs it: relays without SMTPUTF8 refuse raw UTF-8. Any
/// other string is returned unchanged.
pub fn ascii_email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => match ascii_domain(domain) {
            Some(d) => format!("{local}@{d}"),
            None => s.to_string(),
        },
        None => s.to_string(),
    }
}

/// True when `s` is an E.164 number: `+`, then 8 to 15 digits, the first not 0.
/// No spaces or punctuation: callers that accept human input normalise first.
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_email_addresses_are_accepted() {
        for ok in [
            "jane.doe@example.com",
            "j+vet@mail.example.co.uk",
            "o'brien@clinic-mail.org",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
    }

    #[test]
    fn internationalised_domains_are_accepted_and_carried_in_ascii() {
        for ok in [
            "owner@tierklinik-müller.de",
            "jane@例え.テスト",
            "jane@xn--mller-kva.de",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        assert_eq!(
            ascii_email("owner@Tierklinik-Müller.de"),
            "owner@xn--tierklinik-mller-uzb.de"
        );
        assert_eq!(ascii_email("jane@example.com"), "jane@example.com");
        assert!(!is_valid_email("jane@bad_domain.de"));
        assert!(
            !is_valid_email("jänë@example.com"),
            "local parts stay ASCII"
        );
    }

    #[test]
    fn malformed_email_addresses_are_rejected() {
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "jane@@example.com",
            "jane doe@example.com",
            "jane@-example.com",
            "jane..doe@example.com",
            "jane@example.c0m",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn e164_needs_a_plus_and_eight_to_fifteen_digits() {
        assert!(is_e164("+15551234567"));
        assert!(is_e164("+4915112345678"));
        assert!(!is_e164("15551234567"));
        assert!(!is_e164("+1 555 123 4567"));
        assert!(!is_e164("+1234567"));
        assert!(!is_e164("+1234567890123456"));
        assert!(!is_e164("+05551234567"));
    }
}
