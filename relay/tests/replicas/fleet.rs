//! A real `redis-server` and a real nginx (round-robin over the relays), both on fixed loopback
//! ports of the 17350–17399 range (docs/development.md), started and stopped by the test.
//! Missing binaries fail the test (scripts/setup.sh installs them): it never skips itself.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Password of the test's Redis: it is in the URL, and must never reach a log.
pub const REDIS_PASSWORD: &str = "redis-pw-CANARY-9f3k";

fn binary(name: &str) -> String {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    found
        .unwrap_or_else(|| panic!("{name} not found: run scripts/setup.sh (apt redis-server nginx-light)"))
        .display()
        .to_string()
}

/// Waits (bounded) until something accepts on 127.0.0.1:`port`.
fn wait_listening(port: u16, what: &str, child: &mut Child) {
    let started = Instant::now();
    while TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited: {status}");
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{what} did not listen on {port} within 10 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relay-replicas-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Stops (SIGTERM, then SIGKILL after 5 s) and reaps a child.
fn stop(child: &mut Child) {
    if child.try_wait().ok().flatten().is_some() {
        return;
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let started = Instant::now();
    while child.try_wait().ok().flatten().is_none() && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

pub struct Redis {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl Redis {
    /// No persistence, loopback only, a password.
    pub fn start(port: u16) -> Self {
        let dir = temp_dir(&format!("redis-{port}"));
        let mut child = Command::new(binary("redis-server"))
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--requirepass", REDIS_PASSWORD, "--dir", &dir.display().to_string(), "--loglevel", "warning"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        wait_listening(port, "redis-server", &mut child);
        Self { child, port, dir }
    }

    pub fn url(&self) -> String {
        format!("redis://:{REDIS_PASSWORD}@127.0.0.1:{}/0", self.port)
    }

    /// Stops answering without closing anything (SIGSTOP): a Redis that is slow, as far as
    /// any client can tell; `resume` undoes it.
    pub fn pause(&self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGSTOP) };
    }

    pub fn resume(&self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGCONT) };
    }

    /// Gone at once (SIGKILL): what a crash or a lost network looks like to the relays.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.resume();
        stop(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The part of the nginx configuration relay/README.md shows ("Running several replicas").
pub fn nginx_http_block(port: u16, relays: &[SocketAddr]) -> String {
    let servers: String = relays.iter().map(|a| format!("        server {a};\n")).collect();
    format!(
        "    upstream relays {{
{servers}        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://relays;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
"
    )
}

pub struct Nginx {
    child: Child,
    pub url: String,
    dir: PathBuf,
}

impl Nginx {
    /// One process in the foreground (`daemon off`, `master_process off`: nothing outlives the
    /// test), every file in a temp dir.
    pub fn start(port: u16, relays: &[SocketAddr]) -> Self {
        let dir = temp_dir(&format!("nginx-{port}"));
        let d = dir.display();
        let conf = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 256; }}\nhttp {{\n    access_log off;\n\
             client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n    fastcgi_temp_path {d}/fastcgi;\n\
             uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n{}}}\n",
            nginx_http_block(port, relays)
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let mut child = Command::new(binary("nginx"))
            .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf"), "-e", &format!("{d}/error.log")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        wait_listening(port, "nginx", &mut child);
        Self { child, url: format!("http://127.0.0.1:{port}"), dir }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        stop(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
