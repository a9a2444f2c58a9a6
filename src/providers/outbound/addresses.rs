//! Classification of IP addresses into publicly routable unicast and everything
//! else (loopback, private, link-local, reserved, documentation, multicast, ...).
//! IPv6 forms that embed an IPv4 address are judged by the embedded address, so
//! `::ffff:127.0.0.1` is as internal as `127.0.0.1`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 ranges that are never public destinations, as (network, prefix length).
const V4_NON_PUBLIC: [(Ipv4Addr, u8); 15] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8), // "this network", includes unspecified
    (Ipv4Addr::new(10, 0, 0, 0), 8), // private
    (Ipv4Addr::new(100, 64, 0, 0), 10), // carrier-grade NAT
    (Ipv4Addr::new(127, 0, 0, 0), 8), // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16), // link-local, cloud metadata services
    (Ipv4Addr::new(172, 16, 0, 0), 12), // private
    (Ipv4Addr::new(192, 0, 0, 0), 24), // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24), // documentation TEST-NET-1
    (Ipv4Addr::new(192, 88, 99, 0), 24), // deprecated 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16), // private
    (Ipv4Addr::new(198, 18, 0, 0), 15), // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation TEST-NET-2
    (Ipv4Addr::new(203, 0, 113, 0), 24), // documentation TEST-NET-3
    (Ipv4Addr::new(224, 0, 0, 0), 4), // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4), // reserved, includes broadcast
];

/// IPv6 ranges inside global unicast 2000::/3 that are still not public.
const V6_NON_PUBLIC_IN_GLOBAL: [(u128, u8); 3] = [
    (0x2001_0000_0000_0000_0000_0000_0000_0000, 23), // IETF protocol assignments (benchmarking, ORCHID)
    (0x2001_0db8_0000_0000_0000_0000_0000_0000, 32), // documentation
    (0x3fff_0000_0000_0000_0000_0000_0000_0000, 20), // documentation (RFC 9637)
];

const GLOBAL_UNICAST: (u128, u8) = (0x2000_0000_0000_0000_0000_0000_0000_0000, 3);
const TEREDO: (u128, u8) = (0x2001_0000_0000_0000_0000_0000_0000_0000, 32);
const SIX_TO_FOUR: (u128, u8) = (0x2002_0000_0000_0000_0000_0000_0000_0000, 16);
const V4_MAPPED: (u128, u8) = (0x0000_0000_0000_0000_0000_ffff_0000_0000, 96);
const V4_COMPATIBLE: (u128, u8) = (0, 96);
const NAT64_WELL_KNOWN: (u128, u8) = (0x0064_ff9b_0000_0000_0000_0000_0000_0000, 96);

/// True when `ip` is a publicly routable unicast address.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    !V4_NON_PUBLIC
        .iter()
        .any(|(net, len)| prefix_matches_v4(bits, u32::from(*net), *len))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    if let Some(v4) = embedded_v4(bits) {
        return is_public_v4(v4);
    }
    if in_v6(bits, TEREDO) {
        // Teredo carries the relay server's address and the client's address
        // (bit-inverted); traffic can end up at either, so both must be public.
        let server = Ipv4Addr::from((bits >> 64) as u32);
        let client = Ipv4Addr::from(!(bits as u32));
        return is_public_v4(server) && is_public_v4(client);
    }
    // Everything outside global unicast (unique-local fc00::/7, link-local
    // fe80::/10, site-local fec0::/10, multicast ff00::/8, discard 100::/64,
    // local-use NAT64 64:ff9b:1::/48, ...) is internal or unroutable.
    in_v6(bits, GLOBAL_UNICAST) && !V6_NON_PUBLIC_IN_GLOBAL.iter().any(|r| in_v6(bits, *r))
}

/// The IPv4 address an IPv6 address stands for, when it is IPv4-mapped,
/// IPv4-compatible (which also covers `::` and `::1`), well-known NAT64 or 6to4.
fn embedded_v4(bits: u128) -> Option<Ipv4Addr> {
    if in_v6(bits, V4_MAPPED) || in_v6(bits, V4_COMPATIBLE) || in_v6(bits, NAT64_WELL_KNOWN) {
        return Some(Ipv4Addr::from(bits as u32));
    }
    if in_v6(bits, SIX_TO_FOUR) {
        return Some(Ipv4Addr::from((bits >> 80) as u32));
    }
    None
}

