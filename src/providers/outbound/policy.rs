//! The outbound destination policy: public unicast addresses are reachable,
//! internal and special-purpose ones only when an operator allowlists them by
//! host name, IP address or CIDR range.

use std::net::IpAddr;

use ipnet::IpNet;

use super::addresses;

/// Why an allowlist entry could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The entry at this position is empty.
    #[error("allowlist entry #{index} is empty")]
    Empty {
        /// Zero-based position in the allowlist.
        index: usize,
    },
    /// The entry contains `/` but is not a valid CIDR range.
    #[error("allowlist entry {entry:?} is not a valid CIDR range")]
    InvalidCidr {
        /// The entry as given.
        entry: String,
    },
    /// The entry is neither a host name, an IP address nor a CIDR range.
    #[error("allowlist entry {entry:?} is neither a host name, an IP address nor a CIDR range")]
    InvalidEntry {
        /// The entry as given.
        entry: String,
    },
}

/// Decides which destinations outbound HTTP calls may reach.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    hosts: Vec<String>,
    nets: Vec<IpNet>,
}

impl OutboundPolicy {
    /// Builds a policy from allowlist entries; each is a host name (matched
    /// exactly, case-insensitively), an IP address or a CIDR range.
    pub fn new(allow: &[String]) -> Result<Self, PolicyError> {
        let mut policy = Self::default();
        for (index, raw) in allow.iter().enumerate() {
            let entry = raw.trim();
            if entry.is_empty() {
                return Err(PolicyError::Empty { index });
            }
            if entry.contains('/') {
                let net: IpNet = entry.parse().map_err(|_| PolicyError::InvalidCidr {
                    entry: entry.to_owned(),
                })?;
                policy.nets.push(net.trunc());
            } else if let Ok(ip) = strip_brackets(entry).parse::<IpAddr>() {
                policy.nets.push(IpNet::from(ip));
            } else if is_host_name(entry) {
                policy.hosts.push(normalize_host(entry));
            } else {
                return Err(PolicyError::InvalidEntry {
                    entry: entry.to_owned(),
                });
            }
        }
        Ok(policy)
    }

    /// True when a connection to `ip` is permitted: it is public unicast, or
    /// it (or the IPv4 address it maps) is covered by an allowlisted address
    /// or range.
    pub fn is_address_allowed(&self, ip: IpAddr) -> bool {
        if self.is_address_allowlisted(ip) {
            return true;
        }
        if let IpAddr::V6(v6) = ip {
            // `::ffff:a.b.c.d` reaches the same socket as `a.b.c.d`.
            if let Some(v4) = v6.to_ipv4_mapped()
                && self.is_address_allowlisted(IpAddr::V4(v4))
            {
                return true;
            }
        }
        addresses::is_public(ip)
    }

    /// True when `host` is an allowlisted host name (case-insensitive, a
    /// trailing dot ignored). Addresses are judged by [`Self::is_address_allowed`].
    pub fn is_host_allowlisted(&self, host: &str) -> bool {
        let host = normalize_host(host);
        self.hosts.contains(&host)
    }

    /// True when `host` is a name that can only be local (see
    /// [`is_local_only_name`]) and the allowlist does not name it: such a name
    /// never leads to a public server, so a request to it is refused before
    /// any lookup, at submission as well as at execution.
    pub fn refuses_name(&self, host: &str) -> bool {
        is_local_only_name(host) && !self.is_host_allowlisted(host)
    }

    fn is_address_allowlisted(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(&ip))
    }
}

/// True for names that by their form can only lead inside: `localhost` and
/// `*.localhost` (RFC 6761), `*.local` (multicast DNS, RFC 6762) and
/// `*.internal` (reserved for private use). Case and a trailing dot are ignored.
pub fn is_local_only_name(host: &str) -> bool {
    let host = normalize_host(host);
    host == "localhost"
        || [".localhost", ".local", ".internal"]
            .iter()
            .any(|suffix| host.ends_with(suffix))
}

fn strip_brackets(entry: &str) -> &str {
    entry
        .strip_prefix('[')
        .and_then(|e| e.strip_suffix(']'))
        .unwrap_or(entry)
}

