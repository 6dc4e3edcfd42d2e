//! Per-connection limits for the serve loop (S1): open connections counted per client key, and a
//! socket wrapper whose writes fail once they make no progress for a while.

use crate::limits::client_key;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Open connections per client key (IPv4 address or IPv6 /64). The table holds only clients with
/// an open connection, so it is bounded by the global connection cap.
pub struct PerClient {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One counted connection; uncounted on drop.
pub struct ClientSlot {
    table: Arc<PerClient>,
    key: IpAddr,
}

impl PerClient {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self { max, open: Mutex::new(HashMap::new()) })
    }

    /// A slot for `peer`, or `None` when that client already holds `max` connections.
    pub fn acquire(self: &Arc<Self>, peer: IpAddr) -> Option<ClientSlot> {
        let key = client_key(peer);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(ClientSlot { table: self.clone(), key })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.table.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// A socket whose writes (and flushes) fail with `TimedOut` when they make no progress for
/// `stall`: a client that stops reading its answers (a zero receive window) is dropped instead
/// of holding its connection slot for ever. Reads are bounded by hyper's header-read timeout.
pub struct WriteDeadline<T> {
    inner: T,
    stall: Duration,
    timer: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteDeadline<T> {
    pub fn new(inner: T, stall: Duration) -> Self {
        Self { inner, stall, timer: None }
    }

    /// After the inner write was `Pending`: arms the timer if needed and fails once it fires.
    fn stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let stall = self.stall;
        let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "write made no progress"))
    }

    fn track<R>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        match r {
            Poll::Pending => self.stalled(cx).map(Err),
            done => {
                self.timer = None;
                done
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteDeadline<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.track(cx, r)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.track(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.track(cx, r)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.track(cx, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_counted_per_client_key() {
        let table = PerClient::new(2);
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        let one = table.acquire(a("2001:db8::1")).unwrap();
        let _two = table.acquire(a("2001:db8::2")).unwrap();
        assert!(table.acquire(a("2001:db8::3")).is_none(), "same /64");
        assert!(table.acquire(a("192.0.2.1")).is_some());
        drop(one);
        assert!(table.acquire(a("2001:db8::3")).is_some(), "a closed connection frees its slot");
        assert_eq!(table.open.lock().unwrap().len(), 1, "clients without connections are forgotten");
    }
}
