//! The `canvas-standin` binary: flags, the "listening" line, --print-seed.
mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_canvas-standin");

#[test]
fn print_seed_round_trips_and_custom_seed_is_used() {
    let out = Command::new(BIN).arg("--print-seed").output().unwrap();
    assert!(out.status.success());
    let seed: canvas_standin::Seed = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seed, canvas_standin::default_seed());
    let mut custom = seed.clone();
    custom.users[0].name = "Custom Person".into();
    let path = std::env::temp_dir().join(format!("standin-seed-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_string(&custom).unwrap()).unwrap();
    let out = Command::new(BIN).arg("--seed").arg(&path).arg("--print-seed").output().unwrap();
    let printed: canvas_standin::Seed = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed.users[0].name, "Custom Person");
    let bad = Command::new(BIN).arg("--behaviour").arg("sideways").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn prints_listening_line_and_serves() {
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--access-token-ttl",
            "120",
            "--code-ttl",
            "60",
            "--behaviour",
            "next",
            "--test-hooks",
            "--public-url",
            "http://canvas.test",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = listening_url(&mut child).await;
    assert!(url.starts_with("http://127.0.0.1:"));
    let r = request("GET", &format!("{url}/__test/stats"), &[], None).await;
    assert_eq!(r.status, 200);
    let r = request("GET", &format!("{url}/login"), &[], None).await;
    assert!(r.text().contains("pseudonym_session[password]"));
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("GET /login 200"), "{log}");
}

#[test]
fn flags_take_inline_values_and_bad_flags_exit_2_with_usage() {
    let ok = Command::new(BIN)
        .args(["--behavior=next", "--code-ttl=1.5", "--access-token-ttl", "2", "--public-url=http://x", "--test-hooks"])
        .arg("--print-seed")
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let help = Command::new(BIN).arg("-h").output().unwrap();
    assert!(help.status.success() && String::from_utf8_lossy(&help.stdout).starts_with("usage: canvas-standin"));
    for bad in [
        &["--bogus"][..],
        &["--listen"],
        &["--code-ttl", "-1"],
        &["--access-token-ttl=soon"],
        &["--test-hooks=1"],
        &["--throttle-high-water", "-3"],
        &["--throttle-cost=lots"],
        &["--api-latency-ms"],
        &["stray"],
        &["--seed", "/nonexistent/seed.json"],
    ] {
        let out = Command::new(BIN).args(bad).arg("--print-seed").output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {err}");
        assert!(err.starts_with("canvas-standin: ") && err.contains("usage: canvas-standin"), "{bad:?}: {err}");
        assert!(out.stdout.is_empty(), "{bad:?} printed the seed");
    }
}

/// The throttle flags make the bucket small: with room for one request of cost 1 and no outflow,
/// the second API call is refused (429 with `--behaviour next`).
#[tokio::test]
async fn throttle_flags_make_a_small_bucket() {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--behaviour", "next", "--throttle-high-water", "1"])
        .args(["--throttle-outflow=0", "--throttle-up-front", "0", "--throttle-cost", "1", "--api-latency-ms", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = listening_url(&mut child).await;
    let api = format!("{url}/api/v1/users/self");
    let first = request("GET", &api, &[("Authorization", "Bearer 1~x")], None).await;
    assert_eq!((first.status, first.header("x-rate-limit-remaining")), (401, Some("0.0")));
    let second = request("GET", &api, &[("Authorization", "Bearer 1~x")], None).await;
    assert_eq!(second.status, 429);
    let _ = child.kill();
    let _ = child.wait();
}

/// The URL from the stand-in's first stdout line, "canvas-standin listening on <url>" (bounded: 20 s).
async fn listening_url(child: &mut std::process::Child) -> String {
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    });
    let line = tokio::time::timeout(std::time::Duration::from_secs(20), line).await.expect("listening line").unwrap();
    line.trim().strip_prefix("canvas-standin listening on ").expect(&line).to_string()
}
