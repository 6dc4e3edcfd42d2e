//! `canvas-standin` binary. See README.md for flags.

use canvas_standin::{default_seed, serve, Behaviour, Config, Seed};
use lexopt::prelude::*;
use std::time::Duration;

const USAGE: &str = "usage: canvas-standin [--seed FILE] [--print-seed] [--listen ADDR] [--public-url URL]
                      [--access-token-ttl SECS] [--code-ttl SECS] [--behaviour up|next] [--test-hooks]
                      [--throttle-high-water N] [--throttle-outflow N] [--throttle-up-front N]
                      [--throttle-cost N] [--api-latency-ms N]";

/// What the command line asks for.
struct Cli {
    config: Config,
    listen: String,
    print_seed: bool,
    help: bool,
}

fn secs(v: &str, flag: &str) -> Result<Duration, String> {
    match v.parse::<f64>() {
        Ok(s) if s >= 0.0 && s.is_finite() => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("{flag} needs a number of seconds")),
    }
}

fn number(v: &str, flag: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(n) if n >= 0.0 && n.is_finite() => Ok(n),
        _ => Err(format!("{flag} needs a number, 0 or more")),
    }
}

fn read_seed(path: &str) -> Result<Seed, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("bad seed {path}: {e}"))
}

fn value(parser: &mut lexopt::Parser, flag: &str) -> Result<String, String> {
    parser.value().map_err(|_| format!("{flag} needs a value"))?.string().map_err(|e| e.to_string())
}

/// Parses the flags (`--flag value` or `--flag=value`) with lexopt.
fn parse(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Cli, String> {
    let mut cli = Cli { config: Config::default(), listen: "127.0.0.1:3000".into(), print_seed: false, help: false };
    let mut seed = None;
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("seed") => seed = Some(read_seed(&value(&mut parser, "--seed")?)?),
            Long("print-seed") => cli.print_seed = true,
            Long("listen") => cli.listen = value(&mut parser, "--listen")?,
            Long("public-url") => cli.config.public_url = Some(value(&mut parser, "--public-url")?),
            Long("access-token-ttl") => {
                cli.config.access_token_ttl = secs(&value(&mut parser, "--access-token-ttl")?, "--access-token-ttl")?
            }
            Long("code-ttl") => cli.config.code_ttl = secs(&value(&mut parser, "--code-ttl")?, "--code-ttl")?,
            Long("behaviour") | Long("behavior") => {
                cli.config.behaviour = value(&mut parser, "--behaviour")?.parse::<Behaviour>()?
            }
            Long("test-hooks") => cli.config.test_hooks = true,
            Long(f @ ("throttle-high-water" | "throttle-outflow" | "throttle-up-front" | "throttle-cost")) => {
                let (f, flag) = (f.to_string(), format!("--{f}"));
                let n = number(&value(&mut parser, &flag)?, &flag)?;
                let t = &mut cli.config.throttle;
                *match f.as_str() {
                    "throttle-high-water" => &mut t.high_water,
                    "throttle-outflow" => &mut t.outflow,
                    "throttle-up-front" => &mut t.up_front,
                    _ => &mut t.cost,
                } = n;
            }
            Long("api-latency-ms") => {
                let n = number(&value(&mut parser, "--api-latency-ms")?, "--api-latency-ms")?;
                cli.config.throttle.latency = Duration::from_secs_f64(n / 1000.0);
            }
            Short('h') | Long("help") => cli.help = true,
            other => return Err(other.unexpected().to_string()),
        }
    }
    cli.config.seed = seed.unwrap_or_else(default_seed);
    Ok(cli)
}

#[tokio::main]
async fn main() {
    let fail = |msg: &str| -> ! {
        eprintln!("canvas-standin: {msg}\n{USAGE}");
        std::process::exit(2)
    };
    let cli = parse(std::env::args_os().skip(1)).unwrap_or_else(|e| fail(&e));
    if cli.help {
        println!("{USAGE}");
        return;
    }
    if cli.print_seed {
        println!("{}", serde_json::to_string_pretty(&cli.config.seed).expect("seed serializes"));
        return;
    }
    let listener = tokio::net::TcpListener::bind(&cli.listen)
        .await
        .unwrap_or_else(|e| fail(&format!("cannot listen on {}: {e}", cli.listen)));
    let addr = listener.local_addr().expect("bound");
    let running = serve(listener, cli.config).unwrap_or_else(|e| fail(&e.to_string()));
    println!("canvas-standin listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
}