fn normalize_host(host: &str) -> String {
    let host = strip_brackets(host.trim());
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// A DNS name of letters, digits, `-` and `_` labels. A name whose last label
/// is numeric is refused, since URL parsing turns such hosts into IPv4 addresses.
fn is_host_name(entry: &str) -> bool {
    let name = entry.strip_suffix('.').unwrap_or(entry);
    let labels: Vec<&str> = name.split('.').collect();
    let labels_ok = labels.iter().all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let last_numeric = labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    !name.is_empty() && name.len() <= 253 && labels_ok && !last_numeric
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(entries: &[&str]) -> OutboundPolicy {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        OutboundPolicy::new(&entries).unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_empty_allowlist_admits_public_addresses_and_refuses_internal_ones() {
        let p = policy(&[]);
        assert!(p.is_address_allowed(ip("8.8.8.8")));
        assert!(p.is_address_allowed(ip("2606:4700:4700::1111")));
        for addr in ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "fd00::1"] {
            assert!(!p.is_address_allowed(ip(addr)), "{addr}");
        }
    }

    #[test]
    fn allowlisted_addresses_and_ranges_are_admitted_and_nothing_more() {
        let p = policy(&["127.0.0.1", "10.20.0.0/16", "fd00:1::/32", "[::1]"]);
        let table = [
            ("exact v4 address", "127.0.0.1", true),
            ("neighbouring loopback", "127.0.0.2", false),
            ("inside v4 range", "10.20.255.1", true),
            ("outside v4 range", "10.21.0.1", false),
            ("inside v6 range", "fd00:1:ffff::9", true),
            ("outside v6 range", "fd00:2::1", false),
            ("bracketed v6 address", "::1", true),
            ("v4-mapped form of allowlisted v4", "::ffff:127.0.0.1", true),
            ("v4-mapped form outside range", "::ffff:10.21.0.1", false),
        ];
        for (case, addr, expected) in table {
            assert_eq!(p.is_address_allowed(ip(addr)), expected, "{case}: {addr}");
        }
    }

    #[test]
    fn a_cidr_with_host_bits_set_covers_its_whole_network() {
        let p = policy(&["192.168.1.77/24"]);
        assert!(p.is_address_allowed(ip("192.168.1.1")));
        assert!(!p.is_address_allowed(ip("192.168.2.1")));
    }

    #[test]
    fn host_names_match_exactly_and_case_insensitively() {
        let p = policy(&["Partner.Example.ORG", "localhost."]);
        let table = [
            ("same case", "partner.example.org", true),
            ("other case", "PARTNER.example.org", true),
            ("trailing dot", "partner.example.org.", true),
            ("entry with trailing dot", "localhost", true),
            (
                "subdomain is not the host",
                "api.partner.example.org",
                false,
            ),
            ("suffix is not the host", "example.org", false),
            ("unrelated host", "evil.example", false),
        ];
        for (case, host, expected) in table {
            assert_eq!(p.is_host_allowlisted(host), expected, "{case}: {host}");
        }
    }

    #[test]
    fn names_that_can_only_be_local_are_refused_unless_allowlisted() {
        let open = policy(&[]);
        let table = [
            ("localhost", true),
            ("LOCALHOST.", true),
            ("api.localhost", true),
            ("printer.local", true),
            ("hooks.internal", true),
            ("metadata.google.internal", true),
            ("partner.example", false),
            ("localhost.example.com", false),
            ("internal.example.com", false),
            ("mylocal", false),
        ];
        for (host, refused) in table {
            assert_eq!(open.refuses_name(host), refused, "{host}");
        }
        let listed = policy(&["localhost", "hooks.internal"]);
        assert!(!listed.refuses_name("localhost"));
        assert!(!listed.refuses_name("Hooks.Internal."));
        assert!(listed.refuses_name("other.internal"));
    }

    #[test]
    fn allowlisting_a_host_name_does_not_allowlist_addresses() {
        let p = policy(&["localhost"]);
        assert!(!p.is_address_allowed(ip("127.0.0.1")));
    }

    #[test]
    fn malformed_entries_are_rejected_with_the_reason() {
        let table: [(&str, &str, PolicyError); 6] = [
            ("blank", "  ", PolicyError::Empty { index: 0 }),
            ("prefix too long", "10.0.0.0/33", cidr("10.0.0.0/33")),
            (
                "not an address before slash",
                "intranet/8",
                cidr("intranet/8"),
            ),
            ("space inside", "a b.example", entry("a b.example")),
            ("numeric last label", "10.0.0", entry("10.0.0")),
            ("empty label", "a..example", entry("a..example")),
        ];
        for (case, raw, expected) in table {
            let got = OutboundPolicy::new(&[raw.to_string()]).unwrap_err();
            assert_eq!(got, expected, "{case}");
        }
    }

    #[test]
    fn the_position_of_an_empty_entry_is_reported() {
        let entries = vec!["10.0.0.0/8".to_string(), String::new()];
        let got = OutboundPolicy::new(&entries).unwrap_err();
        assert_eq!(got, PolicyError::Empty { index: 1 });
    }

    fn cidr(entry: &str) -> PolicyError {
        PolicyError::InvalidCidr {
            entry: entry.to_string(),
        }
    }

    fn entry(entry: &str) -> PolicyError {
        PolicyError::InvalidEntry {
            entry: entry.to_string(),
        }
    }
}