fn prefix_matches_v4(bits: u32, net: u32, len: u8) -> bool {
    len == 0 || (bits ^ net) >> (32 - u32::from(len)) == 0
}

fn in_v6(bits: u128, (net, len): (u128, u8)) -> bool {
    len == 0 || (bits ^ net) >> (128 - u32::from(len)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().unwrap())
    }

    #[test]
    fn public_unicast_addresses_are_public() {
        for addr in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(public(addr), "{addr} should be public");
        }
    }

    #[test]
    fn internal_and_special_ipv4_addresses_are_not_public() {
        let table = [
            ("this network", "0.1.2.3"),
            ("unspecified", "0.0.0.0"),
            ("private 10/8", "10.20.30.40"),
            ("carrier-grade NAT", "100.64.0.1"),
            ("carrier-grade NAT top", "100.127.255.254"),
            ("loopback", "127.0.0.1"),
            ("loopback elsewhere in 127/8", "127.255.0.9"),
            ("link-local metadata", "169.254.169.254"),
            ("private 172.16/12 low", "172.16.0.1"),
            ("private 172.16/12 high", "172.31.255.255"),
            ("IETF protocol assignments", "192.0.0.8"),
            ("documentation TEST-NET-1", "192.0.2.10"),
            ("6to4 relay anycast", "192.88.99.1"),
            ("private 192.168/16", "192.168.1.1"),
            ("benchmarking", "198.18.0.1"),
            ("benchmarking upper half", "198.19.255.1"),
            ("documentation TEST-NET-2", "198.51.100.7"),
            ("documentation TEST-NET-3", "203.0.113.9"),
            ("multicast", "224.0.0.251"),
            ("multicast top", "239.255.255.250"),
            ("reserved 240/4", "240.0.0.1"),
            ("broadcast", "255.255.255.255"),
        ];
        for (case, addr) in table {
            assert!(!public(addr), "{case}: {addr} should not be public");
        }
    }

    #[test]
    fn internal_and_special_ipv6_addresses_are_not_public() {
        let table = [
            ("unspecified", "::"),
            ("loopback", "::1"),
            ("IPv4-mapped loopback", "::ffff:127.0.0.1"),
            ("IPv4-mapped private", "::ffff:10.0.0.1"),
            ("IPv4-mapped metadata", "::ffff:169.254.169.254"),
            ("IPv4-compatible loopback", "::127.0.0.1"),
            ("IPv4-compatible private", "::192.168.0.1"),
            ("NAT64 with private v4", "64:ff9b::10.0.0.1"),
            ("NAT64 with loopback v4", "64:ff9b::7f00:1"),
            ("local-use NAT64", "64:ff9b:1::808:808"),
            ("discard-only", "100::1"),
            ("unique-local fc00::/7", "fc00::1"),
            ("unique-local fd00::/8", "fd12:3456:789a::1"),
            ("link-local", "fe80::1"),
            ("link-local upper", "febf::1"),
            ("site-local", "fec0::1"),
            ("multicast", "ff02::1"),
            ("documentation 2001:db8::/32", "2001:db8::1"),
            ("documentation 3fff::/20", "3fff:0fff::1"),
            ("benchmarking", "2001:2::1"),
            ("ORCHIDv2", "2001:20::1"),
            ("6to4 with private v4", "2002:c0a8:101::1"),
            ("6to4 with loopback v4", "2002:7f00:1::1"),
            ("Teredo with private client", "2001:0:808:808::3f57:fefe"),
            ("Teredo with private server", "2001:0:a00:1::f7f7:f7f7"),
        ];
        for (case, addr) in table {
            assert!(!public(addr), "{case}: {addr} should not be public");
        }
    }

    #[test]
    fn teredo_with_public_server_and_client_is_public() {
        // Client 8.8.4.4 inverted is f7f7:fbfb; server 8.8.8.8.
        assert!(public("2001:0:808:808::f7f7:fbfb"));
    }
}
