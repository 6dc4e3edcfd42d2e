//! Per-client rate limit (R6): a token bucket per client key (see [`client_key`]).
//!
//! The table is split into shards, each with its own lock and its own share of the size bound, so
//! a full table costs one shard scan (at most `MAX_TRACKED / SHARDS` entries), never the whole
//! table under one lock, and a new client is never refused because the table is full: the least
//! recently seen buckets of its shard make room (S6). `governor`'s keyed limiter was considered: its
//! store is unbounded and its only eviction (`retain_recent`) walks every shard, so bounding it
//! would need that full walk on the request path or a timer task; this is 100 lines instead.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

const MAX_TRACKED: usize = 100_000;
const SHARDS: usize = 64;
const PER_SHARD: usize = MAX_TRACKED / SHARDS;

/// What one client is: an IPv4 address, or the /64 of an IPv6 address (one subscriber usually
/// holds a whole /64, so a full address would give them unlimited buckets). IPv4-mapped IPv6
/// addresses count as IPv4.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        v4 => v4,
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct RateLimiter {
    capacity: f64,
    per_sec: f64,
    hasher: RandomState,
    shards: Vec<Mutex<HashMap<IpAddr, Bucket>>>,
    started: Instant,
    /// Seconds since `started` of the last "table full" warning (logged at most once a minute).
    last_full_warning: AtomicU64,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            capacity: per_minute as f64,
            per_sec: per_minute as f64 / 60.0,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            started: Instant::now(),
            last_full_warning: AtomicU64::new(u64::MAX),
        }
    }

    /// `Ok` to go ahead, or `Err(seconds)` to wait before the next request.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        let key = client_key(client);
        let now = Instant::now();
        let shard = &self.shards[self.hasher.hash_one(key) as usize % SHARDS];
        let mut buckets = shard.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= PER_SHARD && !buckets.contains_key(&key) {
            self.make_room(&mut buckets, now);
        }
        let b = buckets.entry(key).or_insert(Bucket { tokens: self.capacity, at: now });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * self.per_sec).min(self.capacity);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / self.per_sec).ceil().max(1.0) as u64)
        }
    }

    /// Forgets the clients of one shard whose bucket has refilled (they lose nothing); if none
    /// has, the least recently seen eighth of the shard (they get a full bucket back: lenient,
    /// but the table stays bounded, new clients are served, and the scan is paid once per
    /// `PER_SHARD / 8` new clients).
    fn make_room(&self, buckets: &mut HashMap<IpAddr, Bucket>, now: Instant) {
        let (cap, rate) = (self.capacity, self.per_sec);
        buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < cap);
        if buckets.len() < PER_SHARD {
            return;
        }
        let mut by_age: Vec<(Instant, IpAddr)> = buckets.iter().map(|(k, b)| (b.at, *k)).collect();
        let evict = PER_SHARD / 8;
        by_age.select_nth_unstable(evict - 1);
        for (_, k) in &by_age[..evict] {
            buckets.remove(k);
        }
        let minute = now.duration_since(self.started).as_secs() / 60;
        if self.last_full_warning.swap(minute, Ordering::Relaxed) != minute {
            tracing::warn!(tracked = MAX_TRACKED, "rate-limit table full: evicting active clients");
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap().len()).sum()
    }

    #[cfg(feature = "test-hooks")]
    pub fn reset(&self) {
        for s in &self.shards {
            s.lock().unwrap_or_else(|p| p.into_inner()).clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_and_says_when() {
        let rl = RateLimiter::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(rl.check(a).is_ok());
        }
        let wait = rl.check(a).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(rl.check(b).is_ok(), "buckets are per client");
    }

    #[test]
    fn one_ipv6_slash_64_is_one_client() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(client_key(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(client_key(ip("203.0.113.7")), ip("203.0.113.7"));
        let rl = RateLimiter::new(2);
        assert!(rl.check(ip("2001:db8:1:2::1")).is_ok());
        assert!(rl.check(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")).is_ok());
        assert!(rl.check(ip("2001:db8:1:2::3")).is_err(), "same /64, same bucket");
        assert!(rl.check(ip("2001:db8:1:3::1")).is_ok(), "another /64");
    }

    #[test]
    fn a_full_table_stays_bounded_and_still_admits_new_clients() {
        // Every tracked client has just spent a token, so none has refilled: the old limiter
        // refused every new client with 429 once 100,000 were tracked.
        let rl = RateLimiter::new(10);
        for i in 0..(MAX_TRACKED as u32 + 2_000) {
            let _ = rl.check(IpAddr::from((0x0a00_0000 + i).to_be_bytes()));
        }
        assert!(rl.tracked() <= MAX_TRACKED, "{}", rl.tracked());
        assert!(rl.check("192.0.2.1".parse().unwrap()).is_ok(), "a new client is served");
    }
}
