//! Where the policy is enforced inside the HTTP client: a DNS resolver that
//! only hands out checked addresses (so the connection goes exactly where the
//! check said it may), a pre-send check for literal-address URLs (which never
//! reach the resolver) and a redirect policy that checks every hop.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect;
use url::{Host, Url};

use super::error::OutboundError;
use super::policy::OutboundPolicy;

/// Resolves with the system resolver, then refuses the whole answer if any
/// address is not allowed, unless the host name itself is allowlisted.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    policy: Arc<OutboundPolicy>,
}

impl GuardedResolver {
    pub(crate) fn new(policy: Arc<OutboundPolicy>) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // `?` boxes the error once, so it can be downcast again from
            // reqwest's error chain.
            let addrs = resolve_checked(&policy, &host).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Looks `host` up and checks every address it resolves to.
pub(crate) async fn resolve_checked(
    policy: &OutboundPolicy,
    host: &str,
) -> Result<Vec<SocketAddr>, OutboundError> {
    // Port 0 is replaced by the URL's port (or the scheme default) by the client.
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| OutboundError::Dns(format!("could not resolve {host}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(OutboundError::Dns(format!("{host} has no addresses")));
    }
    if policy.is_host_allowlisted(host) {
        return Ok(addrs);
    }
    // One bad address refuses the lot: the client may try any of them.
    if let Some(bad) = addrs.iter().find(|a| !policy.is_address_allowed(a.ip())) {
        return Err(OutboundError::RefusedByPolicy(format!(
            "{host} resolves to {}, a private, loopback or otherwise non-public address that is not allowlisted",
            bad.ip()
        )));
    }
    Ok(addrs)
}

/// Checks what can be checked before connecting: the scheme, and the address
/// when the host is a literal one. Names are checked at resolution.
pub(crate) fn check_destination(policy: &OutboundPolicy, url: &Url) -> Result<(), OutboundError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OutboundError::RefusedByPolicy(format!(
            "scheme {} is not allowed, only http and https",
            url.scheme()
        )));
    }
    let ip = match url.host() {
        None => return Err(OutboundError::InvalidRequest("URL has no host".into())),
        Some(Host::Domain(_)) => return Ok(()),
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    if policy.is_address_allowed(ip) {
        Ok(())
    } else {
        Err(OutboundError::RefusedByPolicy(format!(
            "address {ip} is private, loopback or otherwise non-public and not allowlisted"
        )))
    }
}

/// Follows at most `max_hops` redirects, each to a destination the policy
/// allows; past the limit the redirect response itself is returned.
pub(crate) fn redirect_policy(policy: Arc<OutboundPolicy>, max_hops: usize) -> redirect::Policy {
    redirect::Policy::custom(move |attempt| {
        // `previous` starts with the original URL, so it holds hops + 1 entries.
        if attempt.previous().len() > max_hops {
            return attempt.stop();
        }
        match check_destination(&policy, attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refusal) => attempt.error(refusal),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(entries: &[&str]) -> OutboundPolicy {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        OutboundPolicy::new(&entries).unwrap()
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused() {
        let err = resolve_checked(&policy(&[]), "localhost")
            .await
            .unwrap_err();
        assert!(matches!(err, OutboundError::RefusedByPolicy(_)), "{err}");
    }

    #[tokio::test]
    async fn an_allowlisted_name_resolves_to_its_internal_addresses() {
        let addrs = resolve_checked(&policy(&["LocalHost"]), "localhost")
            .await
            .unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
    }

    #[test]
    fn literal_addresses_and_schemes_are_checked_before_sending() {
        let open = policy(&[]);
        let table = [
            ("public literal", "http://8.8.8.8/", true),
            (
                "name is left to the resolver",
                "https://partner.example/",
                true,
            ),
            ("loopback literal", "http://127.0.0.1:8080/", false),
            ("decimal-encoded loopback", "http://2130706433/", false),
            ("metadata service", "http://169.254.169.254/latest/", false),
            ("v6 loopback", "http://[::1]/", false),
            ("v4-mapped loopback", "http://[::ffff:127.0.0.1]/", false),
            ("file scheme", "file:///etc/passwd", false),
        ];
        for (case, url, allowed) in table {
            let result = check_destination(&open, &Url::parse(url).unwrap());
            assert_eq!(result.is_ok(), allowed, "{case}: {result:?}");
        }
        let internal = policy(&["127.0.0.0/8"]);
        let url = Url::parse("http://127.0.0.1:8080/").unwrap();
        assert!(check_destination(&internal, &url).is_ok());
    }
}
