//! Connection limits of `serve()` (S1) against clients that pipeline and never read, read slowly,
//! or connect and send nothing. Loopback only: the 127.0.0.0/8 source addresses stand for
//! different hosts. Every flood is bounded in count, and every wait in time.

mod common;
use common::*;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Two descriptors per flood connection (ours and the relay's), so lift the soft limit.
fn raise_open_file_limit() {
    let mut l = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain libc calls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 && l.rlim_cur < l.rlim_max {
            l.rlim_cur = l.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}

fn test_config() -> canvas_oauth_relay::RelayConfig {
    config("http://127.0.0.1:9", CLIENT_ID, SECRET)
}

async fn start(config: canvas_oauth_relay::RelayConfig) -> SocketAddr {
    let url = start_relay(config).await;
    url.strip_prefix("http://").unwrap().parse().unwrap()
}

fn host(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

/// A connection from `src` with a tiny receive window that has sent `requests` pipelined
/// `GET /openapi.json` (9.8 KB answers each) and will never read.
async fn non_reader(relay: SocketAddr, src: Ipv4Addr, requests: usize) -> Option<TcpStream> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.set_recv_buffer_size(4096).ok()?;
    socket.bind(SocketAddr::new(IpAddr::V4(src), 0)).ok()?;
    let mut s = socket.connect(relay).await.ok()?;
    let pipeline = "GET /openapi.json HTTP/1.1\r\nhost: relay\r\n\r\n".repeat(requests);
    let _ = tokio::time::timeout(Duration::from_secs(1), s.write_all(pipeline.as_bytes())).await;
    Some(s)
}

/// `GET /health` from `src` on a fresh connection, as a browser would send it.
async fn probe(relay: SocketAddr, src: Ipv4Addr, within: Duration) -> Result<u16, String> {
    let c = reqwest::Client::builder()
        .local_address(IpAddr::V4(src))
        .pool_max_idle_per_host(0)
        .timeout(within)
        .build()
        .unwrap();
    match c.get(format!("http://{relay}/health")).send().await {
        Ok(r) => Ok(r.status().as_u16()),
        Err(e) => Err(format!("{e:?}")),
    }
}

/// Reads whatever arrives until the relay closes the connection; `None` if it is still open
/// after `within`.
async fn read_until_closed(s: &mut TcpStream, within: Duration, pace: Duration) -> Option<usize> {
    let mut total = 0;
    let mut buf = [0u8; 2048];
    let deadline = Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline.into(), s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(total),
            Ok(Ok(n)) => total += n,
        }
        tokio::time::sleep(pace).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_client_is_served_while_1100_clients_pipeline_and_never_read() {
    raise_open_file_limit();
    // The relay's defaults: 1,024 connections in total, 64 per client address.
    let relay = start(test_config()).await;
    let mut flood = Vec::new();
    for _ in 0..1100 {
        flood.extend(non_reader(relay, host(1), 300).await);
    }
    assert!(flood.len() >= 1000, "only {} flood connections", flood.len());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    assert_eq!(probe(relay, host(2), Duration::from_secs(2)).await, Ok(200));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_writers_lose_their_slot_and_a_full_relay_refuses_at_once() {
    let mut cfg = test_config();
    cfg.max_connections = 10;
    cfg.max_connections_per_ip = 1000;
    cfg.write_stall_timeout = Duration::from_millis(1000);
    let relay = start(cfg).await;
    // 1,000 answers (9.8 MB) each: more than the kernel's socket buffers take, so writes stall.
    let mut flood = Vec::new();
    for i in 0..10 {
        flood.extend(non_reader(relay, host(10 + i % 4), 1000).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Every slot is taken by a client that does not read: the relay answers 503 at once instead
    // of leaving the newcomer in the accept queue.
    let started = Instant::now();
    assert_eq!(probe(relay, host(2), Duration::from_secs(2)).await, Ok(503));
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    // Their writes make no progress for a second: they are dropped and the slots come back.
    let mut served = None;
    while started.elapsed() < Duration::from_secs(5) && served.is_none() {
        tokio::time::sleep(Duration::from_millis(200)).await;
        served = probe(relay, host(2), Duration::from_secs(2)).await.ok().filter(|s| *s == 200);
    }
    assert_eq!(served, Some(200), "no slot freed within 5 s");
    for s in &mut flood {
        let closed = read_until_closed(s, Duration::from_secs(5), Duration::ZERO).await;
        assert!(closed.is_some(), "a stalled connection stayed open");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_flood_is_refused_at_once_then_times_out() {
    let mut cfg = test_config();
    cfg.max_connections = 100;
    cfg.max_connections_per_ip = 1000;
    cfg.header_read_timeout = Duration::from_millis(1000);
    let relay = start(cfg).await;
    let mut idle = Vec::new();
    for i in 0..100 {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(IpAddr::V4(host(20 + i % 4)), 0)).unwrap();
        idle.push(socket.connect(relay).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    assert_eq!(probe(relay, host(2), Duration::from_secs(2)).await, Ok(503));
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    for s in &mut idle {
        assert!(read_until_closed(s, Duration::from_secs(3), Duration::ZERO).await.is_some(), "idle stayed open");
    }
    assert_eq!(probe(relay, host(2), Duration::from_secs(2)).await, Ok(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_at_most_its_share_of_connections() {
    let mut cfg = test_config();
    cfg.max_connections_per_ip = 5;
    let relay = start(cfg).await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(relay).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The sixth from the same address is answered 429 and closed; another address is served.
    let (status, body) = match reqwest::Client::new().get(format!("http://{relay}/health")).send().await {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(e) => panic!("no answer: {e:?}"),
    };
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("\"rate_limited\""), "{body}");
    assert_eq!(probe(relay, host(3), Duration::from_secs(2)).await, Ok(200));
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(probe(relay, host(1), Duration::from_secs(2)).await, Ok(200), "a closed connection frees its slot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_loses_its_slot_after_the_connection_lifetime() {
    let mut cfg = test_config();
    cfg.max_connections = 1;
    cfg.connection_lifetime = Duration::from_millis(1000);
    cfg.shutdown_timeout = Duration::from_millis(1000);
    let relay = start(cfg).await;
    // 300 answers (about 3 MB) read at about 100 KB/s take 30 s; every read makes progress and
    // the connection is never idle, so only the absolute lifetime frees the one slot.
    let mut s = non_reader(relay, host(1), 300).await.unwrap();
    let reader = tokio::spawn(async move {
        read_until_closed(&mut s, Duration::from_secs(8), Duration::from_millis(20)).await;
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    assert_eq!(probe(relay, host(2), Duration::from_secs(2)).await, Ok(503), "the slot is taken");
    let mut served = None;
    while started.elapsed() < Duration::from_secs(4) && served.is_none() {
        tokio::time::sleep(Duration::from_millis(200)).await;
        served = probe(relay, host(2), Duration::from_secs(2)).await.ok().filter(|s| *s == 200);
    }
    assert_eq!(served, Some(200), "the slow reader kept its slot past its lifetime");
    reader.abort();
}

#[test]
fn connection_settings_have_defaults_and_a_proxy_lifts_the_per_address_cap() {
    let load = |extra: &[(&str, &str)]| {
        let mut vars = std::collections::HashMap::from([
            ("CANVAS_URL", "https://canvas.example.edu".to_string()),
            ("CANVAS_CLIENT_ID", CLIENT_ID.to_string()),
            ("CANVAS_CLIENT_SECRET", SECRET.to_string()),
            ("CANVAS_REDIRECT_URI", REDIRECT.to_string()),
            ("RELAY_ALLOWED_ORIGINS", ORIGIN.to_string()),
            ("RELAY_COOKIE_KEYS", format!("k1:{}", b64(&[1; 32]))),
        ]);
        vars.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        canvas_oauth_relay::RelayConfig::from_lookup(|n| vars.get(n).cloned()).unwrap()
    };
    let c = load(&[]);
    assert_eq!(
        (c.max_connections, c.max_connections_per_ip, c.write_stall_timeout, c.connection_lifetime, c.shutdown_timeout),
        (1024, 64, Duration::from_secs(10), Duration::from_secs(300), Duration::from_secs(20))
    );
    assert_eq!(c.frame_ancestors, "'none'");
    // Behind a proxy every connection comes from the proxy.
    assert!(load(&[("RELAY_TRUSTED_PROXY_HOPS", "1")]).max_connections_per_ip >= 1 << 20);
    let c = load(&[
        ("RELAY_TRUSTED_PROXY_HOPS", "1"),
        ("RELAY_MAX_CONNECTIONS_PER_IP", "200"),
        ("RELAY_WRITE_STALL_TIMEOUT_MS", "2500"),
        ("RELAY_CONNECTION_LIFETIME_SECS", "60"),
        ("RELAY_SHUTDOWN_TIMEOUT_MS", "0"),
        ("RELAY_FRAME_ANCESTORS", "'self' https://*.instructure.com"),
    ]);
    assert_eq!(c.max_connections_per_ip, 200);
    assert_eq!(c.write_stall_timeout, Duration::from_millis(2500));
    assert_eq!(c.connection_lifetime, Duration::from_secs(60));
    assert_eq!(c.shutdown_timeout, Duration::ZERO);
    assert_eq!(c.frame_ancestors, "'self' https://*.instructure.com");
}
