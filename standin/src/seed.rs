//! The seed: developer keys, users and courses, as JSON.

use serde::{Deserialize, Serialize};

/// Everything the stand-in knows at start-up. Read from `--seed FILE` (JSON) or [`default_seed`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Seed {
    #[serde(default)]
    pub developer_keys: Vec<DeveloperKey>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub courses: Vec<Course>,
    #[serde(default)]
    pub settings: Settings,
}

/// Site-wide Canvas settings and feature flags.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Settings {
    /// Canvas `public_client_token_ttl` (default 120 minutes), in seconds here.
    pub public_client_token_ttl_secs: u64,
    /// Canvas `site_admin_access_token_expires_in` (default 604800 s).
    pub site_admin_access_token_expires_in_secs: u64,
    /// UP feature flag `oauth2_deny_post`: POST /login/oauth2/deny is routed and GET answers 405.
    pub oauth2_deny_post: bool,
    /// Value of `canvas_region` in token responses.
    pub canvas_region: String,
    /// `iss` of client_credentials access tokens (Canvas `lti_iss`).
    pub lti_iss: String,
    /// When set, the password login counts as a login through a provider with single logout
    /// (SAML-like) at this URL: `/logout` and `expire_sessions` send the browser there (§4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_slo_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_client_token_ttl_secs: 7200,
            site_admin_access_token_expires_in_secs: 604_800,
            oauth2_deny_post: true,
            canvas_region: "unknown".into(),
            lti_iss: "https://canvas.instructure.com".into(),
            login_slo_url: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ClientType {
    #[default]
    Confidential,
    Public,
}

fn yes() -> bool {
    true
}
fn on() -> String {
    "on".into()
}

/// A Canvas developer key. `id` is the client_id; `api_key` is the client secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeveloperKey {
    pub id: u64,
    pub api_key: String,
    pub name: String,
    /// The exact-match list (`redirect_uris`).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// The legacy single `redirect_uri`, matched leniently (scheme + host or subdomain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    #[serde(default)]
    pub client_type: ClientType,
    #[serde(default)]
    pub trusted: bool,
    #[serde(default)]
    pub require_scopes: bool,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default = "yes")]
    pub auto_expire_tokens: bool,
    #[serde(default)]
    pub force_token_reuse: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_jwk: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_jwk_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_credentials_audience: Option<String>,
    /// `false` models a deleted/inactive key.
    #[serde(default = "yes")]
    pub active: bool,
    /// Account binding: "on" (default) or "off" (then /auth answers unauthorized_client).
    #[serde(default = "on")]
    pub account_binding: String,
    /// Key setting `replace_tokens`.
    #[serde(default)]
    pub replace_tokens: bool,
    /// `authorized_flows`, e.g. `["service_user_client_credentials"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorized_flows: Vec<String>,
    /// NEXT: the RFC 8707 `resource` values this key may ask for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_audiences: Vec<String>,
    /// The key's service user (a user id), for `service_user_client_credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_user_id: Option<u64>,
}

impl DeveloperKey {
    /// Set up for service-user client_credentials (§3.5): the flow is authorized and a service
    /// user is set.
    pub fn service_user_flow(&self) -> bool {
        self.service_user_id.is_some() && self.authorized_flows.iter().any(|f| f == "service_user_client_credentials")
    }
}

/// A user with a Canvas login (pseudonym).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    pub id: u64,
    pub login: String,
    pub password: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default)]
    pub site_admin: bool,
    /// Whether the user may create their own access tokens (`can_issue_token?` for untrusted keys).
    #[serde(default = "yes")]
    pub can_create_tokens: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// An admin with the "become other users" permission: may masquerade (web `/users/:id/masquerade`,
    /// API `as_user_id`) as any user who has no such permission and is not a site admin.
    #[serde(default)]
    pub can_become_users: bool,
    /// `false` models a deleted or suspended user (no active pseudonym).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub active: bool,
}

fn is_true(b: &bool) -> bool {
    *b
}

impl User {
    /// `User#can_masquerade?(masquerader)` as modelled here: yourself, or an admin over a non-admin.
    pub fn can_be_masqueraded_by(&self, admin: &User) -> bool {
        self.id == admin.id || (admin.can_become_users && !self.can_become_users && !self.site_admin)
    }
}

/// A course. Every seeded user is enrolled in every course (`enrollment_type` per user id below).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Course {
    pub id: u64,
    pub name: String,
    pub course_code: String,
    /// User ids enrolled as teachers; everybody else is a student.
    #[serde(default)]
    pub teacher_ids: Vec<u64>,
}

