//! S8 through the binary, as scripts/start.sh, with-servers.sh, e2e.sh and bench run it: settings
//! from the environment and `--config`, one error naming the variable, no secret in it, and the
//! loopback http the scripts use still starting.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "s3cret-value-never-printed";

fn base() -> Vec<(&'static str, String)> {
    vec![
        ("CANVAS_URL", "http://127.0.0.1:17999".into()),
        ("CANVAS_CLIENT_ID", "10000000000001".into()),
        ("CANVAS_CLIENT_SECRET", SECRET.into()),
        ("CANVAS_REDIRECT_URI", "http://localhost:8080/".into()),
        ("RELAY_ALLOWED_ORIGINS", "http://localhost:8080".into()),
        ("RELAY_COOKIE_KEYS", "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=".into()),
        ("RELAY_LISTEN", "127.0.0.1:0".into()),
        // Variables of other programs in the same environment are not the relay's business.
        ("RELAY_PORT", "17101".into()),
        ("RELAY_LOG", "warn".into()),
        ("CANVAS_TEST_RELAY", "http://127.0.0.1:17101".into()),
    ]
}

/// Runs the relay; `Ok(())` once it says it listens (then stops it), `Err(stderr)` when it exits.
fn run(vars: &[(&str, String)], args: &[&str]) -> Result<(), String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_canvas-oauth-relay"))
        .args(args)
        .env_clear()
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let listening = std::thread::spawn(move || {
        BufReader::new(stdout).lines().next().is_some_and(|l| l.is_ok_and(|l| l.contains("listening on")))
    });
    // Bounded: the first stdout line (or its end) decides; 10 s at most.
    let started = Instant::now();
    while !listening.is_finished() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    if listening.is_finished() && listening.join().unwrap() {
        child.kill().unwrap();
        child.wait().unwrap();
        return Ok(());
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    Err(err)
}

fn with(changes: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut vars = base();
    for (k, v) in changes {
        vars.retain(|(name, _)| name != k);
        vars.push((k, v.to_string()));
    }
    vars
}

fn refused(vars: &[(&str, String)], args: &[&str], variable: &str) {
    let err = run(vars, args).expect_err("the relay must not start");
    assert!(err.starts_with(&format!("canvas-oauth-relay: configuration error: {variable}: ")), "{err}");
    assert!(!err.contains(SECRET) && !err.contains("AQEBAQ"), "{err}");
}

#[test]
fn the_binary_refuses_bad_settings_by_name_and_starts_on_loopback_http() {
    run(&base(), &[]).expect("the scripts' loopback http settings start");
    for lookalike in ["http://127.0.0.1.evil.example", "http://127.evil.example:3000"] {
        refused(&with(&[("CANVAS_URL", lookalike)]), &[], "CANVAS_URL");
    }
    let lan = [("RELAY_ALLOWED_ORIGINS", "http://app.example.edu"), ("RELAY_PUBLIC_URL", "http://relay.example.edu/")];
    for (var, value) in lan {
        refused(&with(&[(var, value)]), &[], var);
        run(&with(&[(var, value), ("RELAY_ALLOW_INSECURE_HTTP", "1")]), &[]).expect("allowed with the flag");
    }
    // A Redis URL carries a password: a bad one is named, never shown; a Redis that is not there
    // (nothing listens on 17353) does not stop the relay from starting.
    refused(&with(&[("RELAY_REDIS_URL", &format!("redis//:{SECRET}@cache:6379"))]), &[], "RELAY_REDIS_URL");
    refused(&with(&[("RELAY_REDIS_URL", &format!("rediss://:{SECRET}@cache:6380"))]), &[], "RELAY_REDIS_URL");
    run(&with(&[("RELAY_REDIS_URL", &format!("redis://:{SECRET}@127.0.0.1:17353/0"))]), &[])
        .expect("starts without Redis");
    // A TOML file: an unknown key is named; a secret of the wrong type is not repeated.
    let dir = std::env::temp_dir().join(format!("relay-config-process-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("relay.toml");
    let path = file.to_str().unwrap();
    let no_secret: Vec<_> = base().into_iter().filter(|(k, _)| *k != "CANVAS_CLIENT_SECRET").collect();
    std::fs::write(&file, "relay_max_api_bodyy = 5\n").unwrap();
    refused(&base(), &["--config", path], "RELAY_MAX_API_BODYY");
    std::fs::write(&file, "canvas_client_secret = 1234567890123\n").unwrap();
    let err = run(&no_secret, &["--config", path]).unwrap_err();
    assert!(err.contains("CANVAS_CLIENT_SECRET: ") && !err.contains("1234567890123"), "{err}");
    std::fs::write(&file, format!("canvas_client_secret = \"{SECRET}\"\nrelay_max_api_body = 1024\n")).unwrap();
    run(&no_secret, &["--config", path]).expect("the file fills in what the environment lacks");
    std::fs::remove_dir_all(&dir).unwrap();
}
