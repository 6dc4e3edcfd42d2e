//! Fetching `public_jwk_url` (Canvas fetches it on every client_credentials request, no cache).

use std::time::Duration;

/// GETs `url` (http or https) and returns (status, body). Errors are human-readable strings.
/// No proxy is taken from the environment: the stand-in only talks to what its seed names.
pub async fn get(url: &str) -> Result<(u16, Vec<u8>), String> {
    let client =
        reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().map_err(|e| e.to_string())?;
    let resp =
        client.get(url).header("accept", "application/json").send().await.map_err(|e| e.without_url().to_string())?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(|e| e.without_url().to_string())?;
    Ok((status, body.to_vec()))
}
