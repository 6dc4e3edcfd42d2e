//! Refresh coalescing across replicas: one replica takes a lock keyed by the refresh token's hash
//! and calls Canvas; it publishes the result, sealed, for the coalescing window; the others wait
//! for it instead of calling Canvas (each Canvas refresh kills the previous access token:
//! docs/canvas.md §7.6). `coalesce.rs` drives it.

use super::{Replicas, RETRY};
use redis::Value;
use sha2::{Digest, Sha256};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// KEYS result, lock; ARGV lock id, lock TTL ms. The published result, else 1 (the lock is
/// ours) or 0 (another replica holds it).
static TAKE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local r = redis.call('GET', KEYS[1])
if r then return r end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
",
    )
});

/// KEYS result, lock, access index; ARGV lock id, sealed result ('' for none), window ms, '1' to
/// index the result by its access token. Publishes, then releases the lock if it is still ours.
static FINISH: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  if ARGV[4] == '1' then redis.call('SET', KEYS[3], KEYS[1], 'PX', ARGV[3]) end
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
",
    )
});

/// KEYS access index: drops the result that handed out this access token.
static FORGET_ACCESS: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local k = redis.call('GET', KEYS[1])
if k then redis.call('DEL', k) end
redis.call('DEL', KEYS[1])
return 1
",
    )
});

/// What [`Replicas::take`] found.
pub(crate) enum Take {
    /// Another replica's sealed result.
    Published(Vec<u8>),
    /// The lock is ours (with this id): call Canvas, then [`Replicas::finish`].
    Won(String),
    /// Another replica is calling Canvas.
    Wait,
}

fn access_hash(access: &str) -> [u8; 32] {
    Sha256::digest(access.as_bytes()).into()
}

impl Replicas {
    /// The lock outlives the longest Canvas call it covers; a lock left by a replica that died
    /// expires after that.
    pub(crate) fn lock_ttl(&self, upstream: Duration) -> Duration {
        upstream + RETRY
    }

    pub(crate) async fn take(self: &Arc<Self>, hash: &[u8; 32], ttl: Duration) -> Option<Take> {
        let (result, lock) = (self.key("result", hash), self.key("lock", hash));
        let id = super::hex(&rand::random::<[u8; 16]>());
        let ms = ttl.as_millis() as u64;
        let lock_id = id.clone();
        let v: Value = self
            .run("refresh lock", |mut c| async move {
                TAKE.key(result).key(lock).arg(lock_id).arg(ms).invoke_async(&mut c).await
            })
            .await?;
        match v {
            Value::BulkString(b) => Some(Take::Published(b)),
            Value::Int(1) => Some(Take::Won(id)),
            Value::Int(0) => Some(Take::Wait),
            _ => None,
        }
    }

    /// Publishes `sealed` (when shareable) for `window` and releases the lock `id`.
    pub(crate) async fn finish(
        self: &Arc<Self>,
        hash: &[u8; 32],
        id: String,
        sealed: Option<String>,
        access: Option<&str>,
        window: Duration,
    ) -> Option<()> {
        let keys =
            [self.key("result", hash), self.key("lock", hash), self.key("access", &access_hash(access.unwrap_or("")))];
        let (indexed, ms) = (if access.is_some() { "1" } else { "0" }, window.as_millis().max(1) as u64);
        let blob = sealed.unwrap_or_default();
        self.run("refresh publish", |mut c| async move {
            FINISH.key(&keys[..]).arg(id).arg(blob).arg(ms).arg(indexed).invoke_async::<()>(&mut c).await
        })
        .await
    }

    /// Drops the published result for this refresh token (it was revoked).
    pub(crate) async fn forget(self: &Arc<Self>, hash: &[u8; 32]) {
        let key = self.key("result", hash);
        self.run("refresh forget", |mut c| async move { redis::cmd("DEL").arg(key).query_async::<()>(&mut c).await })
            .await;
    }

    /// Drops the published result that handed out this access token (it was revoked).
    pub(crate) async fn forget_access(self: &Arc<Self>, access: &str) {
        let key = self.key("access", &access_hash(access));
        self.run("refresh forget", |mut c| async move { FORGET_ACCESS.key(key).invoke_async::<()>(&mut c).await })
            .await;
    }
}
