//! Where the platform may connect on a department's behalf (webhook callbacks, scheduled
//! pulls). An address of the platform's own machine, its network neighbours or a cloud's
//! metadata service is *reserved*: nothing connects there unless the security administrator
//! has allowed that range for the department (a [`Cidr`] on its allow-list). The metadata
//! service is never allowed.
//!
//! This module only classifies addresses; resolving names and connecting is the caller's, which
//! checks every address a name resolves to and then connects to one of those very addresses, so
//! a name cannot be re-pointed between the check and the connection.

use crate::msg;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Why an address is reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    /// `0.0.0.0/8`, `::`: "this host".
    Unspecified,
    /// `127.0.0.0/8`, `::1`: the platform's own machine.
    Loopback,
    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`) and unique local IPv6 (`fc00::/7`).
    Private,
    /// `100.64.0.0/10`: carrier-grade NAT.
    SharedAddress,
    /// `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// `169.254.169.254`, `fd00:ec2::254`: a cloud's instance metadata service.
    Metadata,
    /// Multicast and broadcast.
    Multicast,
    /// Documentation, benchmarking, protocol-assignment and future-use ranges.
    Special,
}

impl Reserved {
    /// Words for an administrator (Chinese, English).
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Reserved::Unspecified => ("未指定地址", "an unspecified address"),
            Reserved::Loopback => ("本机地址", "a loopback address"),
            Reserved::Private => ("内网地址", "a private address"),
            Reserved::SharedAddress => ("运营商共享地址", "a shared (CGNAT) address"),
            Reserved::LinkLocal => ("链路本地地址", "a link-local address"),
            Reserved::Metadata => ("云元数据服务地址", "a cloud metadata address"),
            Reserved::Multicast => ("组播或广播地址", "a multicast or broadcast address"),
            Reserved::Special => ("保留地址", "a reserved address"),
        }
    }
}

/// The IPv4 address an IPv6 address carries (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`,
/// NAT64 `64:ff9b::a.b.c.d`), which is where a connection to it really goes.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new(
        (s[6] >> 8) as u8,
        (s[6] & 0xff) as u8,
        (s[7] >> 8) as u8,
        (s[7] & 0xff) as u8,
    );
    let mapped = s[..5] == [0; 5] && s[5] == 0xffff;
    let compatible = s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1);
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    (mapped || compatible || nat64).then_some(tail)
}

fn reserved_v4(ip: Ipv4Addr) -> Option<Reserved> {
    let [a, b, c, _] = ip.octets();
    if ip == Ipv4Addr::new(169, 254, 169, 254) {
        return Some(Reserved::Metadata);
    }
    Some(match (a, b, c) {
        (0, ..) => Reserved::Unspecified,
        (127, ..) => Reserved::Loopback,
        (10, ..) | (192, 168, _) => Reserved::Private,
        (172, b, _) if (16..32).contains(&b) => Reserved::Private,
        (100, b, _) if (64..128).contains(&b) => Reserved::SharedAddress,
        (169, 254, _) => Reserved::LinkLocal,
        (224..=239, ..) | (255, 255, 255) => Reserved::Multicast,
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (240..=255, ..) => Reserved::Special,
        (198, 18 | 19, _) => Reserved::Special,
        _ => return None,
    })
}

/// Whether `ip` is reserved, and why; `None` for an address on the public internet.
pub fn reserved(ip: IpAddr) -> Option<Reserved> {
    match ip {
        IpAddr::V4(v4) => reserved_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return reserved_v4(v4);
            }
            let s = v6.segments();
            if v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
                return Some(Reserved::Metadata);
            }
            Some(match s[0] {
                _ if v6.is_unspecified() => Reserved::Unspecified,
                _ if v6.is_loopback() => Reserved::Loopback,
                x if x & 0xfe00 == 0xfc00 => Reserved::Private,
                x if x & 0xffc0 == 0xfe80 || x & 0xffc0 == 0xfec0 => Reserved::LinkLocal,
                x if x & 0xff00 == 0xff00 => Reserved::Multicast,
                0x2001 if s[1] == 0x0db8 => Reserved::Special,
                0x0100 if s[1..4] == [0, 0, 0] => Reserved::Special,
                _ => return None,
            })
        }
    }
}

/// An address range, `10.20.0.0/16` or `fd12:3456::/48` (a bare address is a range of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    base: IpAddr,
    prefix: u8,
}

/// Why a range was not accepted (for the field it was typed into).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCidr(pub crate::Msg);

impl fmt::Display for BadCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for BadCidr {}

fn mask_v4(ip: Ipv4Addr, prefix: u8) -> u32 {
    let bits = u32::from(ip);
    if prefix == 0 {
        0
    } else {
        bits & (u32::MAX << (32 - prefix))
    }
}

fn mask_v6(ip: Ipv6Addr, prefix: u8) -> u128 {
    let bits = u128::from(ip);
    if prefix == 0 {
        0
    } else {
        bits & (u128::MAX << (128 - prefix))
    }
}

impl Cidr {
    /// The narrowest prefix an allow-list entry may have: whole address families or large
    /// parts of them are not one department's systems.
    pub const MIN_PREFIX_V4: u8 = 8;
    /// See [`Cidr::MIN_PREFIX_V4`].
    pub const MIN_PREFIX_V6: u8 = 32;

    /// Whether `ip` lies in the range (an IPv4 address written as IPv6 counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => embedded_v4(v6).map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.base, ip) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => mask_v4(ip, self.prefix) == mask_v4(base, self.prefix),
            (IpAddr::V6(base), IpAddr::V6(ip)) => mask_v6(ip, self.prefix) == mask_v6(base, self.prefix),
            _ => false,
        }
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }
}