/// Redirect URIs registered on every default key.
pub fn default_redirect_uris() -> Vec<String> {
    [
        "http://localhost:8080/callback",
        "http://127.0.0.1:8080/callback",
        "http://localhost:8080/",
        "http://127.0.0.1:8080/",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The public half of the default LTI key (key 10000000000005). Its private half is
/// `src/keys/lti-demo-private.pem` (demo only; never use it for anything real).
pub fn default_lti_public_jwk() -> serde_json::Value {
    serde_json::json!({
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": "standin-lti-demo-1",
        "e": "AQAB",
        "n": "v4DnMeBej7-BGDF0cdsHOLzorpstosWOqgzUv2cazBovkh6XYjioztz66VwdqLdyy68tbldb4kLm-2vGCximnk0_A9Fcq0kq7dg-slLrqJAwJtS_NGKLBRRIOruMFdjYMOpn5-JnRSl5pIqL3kb2JffJS5QRLM-HKLvBqMx5b9bPnShQwtLRFVLHzJas9OAYc2NvUWCq3gghWcl5X92FE1IGcLnsr8u8HSuQ03o8KnJJr_bLKcaLmpmZihnx0EGVcykc8NPgOlUaecF0NFlK3qRt-dzH5MWltRilJosBOuUnyG_pz9hv9Vhd0pZoH_8Um-RgkPqwQi_kXgGfCxke9Q"
    })
}

fn key(id: u64, secret: &str, name: &str) -> DeveloperKey {
    DeveloperKey {
        id,
        api_key: secret.into(),
        name: name.into(),
        redirect_uris: default_redirect_uris(),
        redirect_uri: None,
        client_type: ClientType::Confidential,
        trusted: false,
        require_scopes: false,
        scopes: vec![],
        auto_expire_tokens: true,
        force_token_reuse: false,
        public_jwk: None,
        public_jwk_url: None,
        client_credentials_audience: None,
        active: true,
        account_binding: on(),
        replace_tokens: false,
        authorized_flows: vec![],
        allowed_audiences: vec![],
        service_user_id: None,
    }
}

/// The default seed (see README.md for the table of ids and secrets).
pub fn default_seed() -> Seed {
    let web = key(10000000000001, "standin-secret-web", "Canvas OAuth Demo");
    let mut public = key(10000000000002, "standin-secret-public", "Canvas OAuth Demo (public PKCE)");
    public.client_type = ClientType::Public;
    let mut trusted = key(10000000000003, "standin-secret-trusted", "Trusted Demo App");
    trusted.trusted = true;
    let mut scoped = key(10000000000004, "standin-secret-scoped", "Scoped Demo App");
    scoped.require_scopes = true;
    scoped.scopes = vec![
        "url:GET|/api/v1/users/:id".into(),
        "url:GET|/api/v1/users/:user_id/profile".into(),
        "url:GET|/api/v1/courses".into(),
    ];
    let mut lti = key(10000000000005, "standin-secret-lti", "LTI Advantage Demo Tool");
    lti.public_jwk = Some(default_lti_public_jwk());
    lti.client_credentials_audience = Some("external".into());
    lti.scopes = vec![
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem".into(),
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly".into(),
        "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly".into(),
        "https://purl.imsglobal.org/spec/lti-ags/scope/score".into(),
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly".into(),
    ];
    let users = vec![
        User {
            id: 1,
            login: "student@example.edu".into(),
            password: "password".into(),
            name: "Sam Student".into(),
            locale: Some("en".into()),
            site_admin: false,
            can_create_tokens: true,
            email: Some("student@example.edu".into()),
            can_become_users: false,
            active: true,
        },
        User {
            id: 2,
            login: "teacher@example.edu".into(),
            password: "password".into(),
            name: "Terry Teacher".into(),
            locale: None,
            site_admin: false,
            can_create_tokens: true,
            email: Some("teacher@example.edu".into()),
            can_become_users: false,
            active: true,
        },
        User {
            id: 3,
            login: "admin@example.edu".into(),
            password: "password".into(),
            name: "Ada Admin".into(),
            locale: None,
            site_admin: false,
            can_create_tokens: true,
            email: Some("admin@example.edu".into()),
            can_become_users: true,
            active: true,
        },
    ];
    let subjects = [
        ("Introduction to Biology", "BIO 101"),
        ("Calculus I", "MATH 151"),
        ("World History", "HIST 110"),
        ("Academic Writing", "ENG 102"),
        ("General Chemistry", "CHEM 121"),
        ("Introduction to Psychology", "PSY 100"),
        ("Data Structures", "CS 201"),
        ("Principles of Economics", "ECON 201"),
        ("Physics: Mechanics", "PHYS 211"),
        ("Statistics", "STAT 200"),
        ("Art History Survey", "ARTH 101"),
        ("Spanish I", "SPAN 101"),
    ];
    let courses = subjects
        .iter()
        .enumerate()
        .map(|(i, (name, code))| Course {
            id: 101 + i as u64,
            name: name.to_string(),
            course_code: code.to_string(),
            teacher_ids: vec![2],
        })
        .collect();
    Seed { developer_keys: vec![web, public, trusted, scoped, lti], users, courses, settings: Settings::default() }
}
