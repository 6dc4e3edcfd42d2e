//! From the settings as read to a [`RelayConfig`]: what is required, defaults, minimums, and the
//! rules that need more than one setting (S8: plain http only to this machine unless
//! `RELAY_ALLOW_INSECURE_HTTP=1`; LTI settings that only make sense together).

use super::raw::RawConfig;
use super::types::{Count, List, Setting};
use super::{err, ConfigError, CookieMode, LtiConfig, RelayConfig, SessionConfig};
use std::net::SocketAddr;
use std::time::Duration;

const INSECURE: &str = "must be https: plain http is allowed only to localhost or 127.0.0.0/8 \
                        (or anywhere with RELAY_ALLOW_INSECURE_HTTP=1, for a private network)";

fn required<T>(name: &str, value: Option<T>) -> Result<T, ConfigError> {
    value.ok_or_else(|| err(name, "is required"))
}

/// A number setting, `default` when unset, refused under `min`.
pub(super) fn count(name: &str, value: Option<Setting<Count>>, default: u64, min: u64) -> Result<u64, ConfigError> {
    let n = value.map_or(default, |Setting(Count(n))| n);
    if n < min {
        return Err(err(name, format!("must be at least {min}")));
    }
    Ok(n)
}

impl TryFrom<RawConfig> for RelayConfig {
    type Error = ConfigError;

