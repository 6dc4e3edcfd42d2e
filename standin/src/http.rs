//! A tiny HTTP/1.1 GET client (plain http only), used to fetch `public_jwk_url`.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Fetches `url` (http only) and returns (status, body). Errors are human-readable strings.
pub async fn get(url: &str) -> Result<(u16, Vec<u8>), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| "only http:// URLs are supported".to_string())?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if authority.contains(':') { authority.to_string() } else { format!("{authority}:80") };
    let fut = async {
        let mut stream = TcpStream::connect(&addr).await.map_err(|e| e.to_string())?;
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf).await.map_err(|e| e.to_string())?;
        parse_response(&buf)
    };
    tokio::time::timeout(Duration::from_secs(10), fut).await.map_err(|_| "timed out".to_string())?
}

/// Parses a complete HTTP/1.1 response (Content-Length, chunked or read-to-close body).
pub fn parse_response(buf: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").ok_or("malformed response")?;
    let head = String::from_utf8_lossy(&buf[..end]);
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("malformed status line")?;
    let mut chunked = false;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            if k.trim().eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            }
        }
    }
    let body = &buf[end + 4..];
    if !chunked {
        return Ok((status, body.to_vec()));
    }
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let line_end = body[pos..].windows(2).position(|w| w == b"\r\n").ok_or("bad chunk")? + pos;
        let size_str = String::from_utf8_lossy(&body[pos..line_end]);
        let size =
            usize::from_str_radix(size_str.split(';').next().unwrap_or("").trim(), 16).map_err(|_| "bad chunk size")?;
        pos = line_end + 2;
        if size == 0 {
            break;
        }
        out.extend_from_slice(body.get(pos..pos + size).ok_or("short chunk")?);
        pos += size + 2;
    }
    Ok((status, out))
}
