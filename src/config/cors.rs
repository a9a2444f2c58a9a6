//! `server.cors_allowed_origins`: which browser origins may call the API.
//!
//! Either a list of origins (`https://app.example.com`, scheme and host with an
//! optional port) or the single entry `*`, meaning any origin. `*` never comes with
//! credentials: browsers refuse a wildcard origin on credentialed requests, and the
//! API takes bearer tokens in a header, not cookies, so none are needed.

/// The entry that allows any origin.
pub const ANY_ORIGIN: &str = "*";

/// Checks the list; the error names the setting and the first bad entry.
pub(super) fn check(origins: &[String]) -> Result<(), String> {
    const KEY: &str = "server.cors_allowed_origins";
    if origins.iter().any(|o| o == ANY_ORIGIN) {
        if origins.len() > 1 {
            return Err(format!(
                "{KEY}: \"*\" allows any origin and must be the only entry"
            ));
        }
        return Ok(());
    }
    for origin in origins {
        if !is_origin(origin) {
            return Err(format!(
                "{KEY}: {origin:?} is not an origin like \"https://app.example.com\" \
                 (scheme, host and optional port; no path), nor \"*\" for any origin"
            ));
        }
    }
    Ok(())
}

/// `http(s)://host[:port]`, exactly as a browser sends it in `Origin`.
fn is_origin(text: &str) -> bool {
    let Ok(url) = url::Url::parse(text) else {
        return false;
    };
    let serialized = url.origin().ascii_serialization();
    matches!(url.scheme(), "http" | "https") && serialized == text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn origins_and_a_lone_wildcard_pass() {
        assert!(check(&list(&[])).is_ok());
        assert!(check(&list(&["*"])).is_ok());
        assert!(check(&list(&["https://app.example.com", "http://localhost:3000"])).is_ok());
    }

    #[test]
    fn a_wildcard_among_origins_and_malformed_origins_are_refused_by_name() {
        for bad in [
            list(&["*", "https://app.example.com"]),
            list(&["https://app.example.com/"]),
            list(&["app.example.com"]),
            list(&["https://app.example.com/path"]),
            list(&["ftp://files.example.com"]),
        ] {
            let err = check(&bad).unwrap_err();
            assert!(
                err.contains("server.cors_allowed_origins"),
                "{bad:?}: {err}"
            );
        }
    }
}
