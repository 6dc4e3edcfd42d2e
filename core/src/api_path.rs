//! What a Bearer token may be sent to, and Canvas's pagination links. The browser library and the
//! relay both decide with these, so the two cannot disagree about a path or a `Link` header.

use alloc::string::{String, ToString};

/// Longest API path (without its query) either side accepts.
pub const MAX_API_PATH_LEN: usize = 2048;

/// Whether `path` is a Canvas API path the token may be sent with: under `/api/v1`, or Canvas's
/// GraphQL endpoint `/api/graphql` (the relay serves it only when allow-listed). The part before
/// any `?` or `#` is printable ASCII of at most [`MAX_API_PATH_LEN`] bytes with no dot segments,
/// empty segments, backslashes, or encoded `.` `/` `\` NUL; the query has no control characters,
/// spaces or backslashes. Anything else could resolve to somewhere other than the relay's proxy.
pub fn is_api_path(path: &str) -> bool {
    let route = path.split(['?', '#']).next().unwrap_or("");
    let under_api = route == "/api/v1" || route.starts_with("/api/v1/") || route == crate::GRAPHQL_PATH;
    let lower = route.to_ascii_lowercase();
    under_api
        && route.len() <= MAX_API_PATH_LEN
        && route.bytes().all(|b| b.is_ascii_graphic())
        && !path.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\')
        // Byte windows, not `str::contains`: a `&str` pattern costs core's two-way searcher in the wasm.
        && !lower.as_bytes().windows(3).any(|w| [b"%2e", b"%2f", b"%5c", b"%00"].iter().any(|bad| *bad == w))
        && !route[1..].split('/').any(|segment| matches!(segment, "" | "." | ".."))
}

/// The `<target>; params` entries of an RFC 8288 `Link` header, in order, as `(target, params)`
/// with the parameters trimmed. A target runs to its `>` and its parameters to the next `<`, so
/// a comma inside a URL does not split it. An unterminated `<` ends the list.
pub fn link_entries(header: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = header;
    core::iter::from_fn(move || {
        let start = rest.find('<')?;
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            rest = "";
            return None;
        };
        let tail = &after[end + 1..];
        let (params, next) = tail.split_at(tail.find('<').unwrap_or(tail.len()));
        rest = next;
        Some((&after[..end], params.trim().trim_end_matches(',').trim()))
    })
}

/// Whether a `Link` entry's parameters carry `rel="next"` (or `rel=next`, or `next` among
/// several space-separated relations).
pub fn is_next_rel(params: &str) -> bool {
    params.split(';').any(|p| {
        let p = p.trim();
        p.strip_prefix("rel=").is_some_and(|rel| rel.trim_matches('"').split(' ').any(|r| r == "next"))
    })
}

/// The `rel="next"` URL of a `Link` header as Canvas writes it
/// (`<url>; rel="current",<url>; rel="next",...`).
pub fn next_link(header: &str) -> Option<String> {
    link_entries(header).find(|(_, params)| is_next_rel(params)).map(|(target, _)| target.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn api_paths_stay_under_the_api() {
        for ok in [
            "/api/v1",
            "/api/v1/users/self",
            "/api/v1/courses?per_page=5&page=2",
            "/api/v1/courses/1/files#x",
            "/api/v1/courses?search_term=caf\u{e9}",
            "/api/graphql",
        ] {
            assert!(is_api_path(ok), "{ok}");
        }
        let long = ["/api/v1/", &"a".repeat(MAX_API_PATH_LEN)].concat();
        for bad in [
            "/api/v1/../../login/oauth2/token",
            "/api/v1/./users",
            "/api/v1//users",
            "/api/v1/users/",
            "/api/v1/%2e%2e/x",
            "/api/v1/a%2Fb",
            "/api/v1/a%5cb",
            "/api/v1/a%00b",
            "/api/v1/a\\b",
            "/api/v1/a b",
            "/api/v1/caf\u{e9}",
            "/api/v1/x?a=b c",
            "/api/v10/x",
            "/api/v1x",
            "/api/graphql/x",
            "/api/graphqlx",
            "/api/graphql/../v1/x",
            "/login",
            "api/v1/users",
            "//evil.example/api/v1/x",
            long.as_str(),
        ] {
            assert!(!is_api_path(bad), "{bad}");
        }
    }

    #[test]
    fn reads_canvas_link_headers() {
        let header = "<https://c/api/v1/courses?page=1&per_page=10>; rel=\"current\",\
                      <https://c/api/v1/courses?page=2&per_page=10>; rel=\"next\",\
                      <https://c/api/v1/courses?page=1&per_page=10>; rel=\"first\",\
                      <https://c/api/v1/courses?page=3&per_page=10>; rel=\"last\"";
        assert_eq!(next_link(header).as_deref(), Some("https://c/api/v1/courses?page=2&per_page=10"));
        assert_eq!(next_link("<https://c/x?page=3>; rel=\"last\""), None);
        assert_eq!(next_link(""), None);
        assert_eq!(next_link("<https://c/x>; rel=next"), Some("https://c/x".into()));
        assert_eq!(next_link("<https://c/x>; rel=\"prev next\""), Some("https://c/x".into()));
        assert_eq!(next_link("garbage, <unterminated; rel=\"next\""), None);
    }

    /// A comma inside a URL is part of it: splitting the header on commas first lost the next page.
    #[test]
    fn a_comma_inside_a_link_url_does_not_split_it() {
        let header = "<https://c/api/v1/courses?include[]=a,b&page=1>; rel=\"current\",\
                      <https://c/api/v1/courses?include[]=a,b&page=2>; rel=\"next\"";
        assert_eq!(next_link(header).as_deref(), Some("https://c/api/v1/courses?include[]=a,b&page=2"));
    }

    #[test]
    fn link_entries_in_order_with_trimmed_params() {
        let entries: Vec<_> = link_entries("<a>; rel=\"next\", <b>;rel=last ,<c>").collect();
        assert_eq!(entries, [("a", "; rel=\"next\""), ("b", ";rel=last"), ("c", "")]);
        assert_eq!(link_entries("<a>; rel=next, <b").count(), 1, "an unterminated entry ends the list");
    }
}
