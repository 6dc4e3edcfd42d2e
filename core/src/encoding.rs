//! base64url (RFC 4648 §5, no padding) and `application/x-www-form-urlencoded` (WHATWG URL §5),
//! written out because both are a few lines and the wasm bundle must stay small.

use alloc::string::String;
use alloc::vec::Vec;

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding.
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(BASE64URL[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// `parts` joined by `sep`, as `[S]::join` gives, without std's join machinery (about 900 B of
/// wasm per element type).
pub fn join<S: AsRef<str>>(parts: &[S], sep: &str) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(part.as_ref());
    }
    out
}

/// `parts` one after the other, as `[&str]::concat` gives.
pub fn concat(parts: &[&str]) -> String {
    join(parts, "")
}

/// `text` as `u64`, exactly as `text.parse::<u64>().ok()` reads it (an optional `+`, then digits,
/// no overflow): one parser for every integer width instead of one `FromStr` per type in the wasm.
pub fn parse_u64(text: &str) -> Option<u64> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    digits.bytes().try_fold(0u64, |n, b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// `n` in decimal: what `n.to_string()` gives, without pulling `core::fmt` into the wasm.
pub fn decimal(mut n: u64) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[at..].iter().map(|&d| d as char).collect()
}

/// Appends `value` form-encoded: alphanumerics and `*-._` stay, space becomes `+`, the rest `%XX`.
pub fn form_encode_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

/// Decodes one form-encoded component exactly once: `+` is a space, `%XX` a byte.
/// A `%` not followed by two hex digits, or bytes that are not UTF-8, are an error
/// (browsers would pass them through; an authorization response never contains them).
pub fn form_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex_value(*bytes.get(i + 1)?)?;
                let lo = hex_value(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends `value` as a JSON string literal (RFC 8259 §7), quotes included.
pub fn json_string_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Byte comparison whose time depends only on the lengths (RFC 6749 §10.12 state checks; L6).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    core::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_and_concat_match_std() {
        let parts = [vec![], vec!["a"], vec!["", ""], vec!["ab", "", "c d"]];
        for p in parts {
            assert_eq!(join(&p, " & "), p.join(" & "));
            assert_eq!(concat(&p), p.concat());
        }
    }

    #[test]
    fn parse_u64_matches_from_str() {
        for text in ["", "+", "-", "0", "+7", "-7", "007", "18446744073709551615", "18446744073709551616", "1a", " 1"] {
            assert_eq!(parse_u64(text), text.parse::<u64>().ok(), "{text:?}");
        }
    }

    #[test]
    fn decimal_matches_to_string() {
        for n in [0, 7, 10, 99, 100, 443, 65_535, 1_700_000_000_000, u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        // RFC 4648 §10 vectors, unpadded.
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64url_encode(input), expected);
        }
        // The two URL-safe characters.
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn form_encoding_matches_rails_to_query() {
        let mut out = String::new();
        form_encode_into(&mut out, "a b=\"c\"(d)/é~");
        assert_eq!(out, "a+b%3D%22c%22%28d%29%2F%C3%A9%7E");
    }

    #[test]
    fn form_decode_is_single_pass_and_strict() {
        assert_eq!(form_decode("a+b%2Bc").as_deref(), Some("a b+c"));
        assert_eq!(form_decode("%252F").as_deref(), Some("%2F"), "decoded once only");
        assert_eq!(form_decode("%2"), None);
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%ff"), None, "not UTF-8");
        assert_eq!(form_decode("%C3%A9").as_deref(), Some("é"));
    }

    #[test]
    fn json_strings_round_trip_through_a_real_parser() {
        for value in ["", "plain", "q\"uote", "back\\slash", "tab\tnew\nline\u{1}", "é ✓ 🦀", "</script>"] {
            let mut out = String::new();
            json_string_into(&mut out, value);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), value, "{out}");
        }
    }

    #[test]
    fn constant_time_eq_compares_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
