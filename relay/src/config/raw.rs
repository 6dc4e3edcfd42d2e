//! The settings as read (S8): one serde struct whose fields are the variable names, filled from the
//! environment and/or a TOML file, each value parsed into its type from `types.rs` on the way in.
//! An unknown key in the file is refused by `deny_unknown_fields`; the environment is read by
//! the field names only (it is shared with every other program, so other variables are ignored).

use super::types::{
    BasePath, CanvasUrl, ClientId, Count, Flag, List, LtiKey, LtiScope, Origin, PublicUrl, RedirectUri, Secret,
    Setting, StaticDir, StaticMount, UpstreamProxy,
};
use super::{err, ApiRule, ConfigError, CookieKey};
use serde::de::{self, Visitor};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields, rename_all = "SCREAMING_SNAKE_CASE")]
pub(super) struct RawConfig {
    pub canvas_url: Option<Setting<CanvasUrl>>,
    pub canvas_client_id: Option<Setting<ClientId>>,
    pub canvas_client_secret: Option<Secret>,
    pub canvas_redirect_uri: Option<Setting<RedirectUri>>,
    pub relay_listen: Option<Setting<Listen>>,
    pub relay_metrics_listen: Option<Setting<Listen>>,
    pub relay_log_format: Option<Setting<crate::LogFormat>>,
    pub relay_allowed_origins: Option<List<Origin>>,
    pub relay_cookie_keys: Option<List<CookieKey>>,
    pub relay_base_path: Option<Setting<BasePath>>,
    pub relay_public_url: Option<Setting<PublicUrl>>,
    pub relay_static_dir: Option<Setting<StaticDir>>,
    pub relay_static_mounts: Option<List<StaticMount>>,
    pub relay_api_allow: Option<List<ApiRule>>,
    pub relay_allow_insecure_http: Option<Setting<Flag>>,
    pub relay_session_url: Option<Setting<Flag>>,
    pub relay_upstream_proxy: Option<Setting<UpstreamProxy>>,
    pub lti_private_key_file: Option<Setting<LtiKey>>,
    pub lti_client_id: Option<Setting<ClientId>>,
    pub lti_key_id: Option<Setting<String>>,
    pub lti_scopes: Option<List<LtiScope>>,
    pub lti_caller_token: Option<Secret>,
    pub relay_connect_timeout_ms: Option<Setting<Count>>,
    pub relay_upstream_timeout_ms: Option<Setting<Count>>,
    pub relay_body_timeout_ms: Option<Setting<Count>>,
    pub relay_max_inflight: Option<Setting<Count>>,
    pub relay_max_requests: Option<Setting<Count>>,
    pub relay_throttle_retry_after_secs: Option<Setting<Count>>,
    pub relay_rate_limit_per_minute: Option<Setting<Count>>,
    pub relay_trusted_proxy_hops: Option<Setting<Count>>,
    pub relay_max_api_body: Option<Setting<Count>>,
    pub relay_max_graphql_body: Option<Setting<Count>>,
    pub relay_api_body_budget: Option<Setting<Count>>,
    pub relay_max_api_response: Option<Setting<Count>>,
    pub relay_cookie_max_age_secs: Option<Setting<Count>>,
    pub relay_max_connections: Option<Setting<Count>>,
    pub relay_session_max_age_secs: Option<Setting<Count>>,
    pub relay_token_deadline_ms: Option<Setting<Count>>,
    pub relay_revoke_retry_attempts: Option<Setting<Count>>,
    pub relay_revoke_retry_delay_ms: Option<Setting<Count>>,
    pub relay_max_connections_per_ip: Option<Setting<Count>>,
    pub relay_write_stall_timeout_ms: Option<Setting<Count>>,
    pub relay_connection_lifetime_secs: Option<Setting<Count>>,
    pub relay_shutdown_timeout_ms: Option<Setting<Count>>,
    pub relay_frame_ancestors: Option<List<String>>,
    pub relay_cookie_mode: Option<Setting<super::CookieMode>>,
    pub relay_redis_url: Option<Setting<super::RedisUrl>>,
    pub relay_redis_timeout_ms: Option<Setting<Count>>,
}

/// `RELAY_LISTEN`: `ADDRESS:PORT`.
pub(super) struct Listen(pub SocketAddr);

impl std::str::FromStr for Listen {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse().map(Listen).map_err(|_| "expected ADDRESS:PORT, e.g. 127.0.0.1:8080".to_string())
    }
}

impl RawConfig {
    /// Every setting's name, as the environment spells it.
    pub(super) fn names() -> &'static [&'static str] {
        field_names::<RawConfig>()
    }

    /// From name → value pairs, file first, later sources overriding; empty values count as unset.
    pub(super) fn from_table(table: toml::Table) -> Result<Self, ConfigError> {
        serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            let variable = e.path().to_string();
            let message = e.inner().message().to_string();
            if message.starts_with("unknown field") {
                err(&variable, "is not a relay setting (relay/README.md lists them)")
            } else {
                err(&variable, message)
            }
        })
    }
}

/// Reads TOML text into a table keyed by upper-case names (the file may use either case).
pub(super) fn toml_table(text: &str) -> Result<toml::Table, ConfigError> {
    let parsed: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| err("RELAY_CONFIG_FILE", format!("invalid TOML: {}", e.message())))?;
    let mut out = toml::Table::new();
    for (key, value) in parsed {
        let name = key.to_ascii_uppercase();
        if matches!(&value, toml::Value::String(s) if s.trim().is_empty()) {
            continue;
        }
        if out.insert(name.clone(), value).is_some() {
            return Err(err(&name, "is set twice in the file"));
        }
    }
    Ok(out)
}

/// Adds every setting `lookup` knows (trimmed, non-empty) to `table`, replacing the file's value.
pub(super) fn overlay(table: &mut toml::Table, lookup: impl Fn(&str) -> Option<String>) {
    for name in RawConfig::names() {
        if let Some(v) = lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
            table.insert(name.to_string(), toml::Value::String(v));
        }
    }
}

/// The names serde's derive passes to `deserialize_struct`: the struct's fields, renamed.
fn field_names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Names<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Names<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("only the names are wanted"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("only the names are wanted"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(Names(&mut names));
    names
}
