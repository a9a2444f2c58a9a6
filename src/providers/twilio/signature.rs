//! Verifying that a webhook (status callback, inbound SMS) really comes from Twilio.
//!
//! Twilio signs each request: base64(HMAC-SHA1(auth token, full URL followed by every POST
//! parameter's name and value, parameters sorted by name)) in the `X-Twilio-Signature` header.
//! The URL must be exactly the one Twilio called (scheme, host, path and query string).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

fn mac_over(auth_token: &str, full_url: &str, params: &[(String, String)]) -> Option<HmacSha1> {
    let mut mac = HmacSha1::new_from_slice(auth_token.as_bytes()).ok()?;
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // Repeated names (StatusCallbackEvent) are ordered by value too, as Twilio's own libraries do.
    sorted.sort();
    mac.update(full_url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    Some(mac)
}

/// The signature Twilio sends for a POST to `full_url` with form `params`.
pub fn compute_signature(auth_token: &str, full_url: &str, params: &[(String, String)]) -> String {
    mac_over(auth_token, full_url, params)
        .map(|mac| STANDARD.encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether `header_value` is Twilio's signature for this request, compared in constant time.
///
/// A proxy may add or drop the default port (`:443`, `:80`) between Twilio and us; both forms
/// of the URL are accepted, as Twilio's own libraries do.
pub fn verify_signature(
    auth_token: &str,
    full_url: &str,
    params: &[(String, String)],
    header_value: &str,
) -> bool {
    let Ok(expected) = STANDARD.decode(header_value.trim()) else {
        return false;
    };
    url_variants(full_url).iter().any(|url| {
        mac_over(auth_token, url, params).is_some_and(|mac| mac.verify_slice(&expected).is_ok())
    })
}

/// The URL as given, plus the same URL with its default port added or removed.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    let (default_port, rest_at) = if let Some(rest) = url.strip_prefix("https://") {
        (":443", url.len() - rest.len())
    } else if let Some(rest) = url.strip_prefix("http://") {
        (":80", url.len() - rest.len())
    } else {
        return variants;
    };
    let rest = &url[rest_at..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_len);
    let scheme = &url[..rest_at];
    if let Some(host) = authority.strip_suffix(default_port) {
        variants.push(format!("{scheme}{host}{tail}"));
    } else if !authority.contains(':') {
        variants.push(format!("{scheme}{authority}{default_port}{tail}"));
    }
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn callback() -> Vec<(String, String)> {
        pairs(&[
            ("To", "+15005550006"),
            ("MessageStatus", "delivered"),
            ("MessageSid", "SM5f0c2a7d41e8493a9c5e1b6f0d2e4a11"),
            ("AccountSid", "AC00000000000000000000000000000001"),
            ("From", "+15005550001"),
        ])
    }

    const URL: &str = "https://careflow.example/v1/webhooks/twilio/status?run=42";

    #[test]
    fn the_signature_is_the_hmac_of_the_url_and_sorted_parameters() {
        // Built by hand from Twilio's documented algorithm, independently of the module's code.
        let mut mac = Hmac::<Sha1>::new_from_slice(b"secret-token").unwrap();
        mac.update(
            b"https://careflow.example/v1/webhooks/twilio/status?run=42\
              AccountSidAC00000000000000000000000000000001\
              From+15005550001\
              MessageSidSM5f0c2a7d41e8493a9c5e1b6f0d2e4a11\
              MessageStatusdelivered\
              To+15005550006",
        );
        let expected = STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(
            compute_signature("secret-token", URL, &callback()),
            expected
        );
        assert!(verify_signature(
            "secret-token",
            URL,
            &callback(),
            &expected
        ));
    }

    #[test]
    fn twilios_documented_example_verifies() {
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            compute_signature("12345", url, &params),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
        assert!(verify_signature(
            "12345",
            url,
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
    }

    #[test]
    fn a_tampered_request_is_rejected() {
        let signature = compute_signature("secret-token", URL, &callback());
        let mut tampered = callback();
        tampered[1].1 = "failed".to_owned();
        assert!(!verify_signature(
            "secret-token",
            URL,
            &tampered,
            &signature
        ));
        let mut extra = callback();
        extra.push(("ErrorCode".to_owned(), "30003".to_owned()));
        assert!(!verify_signature("secret-token", URL, &extra, &signature));
        assert!(!verify_signature(
            "secret-token",
            "https://careflow.example/other",
            &callback(),
            &signature
        ));
        assert!(!verify_signature(
            "another-token",
            URL,
            &callback(),
            &signature
        ));
        assert!(!verify_signature(
            "secret-token",
            URL,
            &callback(),
            "not base64!"
        ));
        assert!(!verify_signature("secret-token", URL, &callback(), ""));
    }

    #[test]
    fn parameter_order_in_the_request_does_not_matter() {
        let signature = compute_signature("secret-token", URL, &callback());
        let mut reordered = callback();
        reordered.reverse();
        assert!(verify_signature(
            "secret-token",
            URL,
            &reordered,
            &signature
        ));
    }

    #[test]
    fn a_default_port_added_or_dropped_by_a_proxy_still_verifies() {
        let signed_with_port = compute_signature(
            "secret-token",
            "https://careflow.example:443/v1/hook?x=1",
            &callback(),
        );
        assert!(verify_signature(
            "secret-token",
            "https://careflow.example/v1/hook?x=1",
            &callback(),
            &signed_with_port
        ));
        let signed_without = compute_signature(
            "secret-token",
            "https://careflow.example/v1/hook",
            &callback(),
        );
        assert!(verify_signature(
            "secret-token",
            "https://careflow.example:443/v1/hook",
            &callback(),
            &signed_without
        ));
        assert!(!verify_signature(
            "secret-token",
            "https://careflow.example:8443/v1/hook",
            &callback(),
            &signed_without
        ));
    }
}
