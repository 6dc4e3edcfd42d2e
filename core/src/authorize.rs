//! The Canvas authorization request, `GET /login/oauth2/auth` (docs/canvas.md §2; RFC 6749 §4.1.1).

use crate::encoding::form_encode_into;
use crate::error::{config_invalid, invalid_argument, Error};
use crate::url::HttpUrl;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Canvas's base URL: its origin plus any path prefix, without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanvasUrl {
    base: String,
    origin: String,
}

impl CanvasUrl {
    /// https (http only for localhost), no query or fragment; a path prefix is kept.
    pub fn parse(value: &str) -> Result<Self, Error> {
        const FIELD: &str = "canvasUrl";
        let url = HttpUrl::parse(FIELD, value)?.require_secure(FIELD)?;
        if url.query.is_some() || url.fragment.is_some() {
            return Err(config_invalid(FIELD, "must not have a query or fragment"));
        }
        let origin = url.origin();
        let base = crate::concat(&[&origin, url.path.trim_end_matches('/')]);
        Ok(Self { base, origin })
    }

    /// `scheme://host[:port]`: a pending sign-in records it, and its callback is checked against it.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `base` + `path`, where `path` starts with `/`.
    pub fn join(&self, path: &str) -> String {
        crate::concat(&[&self.base, path])
    }

    /// `webSessionUrl(returnTo)`'s page: a path (`/courses/1`) is a page of this Canvas, since
    /// Canvas wants an absolute URL on its host; anything else goes as given, for the relay to
    /// check against the Canvas origin.
    pub fn page_url(&self, return_to: &str) -> String {
        if return_to.starts_with('/') && !return_to.starts_with("//") {
            self.join(return_to)
        } else {
            return_to.to_string()
        }
    }
}

/// A developer key id: Canvas requires an integer within signed 64-bit range (§2.1).
pub fn parse_client_id(value: &str) -> Result<String, Error> {
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    match crate::parse_u64(value).filter(|&id| id <= i64::MAX as u64) {
        Some(id) if digits && id > 0 => Ok(value.to_string()),
        _ => Err(config_invalid("clientId", "must be the numeric developer key id")),
    }
}

/// The redirect URI, kept exactly as given: Canvas compares `redirect_uris` entries as
/// strings (§2.3). It may not have a fragment, since Canvas appends its parameters after one,
/// nor a query: Canvas appends to it, and a parameter of ours there (`state=`, `code=`) would
/// be read back as part of the authorization response.
pub fn parse_redirect_uri(value: &str) -> Result<String, Error> {
    const FIELD: &str = "redirectUri";
    let url = HttpUrl::parse(FIELD, value)?.require_secure(FIELD)?;
    if url.fragment.is_some() {
        return Err(config_invalid(FIELD, "must not have a fragment"));
    }
    if url.query.is_some() {
        return Err(config_invalid(FIELD, "must not have a query"));
    }
    Ok(value.to_string())
}

/// `prompt`: Canvas accepts only `none` and `login` (an empty value is an error, §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// Answer at once, never show a page: fails with `login_required` or `interaction_required`.
    None,
    /// Ask for the password even when a Canvas session exists.
    Login,
}

impl Prompt {
    /// From the JS option's value; anything but `none` or `login` is `invalid_argument`.
    pub fn parse(value: &str) -> Result<Self, Error> {
        match value {
            "none" => Ok(Self::None),
            "login" => Ok(Self::Login),
            _ => Err(invalid_argument("prompt must be \"none\" or \"login\"")),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Login => "login",
        }
    }
}

