//! The client address the rate limit keys on (R6).

use crate::RelayConfig;
use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// The client address for rate limiting: the peer, or the Nth-from-last X-Forwarded-For entry
/// when `trusted_proxy_hops` > 0 (R6: only from trusted hops).
pub(crate) fn client_addr(config: &RelayConfig, req: &Request) -> IpAddr {
    let peer =
        req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    forwarded_client(peer, req.headers(), config.trusted_proxy_hops)
}

/// Indexes the raw X-Forwarded-For list (every comma-separated entry counts, parsable or not), so
/// junk the client prepends cannot shift the index onto an address it chose. If the chosen entry is
/// not an IP (`ip`, `ip:port`, `[v6]` or `[v6]:port`), the peer address is used.
fn forwarded_client(peer: IpAddr, headers: &HeaderMap, hops: usize) -> IpAddr {
    if hops == 0 {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or(""))
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    entries.len().checked_sub(hops).and_then(|i| entries.get(i)).and_then(|e| parse_forwarded_ip(e)).unwrap_or(peer)
}

fn parse_forwarded_ip(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn forwarded_client_indexes_the_raw_list() {
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // One trusted proxy appended the real client (203.0.113.7); the client sent the rest.
        assert_eq!(forwarded_client(peer, &xff(&["1.1.1.1, 203.0.113.7"]), 1), ip("203.0.113.7"));
        // Junk entries are counted, not dropped: with 2 hops the entry 2nd from the right is the junk
        // one, so the peer is used (not the attacker-chosen 6.6.6.6 further left).
        assert_eq!(forwarded_client(peer, &xff(&["6.6.6.6, junk, 198.51.100.1"]), 2), peer);
        assert_eq!(forwarded_client(peer, &xff(&["6.6.6.6", "garbage", "198.51.100.1"]), 2), peer);
        // ip:port and [v6]:port forms.
        assert_eq!(forwarded_client(peer, &xff(&["203.0.113.7:4711"]), 1), ip("203.0.113.7"));
        assert_eq!(forwarded_client(peer, &xff(&["[2001:db8::1]:443"]), 1), ip("2001:db8::1"));
        assert_eq!(forwarded_client(peer, &xff(&["[2001:db8::1]"]), 1), ip("2001:db8::1"));
        assert_eq!(forwarded_client(peer, &xff(&["2001:db8::1"]), 1), ip("2001:db8::1"));
        // Fewer entries than hops, no header, empty entries, hops = 0.
        assert_eq!(forwarded_client(peer, &xff(&["203.0.113.7"]), 2), peer);
        assert_eq!(forwarded_client(peer, &HeaderMap::new(), 1), peer);
        assert_eq!(forwarded_client(peer, &xff(&["203.0.113.7, "]), 1), peer);
        assert_eq!(forwarded_client(peer, &xff(&["203.0.113.7"]), 0), peer);
    }
}