    fn try_from(raw: RawConfig) -> Result<Self, ConfigError> {
        let insecure_ok = raw.relay_allow_insecure_http.is_some_and(|Setting(f)| f.0);
        let Setting(canvas) = required("CANVAS_URL", raw.canvas_url)?;
        if canvas.insecure && !insecure_ok {
            return Err(err("CANVAS_URL", INSECURE));
        }
        let Setting(client_id) = required("CANVAS_CLIENT_ID", raw.canvas_client_id)?;
        let client_secret = required("CANVAS_CLIENT_SECRET", raw.canvas_client_secret)?.0;
        if client_secret.secret().is_empty() {
            return Err(err("CANVAS_CLIENT_SECRET", "is required"));
        }
        let Setting(redirect_uri) = required("CANVAS_REDIRECT_URI", raw.canvas_redirect_uri)?;
        let List(origins) = required("RELAY_ALLOWED_ORIGINS", raw.relay_allowed_origins)?;
        if origins.is_empty() {
            return Err(err("RELAY_ALLOWED_ORIGINS", "is required"));
        }
        if let Some(o) = origins.iter().find(|o| o.insecure && !insecure_ok) {
            return Err(err("RELAY_ALLOWED_ORIGINS", format!("{} {INSECURE}", o.origin)));
        }
        let List(cookie_keys) = required("RELAY_COOKIE_KEYS", raw.relay_cookie_keys)?;
        if cookie_keys.is_empty() {
            return Err(err("RELAY_COOKIE_KEYS", "at least one key is required"));
        }
        for (i, k) in cookie_keys.iter().enumerate() {
            if cookie_keys[..i].iter().any(|p| p.kid == k.kid) {
                return Err(err("RELAY_COOKIE_KEYS", format!("key id {} appears twice", k.kid)));
            }
        }
        let public_url = raw.relay_public_url.map(|Setting(u)| u);
        if public_url.as_ref().is_some_and(|u| u.insecure && !insecure_ok) {
            return Err(err("RELAY_PUBLIC_URL", INSECURE));
        }
        let lti = match raw.lti_private_key_file {
            Some(Setting(key)) => {
                let client_id = raw.lti_client_id.map_or_else(|| client_id.0.clone(), |Setting(id)| id.0);
                let List(scopes) = required("LTI_SCOPES", raw.lti_scopes)?;
                if scopes.is_empty() {
                    return Err(err("LTI_SCOPES", "is required"));
                }
                let kid = raw.lti_key_id.map_or_else(|| crate::lti::default_kid(&key.0), |Setting(k)| k);
                Some(LtiConfig {
                    client_id,
                    private_key: key.0,
                    kid,
                    scopes: scopes.into_iter().map(|s| s.0).collect(),
                })
            }
            None => None,
        };
        let lti_caller_token = match raw.lti_caller_token.map(|s| s.0).filter(|s| !s.secret().is_empty()) {
            Some(_) if lti.is_none() => {
                return Err(err("LTI_CALLER_TOKEN", "is set but LTI_PRIVATE_KEY_FILE is not: /lti/token needs both"))
            }
            Some(t) if t.secret().chars().count() < 32 || !t.secret().bytes().all(|b| b.is_ascii_graphic()) => {
                return Err(err(
                    "LTI_CALLER_TOKEN",
                    "must be at least 32 printable ASCII characters without spaces (openssl rand -base64 32)",
                ))
            }
            t => t,
        };
        let max_inflight = count("RELAY_MAX_INFLIGHT", raw.relay_max_inflight, 64, 1)? as usize;
        let max_api_body = count("RELAY_MAX_API_BODY", raw.relay_max_api_body, 256 * 1024, 0)?;
        let trusted_proxy_hops = count("RELAY_TRUSTED_PROXY_HOPS", raw.relay_trusted_proxy_hops, 0, 0)?;
        let listen = raw.relay_listen.map_or(SocketAddr::from(([127, 0, 0, 1], 8080)), |Setting(l)| l.0);
        let metrics_listen = raw.relay_metrics_listen.map(|Setting(l)| l.0);
        if metrics_listen.is_some_and(|m| m.port() != 0 && m.port() == listen.port()) {
            return Err(err(
                "RELAY_METRICS_LISTEN",
                "must be another port than RELAY_LISTEN's (metrics are not public)",
            ));
        }
        let config = Self {
            canvas_url: canvas.url,
            client_id: client_id.0,
            client_secret,
            redirect_uri: redirect_uri.0,
            listen,
            metrics_listen,
            log_format: raw.relay_log_format.map(|Setting(f)| f).unwrap_or_default(),
            allowed_origins: origins.into_iter().map(|o| o.origin).collect(),
            cookie_keys,
            base_path: raw.relay_base_path.map_or_else(|| "/".to_string(), |Setting(b)| b.0),
            public_url: public_url.map(|u| u.url),
            static_dir: raw.relay_static_dir.map(|Setting(d)| d.0),
            static_mounts: raw
                .relay_static_mounts
                .map_or_else(Vec::new, |List(m)| m.into_iter().map(|m| (m.0, m.1)).collect()),
            api_allow: raw
                .relay_api_allow
                .map_or_else(|| vec!["GET:/api/v1/".parse().expect("default rule")], |List(r)| r),
            lti,
            lti_caller_token,
            session_url: raw.relay_session_url.is_some_and(|Setting(f)| f.0),
            upstream_proxy: raw.relay_upstream_proxy.map(|Setting(p)| p),
            connect_timeout: Duration::from_millis(count(
                "RELAY_CONNECT_TIMEOUT_MS",
                raw.relay_connect_timeout_ms,
                5_000,
                1,
            )?),
            upstream_timeout: Duration::from_millis(count(
                "RELAY_UPSTREAM_TIMEOUT_MS",
                raw.relay_upstream_timeout_ms,
                15_000,
                1,
            )?),
            max_inflight,
            max_requests: count("RELAY_MAX_REQUESTS", raw.relay_max_requests, 2 * max_inflight as u64, 1)? as usize,
            throttle_retry_after: count("RELAY_THROTTLE_RETRY_AFTER_SECS", raw.relay_throttle_retry_after_secs, 5, 1)?
                .min(crate::quota::MAX_RETRY_AFTER),
            rate_limit_per_minute: count("RELAY_RATE_LIMIT_PER_MINUTE", raw.relay_rate_limit_per_minute, 300, 1)?
                .min(u32::MAX as u64) as u32,
            trusted_proxy_hops: trusted_proxy_hops as usize,
            max_body: 8 * 1024,
            max_api_body: max_api_body as usize,
            max_graphql_body: count("RELAY_MAX_GRAPHQL_BODY", raw.relay_max_graphql_body, 64 * 1024, 1024)? as usize,
            api_body_budget: count(
                "RELAY_API_BODY_BUDGET",
                raw.relay_api_body_budget,
                max_api_body.max(16 << 20),
                max_api_body,
            )? as usize,
            max_api_response: count("RELAY_MAX_API_RESPONSE", raw.relay_max_api_response, 4 * 1024 * 1024, 1024)?
                as usize,
            cookie_max_age: Duration::from_secs(count(
                "RELAY_COOKIE_MAX_AGE_SECS",
                raw.relay_cookie_max_age_secs,
                30 * 24 * 3600,
                60,
            )?),
            refresh_coalesce_window: Duration::from_secs(2),
            header_read_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_millis(count("RELAY_BODY_TIMEOUT_MS", raw.relay_body_timeout_ms, 10_000, 1)?),
            max_connections: count("RELAY_MAX_CONNECTIONS", raw.relay_max_connections, 1024, 1)? as usize,
            // Behind a proxy every connection comes from the proxy: no per-address cap by default.
            max_connections_per_ip: count(
                "RELAY_MAX_CONNECTIONS_PER_IP",
                raw.relay_max_connections_per_ip,
                if trusted_proxy_hops == 0 { 64 } else { u32::MAX as u64 },
                1,
            )? as usize,
            write_stall_timeout: Duration::from_millis(count(
                "RELAY_WRITE_STALL_TIMEOUT_MS",
                raw.relay_write_stall_timeout_ms,
                10_000,
                1,
            )?),
            connection_lifetime: Duration::from_secs(count(
                "RELAY_CONNECTION_LIFETIME_SECS",
                raw.relay_connection_lifetime_secs,
                300,
                1,
            )?),
            shutdown_timeout: Duration::from_millis(count(
                "RELAY_SHUTDOWN_TIMEOUT_MS",
                raw.relay_shutdown_timeout_ms,
                20_000,
                0,
            )?),
            frame_ancestors: crate::layers::parse_frame_ancestors(
                &raw.relay_frame_ancestors.map_or_else(|| vec!["'none'".to_string()], |List(s)| s),
            )?,
            session: SessionConfig::from_settings(
                raw.relay_session_max_age_secs,
                raw.relay_token_deadline_ms,
                raw.relay_revoke_retry_attempts,
                raw.relay_revoke_retry_delay_ms,
            )?,
            cookie_mode: raw.relay_cookie_mode.map_or(CookieMode::Strict, |Setting(m)| m),
            redis_url: raw.relay_redis_url.map(|Setting(u)| u),
            redis_timeout: Duration::from_millis(count("RELAY_REDIS_TIMEOUT_MS", raw.relay_redis_timeout_ms, 100, 1)?),
        };
        // R9: browsers keep a SameSite=None or Partitioned cookie only when it is Secure.
        if config.cookie_mode == CookieMode::Embedded && !config.cookie_is_https() {
            return Err(err(
                "RELAY_COOKIE_MODE",
                "embedded needs the relay served over https (its cookie is Secure; SameSite=None; Partitioned): \
                 set RELAY_PUBLIC_URL to the relay's https URL",
            ));
        }
        Ok(config)
    }
}