/// Everything in one authorization request. PKCE is always S256 (L9).
pub struct AuthorizeRequest<'a> {
    /// The Canvas the request goes to (`/login/oauth2/auth` under its base).
    pub canvas: &'a CanvasUrl,
    /// The developer key id, as checked by [`parse_client_id`].
    pub client_id: &'a str,
    /// Exactly the string registered on the key and later sent with the code exchange (§2.3).
    pub redirect_uri: &'a str,
    /// The per-flow `state` that the callback must echo (L1).
    pub state: &'a str,
    /// The S256 challenge of the flow's verifier ([`crate::pkce_challenge`]).
    pub code_challenge: &'a str,
    /// Already normalised by [`normalize_scopes`]; empty means the key's default (all) scopes.
    pub scopes: &'a [String],
    /// Canvas stores it on the token, shown in the user's settings; defaults to the key's name (§2.1).
    pub purpose: Option<&'a str>,
    /// Sent as `force_login=1` only when true: Canvas acts on the parameter's presence (§7.12).
    pub force_login: bool,
    /// Pre-fills the login form's user name (§2.1).
    pub unique_id: Option<&'a str>,
    /// Whether Canvas may show its login and consent pages (§2.4).
    pub prompt: Option<Prompt>,
}

/// Checks scopes: each non-empty and free of whitespace (they are space-joined, RFC 6749 §3.3).
/// Duplicates are dropped, order kept.
pub fn normalize_scopes<S: AsRef<str>>(scopes: &[S]) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::with_capacity(scopes.len());
    for scope in scopes {
        let scope = scope.as_ref();
        if scope.is_empty() || scope.len() > 512 || scope.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid_argument("each scope must be non-empty text without spaces"));
        }
        if !out.iter().any(|s| s == scope) {
            out.push(scope.to_string());
        }
    }
    Ok(out)
}