impl FromStr for Cidr {
    type Err = BadCidr;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadCidr(msg!("cidr-expected"));
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let base: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().map_err(|_| bad())?
            }
            Some(_) => return Err(bad()),
        };
        if prefix > max {
            return Err(bad());
        }
        let base = match base {
            IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from(mask_v4(v4, prefix))),
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(mask_v6(v6, prefix))),
        };
        Ok(Cidr { base, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

/// Checks a range before it goes on an allow-list: not wider than [`Cidr::MIN_PREFIX_V4`] /
/// [`Cidr::MIN_PREFIX_V6`], and never covering a metadata service.
pub fn allowable(cidr: &Cidr) -> Result<(), BadCidr> {
    let min = if cidr.base.is_ipv4() {
        Cidr::MIN_PREFIX_V4
    } else {
        Cidr::MIN_PREFIX_V6
    };
    if cidr.prefix < min {
        return Err(BadCidr(msg!("cidr-too-wide", min = min)));
    }
    let metadata = [
        IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
    ];
    if metadata.iter().any(|m| cidr.contains(*m)) {
        return Err(BadCidr(msg!("cidr-holds-metadata")));
    }
    Ok(())
}

/// Whether the platform may connect to `ip` for a department whose allow-list is `allowed`:
/// public addresses always, reserved ones only inside an allowed range (the metadata service
/// never). The refusal says which kind of address it was, never more.
pub fn permitted(ip: IpAddr, allowed: &[Cidr]) -> Result<(), Reserved> {
    match reserved(ip) {
        None => Ok(()),
        Some(Reserved::Metadata) => Err(Reserved::Metadata),
        Some(_) if allowed.iter().any(|c| c.contains(ip)) => Ok(()),
        Some(kind) => Err(kind),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_ranges_an_attacker_reaches_for_are_reserved() {
        for (addr, kind) in [
            ("127.0.0.1", Reserved::Loopback),
            ("127.8.9.10", Reserved::Loopback),
            ("::1", Reserved::Loopback),
            ("0.0.0.0", Reserved::Unspecified),
            ("::", Reserved::Unspecified),
            ("10.1.2.3", Reserved::Private),
            ("172.16.0.1", Reserved::Private),
            ("172.31.255.255", Reserved::Private),
            ("192.168.1.1", Reserved::Private),
            ("fd12:3456::1", Reserved::Private),
            ("100.64.0.1", Reserved::SharedAddress),
            ("169.254.1.1", Reserved::LinkLocal),
            ("fe80::1", Reserved::LinkLocal),
            ("169.254.169.254", Reserved::Metadata),
            ("fd00:ec2::254", Reserved::Metadata),
            ("224.0.0.1", Reserved::Multicast),
            ("255.255.255.255", Reserved::Multicast),
            ("ff02::1", Reserved::Multicast),
            ("192.0.2.1", Reserved::Special),
            ("198.18.0.1", Reserved::Special),
            ("2001:db8::1", Reserved::Special),
            // IPv4 written as IPv6 goes where the IPv4 address goes.
            ("::ffff:127.0.0.1", Reserved::Loopback),
            ("::ffff:169.254.169.254", Reserved::Metadata),
            ("64:ff9b::a01:203", Reserved::Private),
            ("::10.0.0.1", Reserved::Private),
        ] {
            assert_eq!(reserved(ip(addr)), Some(kind), "{addr}");
        }
        for public in [
            "202.96.134.133",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2400:3200::1",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(reserved(ip(public)), None, "{public}");
        }
    }

    #[test]
    fn ranges_parse_normalise_and_contain() {
        let c: Cidr = "10.20.3.4/16".parse().unwrap();
        assert_eq!(c.to_string(), "10.20.0.0/16");
        assert!(c.contains(ip("10.20.255.1")));
        assert!(c.contains(ip("::ffff:10.20.0.9")));
        assert!(!c.contains(ip("10.21.0.1")));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert_eq!(one.prefix(), 32);
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: Cidr = "fd12:3456::/48".parse().unwrap();
        assert!(v6.contains(ip("fd12:3456:0:1::9")) && !v6.contains(ip("fd12:3457::1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0/8",
            "host/8",
            "::/129",
            "1.2.3.4/08x",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_allow_list_opens_only_its_range_and_never_the_metadata_service() {
        let allowed = vec!["10.20.0.0/16".parse().unwrap(), "127.0.0.1".parse().unwrap()];
        assert!(permitted(ip("10.20.1.1"), &allowed).is_ok());
        assert!(permitted(ip("127.0.0.1"), &allowed).is_ok());
        assert!(permitted(ip("202.96.134.133"), &[]).is_ok());
        assert_eq!(permitted(ip("10.21.1.1"), &allowed), Err(Reserved::Private));
        assert_eq!(permitted(ip("127.0.0.2"), &allowed), Err(Reserved::Loopback));
        assert_eq!(
            permitted(ip("169.254.169.254"), &["169.254.0.0/16".parse().unwrap()]),
            Err(Reserved::Metadata)
        );
        assert!(allowable(&"169.254.0.0/16".parse().unwrap()).is_err());
        assert!(allowable(&"10.0.0.0/7".parse().unwrap()).is_err());
        assert!(allowable(&"::/0".parse().unwrap()).is_err());
        assert!(allowable(&"10.0.0.0/8".parse().unwrap()).is_ok());
        assert!(allowable(&"169.254.10.0/24".parse().unwrap()).is_ok());
    }
}
