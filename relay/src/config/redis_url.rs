//! `RELAY_REDIS_URL`: where replicas share their limits, denylist and refreshes (relay/README.md,
//! "Running several replicas"). The URL may carry a password: it is never logged or echoed, and
//! its `Debug` shows only the scheme and host.

use std::fmt;
use std::str::FromStr;

#[derive(Clone)]
pub struct RedisUrl {
    pub(crate) info: redis::ConnectionInfo,
    /// `scheme://host[:port]`, or `unix` for a socket: safe to log.
    shown: String,
}

impl RedisUrl {
    /// What may be logged of it: scheme and host only.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({}, [redacted])", self.shown)
    }
}

impl FromStr for RedisUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        const FORM: &str = "must be redis://[:PASSWORD@]HOST[:PORT][/DB] or redis+unix:///PATH";
        let u = url::Url::parse(s).map_err(|_| FORM.to_string())?;
        let shown = match (u.scheme(), u.host_str()) {
            ("redis", Some(h)) if !h.is_empty() => format!("redis://{h}:{}", u.port().unwrap_or(6379)),
            ("redis+unix" | "unix", _) => "unix".to_string(),
            ("rediss", _) => {
                return Err("rediss:// (TLS) is not built into the relay: use redis:// on a private network or a \
                            local TLS tunnel"
                    .into())
            }
            _ => return Err(FORM.into()),
        };
        use redis::IntoConnectionInfo as _;
        let info = s.into_connection_info().map_err(|_| FORM.to_string())?;
        Ok(Self { info, shown })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_never_shows_the_password() {
        let u: RedisUrl = "redis://:hunter2-pw@127.0.0.1:17350/0".parse().unwrap();
        assert_eq!(u.shown(), "redis://127.0.0.1:17350");
        assert!(!format!("{u:?}").contains("hunter2"));
        assert_eq!(u.info.redis_settings().password(), Some("hunter2-pw"));
        let d: RedisUrl = "redis://cache.internal".parse().unwrap();
        assert_eq!(d.shown(), "redis://cache.internal:6379");
        assert_eq!("redis+unix:///run/redis.sock".parse::<RedisUrl>().unwrap().shown(), "unix");
        for bad in ["", "cache:6379", "http://127.0.0.1:6379", "redis://", "redis://:pw@/0", "rediss://h:1"] {
            let e = bad.parse::<RedisUrl>().unwrap_err();
            assert!(!e.contains("pw") || bad.is_empty(), "{e}");
        }
        assert!("redis://h:6379/notanumber".parse::<RedisUrl>().is_err());
    }
}
