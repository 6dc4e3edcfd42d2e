//! Graceful shutdown of the binary (issue 12 item 6): on SIGTERM or Ctrl-C (SIGINT) under load,
//! every request is answered in full or refused, never cut off halfway, and the process exits 0.

mod common;
use common::*;
use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts the relay binary against `canvas`; returns it and its address.
fn spawn_relay(canvas: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_canvas-oauth-relay"))
        .env_clear()
        .envs([
            ("CANVAS_URL", canvas),
            ("CANVAS_CLIENT_ID", CLIENT_ID),
            ("CANVAS_CLIENT_SECRET", SECRET),
            ("CANVAS_REDIRECT_URI", REDIRECT),
            ("RELAY_ALLOWED_ORIGINS", ORIGIN),
            ("RELAY_COOKIE_KEYS", &format!("k1:{}", b64(&[1; 32]))),
            ("RELAY_LISTEN", "127.0.0.1:0"),
            ("RELAY_RATE_LIMIT_PER_MINUTE", "100000"),
            ("RELAY_MAX_CONNECTIONS_PER_IP", "1000"),
            ("RELAY_SHUTDOWN_TIMEOUT_MS", "5000"),
            ("RELAY_LOG", "warn"),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the relay binary");
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    // Keep reading, so that the relay's own output never meets a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    (child, url)
}

/// One API call on its own connection: `Ok(true)` answered in full, `Ok(false)` refused (no
/// answer at all: the connection was refused or closed before any response), `Err` for an
/// answer that is not a complete 200.
async fn call(relay: String) -> Result<bool, String> {
    let c = reqwest::Client::builder().pool_max_idle_per_host(0).timeout(Duration::from_secs(8)).build().unwrap();
    let Ok(r) = c.get(format!("{relay}/api/v1/users/self")).bearer_auth("t0ken").send().await else {
        return Ok(false);
    };
    let status = r.status();
    match r.text().await {
        Ok(body) if status == 200 && serde_json::from_str::<serde_json::Value>(&body).is_ok() => Ok(true),
        Ok(body) => Err(format!("{status}: {} bytes", body.len())),
        Err(e) => Err(format!("{status}, cut off: {e:?}")),
    }
}

async fn shutdown_under_load(signal: libc::c_int) {
    // Slow answers of about 200 KB: many are in flight, and a cut-off one would show.
    let canvas = fake(|_| json_resp(200, serde_json::json!({"id": 1, "bio": "x".repeat(200_000)}))).await;
    canvas.set_delay(Duration::from_millis(800));
    let (mut child, relay) = spawn_relay(&canvas.url);
    let in_flight: Vec<_> = (0..40).map(|_| tokio::spawn(call(relay.clone()))).collect();
    // And new clients keep coming, before and after the signal.
    let stream = tokio::spawn({
        let relay = relay.clone();
        async move {
            let mut calls = Vec::new();
            for _ in 0..100 {
                calls.push(tokio::spawn(call(relay.clone())));
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
            calls
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
    let signalled = Instant::now();

    for r in in_flight {
        assert_eq!(r.await.unwrap(), Ok(true), "a request in flight at the signal was not answered");
    }
    let (mut answered, mut refused) = (0, 0);
    for r in stream.await.unwrap() {
        match r.await.unwrap() {
            Ok(true) => answered += 1,
            Ok(false) => refused += 1,
            Err(e) => panic!("an answer was cut off: {e}"),
        }
    }
    assert!(answered > 0 && refused > 0, "answered {answered}, refused {refused}");
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(signalled.elapsed() < Duration::from_secs(6), "still running after the shutdown deadline");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
    assert_eq!(call(relay).await, Ok(false), "stopped means refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_answers_or_refuses_every_request_and_exits_0() {
    shutdown_under_load(libc::SIGTERM).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_under_load_answers_or_refuses_every_request_and_exits_0() {
    shutdown_under_load(libc::SIGINT).await;
}
