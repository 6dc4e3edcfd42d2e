//! Redis shared by the relay's replicas (`RELAY_REDIS_URL`): the per-client rate limit (R6), the
//! sign-out denylist (S2) and refresh coalescing across replicas (relay/README.md, "Running several
//! replicas"; docs/architecture.md).
//!
//! Redis is an optimisation of correctness across replicas, never a dependency of serving: every
//! command has `RELAY_REDIS_TIMEOUT_MS`, and an error or a timeout makes this process work on its
//! own (per-process limits, denylist and coalescing) for [`RETRY`], then reconnect in the
//! background; the change is logged, at most once a minute while it lasts. Keys carry only
//! hashes, and a shared refresh result is sealed with a key derived from the cookie keys.

mod limit;
mod refresh;
mod sealed;

pub(crate) use refresh::Take;
pub(crate) use sealed::ResultSealer;

use crate::RelayConfig;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::RedisResult;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a process works on its own after a Redis failure before it reconnects.
pub(crate) const RETRY: Duration = Duration::from_secs(1);
/// Bound of one background connection attempt (never on a request's path).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

enum Conn {
    Down { retry_at: Instant },
    Connecting,
    Ready(ConnectionManager),
}

pub(crate) struct Replicas {
    info: redis::ConnectionInfo,
    /// Scheme and host of the URL (never the password), for the log.
    shown: String,
    timeout: Duration,
    /// `canvas-oauth-relay:<hash of Canvas origin and client_id>:`: deployments sharing one Redis
    /// never see each other's keys.
    prefix: String,
    /// Keys the client addresses of rate-limit buckets, so Redis holds no address in clear.
    client_key_secret: [u8; 32],
    pub(crate) results: ResultSealer,
    conn: Mutex<Conn>,
    up: AtomicBool,
    started: Instant,
    /// Minute (since `started`) of the last "unavailable" warning.
    last_warning: AtomicU64,
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Replicas {
    /// `None` without `RELAY_REDIS_URL`. Connects in the background at once when a tokio runtime
    /// is running, else on first use.
    pub(crate) fn new(config: &RelayConfig) -> Option<Arc<Self>> {
        let url = config.redis_url.as_ref()?;
        let (origin, client) = (config.canvas_origin(), &config.client_id);
        let deployment = Sha256::digest(format!("{origin}|{client}").as_bytes());
        let mut secret = Sha256::new();
        secret.update(b"canvas-oauth-relay/redis-client-key/v1|");
        secret.update(config.cookie_keys[0].key);
        let me = Arc::new(Self {
            info: url.info.clone(),
            shown: url.shown().to_string(),
            timeout: config.redis_timeout,
            prefix: format!("canvas-oauth-relay:{}:", hex(&deployment[..8])),
            client_key_secret: secret.finalize().into(),
            results: ResultSealer::new(&config.cookie_keys, &origin, client),
            conn: Mutex::new(Conn::Down { retry_at: Instant::now() }),
            up: AtomicBool::new(false),
            started: Instant::now(),
            last_warning: AtomicU64::new(u64::MAX),
        });
        if tokio::runtime::Handle::try_current().is_ok() {
            let _ = me.connection();
        }
        Some(me)
    }

    pub(crate) fn key(&self, kind: &str, hash: &[u8]) -> String {
        format!("{}{kind}:{}", self.prefix, hex(hash))
    }

    /// The connection when it is up; otherwise starts reconnecting if [`RETRY`] has passed.
    fn connection(self: &Arc<Self>) -> Option<ConnectionManager> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        match &*conn {
            Conn::Ready(m) => Some(m.clone()),
            Conn::Down { retry_at } if Instant::now() >= *retry_at => {
                *conn = Conn::Connecting;
                let me = self.clone();
                tokio::spawn(async move { me.connect().await });
                None
            }
            _ => None,
        }
    }

    async fn connect(self: Arc<Self>) {
        let attempt = async {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(CONNECT_TIMEOUT))
                .set_response_timeout(Some(self.timeout))
                .set_number_of_retries(1);
            let mut m = ConnectionManager::new_with_config(redis::Client::open(self.info.clone())?, config).await?;
            redis::cmd("PING").query_async::<()>(&mut m).await?;
            Ok::<_, redis::RedisError>(m)
        };
        match tokio::time::timeout(CONNECT_TIMEOUT * 2, attempt).await {
            Ok(Ok(m)) => {
                *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = Conn::Ready(m);
                if !self.up.swap(true, Ordering::SeqCst) {
                    tracing::info!(redis = %self.shown, "Redis connected: rate limit, denylist and refresh coalescing are shared by the replicas");
                }
            }
            Ok(Err(e)) => self.down("connect", Some(e.kind())),
            Err(_) => self.down("connect", None),
        }
    }

    /// Works on its own for [`RETRY`]; logs the change, then at most once a minute.
    fn down(&self, what: &'static str, error: Option<redis::ErrorKind>) {
        *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = Conn::Down { retry_at: Instant::now() + RETRY };
        let was_up = self.up.swap(false, Ordering::SeqCst);
        let minute = self.started.elapsed().as_secs() / 60;
        let first_this_minute = self.last_warning.swap(minute, Ordering::Relaxed) != minute;
        if was_up || first_this_minute {
            let error = error.map_or_else(|| "timed out".to_string(), |k| format!("{k:?}"));
            tracing::warn!(
                redis = %self.shown, what, error,
                "Redis unavailable: rate limit, denylist and refresh coalescing are per process until it answers"
            );
        }
    }

    /// Runs `op` within the timeout; `None` when Redis is down, failed or too slow.
    pub(crate) async fn run<T, F, Fut>(self: &Arc<Self>, what: &'static str, op: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let conn = self.connection()?;
        match tokio::time::timeout(self.timeout, op(conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.down(what, Some(e.kind()));
                None
            }
            Err(_) => {
                self.down(what, None);
                None
            }
        }
    }

    /// `GET /ready`: Redis answers a PING now.
    pub(crate) async fn ping(self: &Arc<Self>) -> bool {
        self.run("ping", |mut c| async move { redis::cmd("PING").query_async::<()>(&mut c).await }).await.is_some()
    }

    /// Denylists a refresh token's hash for `ttl` on every replica.
    pub(crate) async fn deny(self: &Arc<Self>, hash: &[u8; 32], ttl: Duration) -> Option<()> {
        let key = self.key("deny", hash);
        let ms = ttl.as_millis().max(1) as u64;
        self.run("denylist", |mut c| async move {
            redis::cmd("SET").arg(key).arg(1).arg("PX").arg(ms).query_async(&mut c).await
        })
        .await
    }

    /// Whether any replica denylisted this hash; `None` when Redis cannot say.
    pub(crate) async fn denied(self: &Arc<Self>, hash: &[u8; 32]) -> Option<bool> {
        let key = self.key("deny", hash);
        self.run("denylist", |mut c| async move { redis::cmd("EXISTS").arg(key).query_async(&mut c).await }).await
    }
}
