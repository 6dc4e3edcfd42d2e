//! `canvas-standin` binary. See README.md for flags.

use canvas_standin::{default_seed, serve, Behaviour, Config, Seed};
use std::time::Duration;

const USAGE: &str = "usage: canvas-standin [--seed FILE] [--print-seed] [--listen ADDR] [--public-url URL]
                      [--access-token-ttl SECS] [--code-ttl SECS] [--behaviour up|next] [--test-hooks]";

fn fail(msg: &str) -> ! {
    eprintln!("canvas-standin: {msg}\n{USAGE}");
    std::process::exit(2)
}

fn secs(v: &str, flag: &str) -> Duration {
    match v.parse::<f64>() {
        Ok(s) if s >= 0.0 && s.is_finite() => Duration::from_secs_f64(s),
        _ => fail(&format!("{flag} needs a number of seconds")),
    }
}

#[tokio::main]
async fn main() {
    let mut config = Config::default();
    let mut listen = "127.0.0.1:3000".to_string();
    let mut print_seed = false;
    let mut seed: Option<Seed> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value =
            || inline.clone().or_else(|| args.next()).unwrap_or_else(|| fail(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--seed" => {
                let path = value();
                let text = std::fs::read_to_string(&path).unwrap_or_else(|e| fail(&format!("cannot read {path}: {e}")));
                seed = Some(serde_json::from_str(&text).unwrap_or_else(|e| fail(&format!("bad seed {path}: {e}"))));
            }
            "--print-seed" => print_seed = true,
            "--listen" => listen = value(),
            "--public-url" => config.public_url = Some(value()),
            "--access-token-ttl" => config.access_token_ttl = secs(&value(), "--access-token-ttl"),
            "--code-ttl" => config.code_ttl = secs(&value(), "--code-ttl"),
            "--behaviour" | "--behavior" => {
                config.behaviour = value().parse::<Behaviour>().unwrap_or_else(|e| fail(&e))
            }
            "--test-hooks" => config.test_hooks = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => fail(&format!("unknown argument {other:?}")),
        }
    }
    config.seed = seed.unwrap_or_else(default_seed);
    if print_seed {
        println!("{}", serde_json::to_string_pretty(&config.seed).expect("seed serializes"));
        return;
    }
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .unwrap_or_else(|e| fail(&format!("cannot listen on {listen}: {e}")));
    let addr = listener.local_addr().expect("bound");
    let running = serve(listener, config).unwrap_or_else(|e| fail(&e.to_string()));
    println!("canvas-standin listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
}