/// Builds the authorization URL with one of each parameter, form-encoded (L10).
pub fn authorize_url(req: &AuthorizeRequest<'_>) -> Result<String, Error> {
    let text_ok = |v: &str| !v.is_empty() && v.len() <= 256 && !v.chars().any(char::is_control);
    if req.purpose.is_some_and(|p| !text_ok(p)) {
        return Err(invalid_argument("purpose must be 1 to 256 characters of plain text"));
    }
    if req.unique_id.is_some_and(|u| !text_ok(u)) {
        return Err(invalid_argument("uniqueId must be 1 to 256 characters of plain text"));
    }
    let scopes = normalize_scopes(req.scopes)?;
    let scope = crate::join(&scopes, " ");

    let mut url = req.canvas.join("/login/oauth2/auth");
    let mut sep = '?';
    let mut param = |name: &str, value: &str| {
        url.push(sep);
        sep = '&';
        url.push_str(name);
        url.push('=');
        form_encode_into(&mut url, value);
    };
    param("client_id", req.client_id);
    param("response_type", "code");
    param("redirect_uri", req.redirect_uri);
    param("state", req.state);
    if !scope.is_empty() {
        param("scope", &scope);
    }
    param("code_challenge", req.code_challenge);
    param("code_challenge_method", "S256");
    if let Some(purpose) = req.purpose {
        param("purpose", purpose);
    }
    if req.force_login {
        param("force_login", "1");
    }
    if let Some(unique_id) = req.unique_id {
        param("unique_id", unique_id);
    }
    if let Some(prompt) = req.prompt {
        param("prompt", prompt.as_str());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn request<'a>(canvas: &'a CanvasUrl, scopes: &'a [String]) -> AuthorizeRequest<'a> {
        AuthorizeRequest {
            canvas,
            client_id: "170000000000001",
            redirect_uri: "https://app.example.edu/callback?x=1",
            state: "st4te",
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            scopes,
            purpose: None,
            force_login: false,
            unique_id: None,
            prompt: None,
        }
    }

    #[test]
    fn a_web_session_page_is_a_page_of_this_canvas() {
        let canvas = CanvasUrl::parse("https://lms.example.edu:8443/canvas/").unwrap();
        assert_eq!(canvas.page_url("/courses/1?x=1"), "https://lms.example.edu:8443/canvas/courses/1?x=1");
        // Not paths of this Canvas: passed on for the relay to check (it refuses other origins).
        for as_given in ["https://lms.example.edu:8443/canvas/courses/1", "//evil.example/x", "courses/1", ""] {
            assert_eq!(canvas.page_url(as_given), as_given);
        }
    }

    #[test]
    fn minimal_url() {
        let canvas = CanvasUrl::parse("https://canvas.example.edu/").unwrap();
        let url = authorize_url(&request(&canvas, &[])).unwrap();
        assert_eq!(
            url,
            "https://canvas.example.edu/login/oauth2/auth?client_id=170000000000001&response_type=code\
             &redirect_uri=https%3A%2F%2Fapp.example.edu%2Fcallback%3Fx%3D1&state=st4te\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        );
    }

    #[test]
    fn all_options_with_path_prefix() {
        let canvas = CanvasUrl::parse("https://lms.example.edu:8443/canvas").unwrap();
        let scopes = vec![
            "url:GET|/api/v1/users/:user_id/profile".to_string(),
            "/auth/userinfo".to_string(),
            "/auth/userinfo".to_string(),
        ];
        let mut req = request(&canvas, &scopes);
        req.purpose = Some("My App & co");
        req.force_login = true;
        req.unique_id = Some("sam@example.edu");
        req.prompt = Some(Prompt::Login);
        let url = authorize_url(&req).unwrap();
        assert!(url.starts_with("https://lms.example.edu:8443/canvas/login/oauth2/auth?client_id="), "{url}");
        assert!(
            url.contains("&scope=url%3AGET%7C%2Fapi%2Fv1%2Fusers%2F%3Auser_id%2Fprofile+%2Fauth%2Fuserinfo&"),
            "{url}"
        );
        assert_eq!(url.matches("scope=").count(), 1, "one scope parameter, duplicates dropped");
        assert!(
            url.ends_with("&purpose=My+App+%26+co&force_login=1&unique_id=sam%40example.edu&prompt=login"),
            "{url}"
        );
    }

    #[test]
    fn force_login_false_is_absent() {
        let canvas = CanvasUrl::parse("https://c.example.edu").unwrap();
        let url = authorize_url(&request(&canvas, &[])).unwrap();
        assert!(!url.contains("force_login"));
        assert!(!url.contains("prompt"));
    }

    #[test]
    fn rejects_bad_options() {
        let canvas = CanvasUrl::parse("https://c.example.edu").unwrap();
        for scopes in [vec!["a b".to_string()], vec!["".to_string()], vec!["a\tb".to_string()]] {
            assert_eq!(authorize_url(&request(&canvas, &scopes)).unwrap_err().code, crate::ErrorCode::InvalidArgument);
        }
        let mut req = request(&canvas, &[]);
        req.purpose = Some("");
        assert!(authorize_url(&req).is_err());
        assert!(Prompt::parse("").is_err());
        assert!(Prompt::parse("consent").is_err());
        assert_eq!(Prompt::parse("none").unwrap(), Prompt::None);
    }

    #[test]
    fn config_values() {
        assert!(parse_client_id("170000000000001").is_ok());
        for bad in ["", "abc", "-1", "0", "+5", "99999999999999999999", " 1"] {
            assert_eq!(parse_client_id(bad).unwrap_err().code, crate::ErrorCode::ConfigInvalid, "{bad}");
        }
        assert!(CanvasUrl::parse("http://canvas.example.edu").is_err());
        assert!(CanvasUrl::parse("https://canvas.example.edu/?a=1").is_err());
        assert_eq!(CanvasUrl::parse("http://localhost:3000/").unwrap().origin(), "http://localhost:3000");
        assert!(parse_redirect_uri("https://app.example.edu/cb#x").is_err());
        // S23: a query would mix with the authorization response Canvas appends.
        for bad in
            ["https://app.example.edu/cb?x=1", "https://app.example.edu/cb?", "https://app.example.edu/cb?state=a"]
        {
            let err = parse_redirect_uri(bad).unwrap_err();
            assert_eq!(err.description, "redirectUri: must not have a query", "{bad}");
        }
        assert!(parse_redirect_uri("http://app.example.edu/cb").is_err());
        assert_eq!(parse_redirect_uri("https://app.example.edu/cb/").unwrap(), "https://app.example.edu/cb/");
    }
}
