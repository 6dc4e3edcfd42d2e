//! The per-client rate limit (R6) in Redis: the same token bucket as `limits.rs`, one per client
//! key, updated atomically by a script on Redis's clock (replicas' clocks may differ).

use super::Replicas;
use crate::limits::client_key;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::{Arc, LazyLock};

/// KEYS[1] bucket; ARGV capacity, tokens per ms, key TTL in ms. Returns -1 (go ahead) or the ms to
/// wait for the next token.
static BUCKET: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap, per_ms = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(b[1]) or cap, tonumber(b[2]) or now
tokens = math.min(cap, tokens + math.max(0, now - at) * per_ms)
local wait = -1
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / per_ms) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return wait
",
    )
});

impl Replicas {
    /// `Some(Ok)` to go ahead, `Some(Err(seconds))` to wait; `None` when Redis cannot say (the
    /// caller then uses its own limiter).
    pub(crate) async fn rate_check(self: &Arc<Self>, client: IpAddr, per_minute: u32) -> Option<Result<(), u64>> {
        let ip = match client_key(client) {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        let mut h = Sha256::new();
        h.update(self.client_key_secret);
        h.update(&ip);
        let key = self.key("rl", &h.finalize()[..16]);
        let per_ms = per_minute as f64 / 60_000.0;
        // A full bucket refills in a minute: after that the key is worth nothing.
        let wait: i64 = self
            .run("rate limit", |mut c| async move {
                BUCKET.key(key).arg(per_minute).arg(per_ms.to_string()).arg(61_000).invoke_async(&mut c).await
            })
            .await?;
        Some(if wait < 0 { Ok(()) } else { Err((wait as u64).div_ceil(1000).max(1)) })
    }
}
