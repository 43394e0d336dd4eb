//! Serving over TCP so that slow or flooding clients cannot take the server down:
//! a cap on connections in total and per client address, and a connection that sends
//! nothing for a while (headers dribbled byte by byte, a body that stalls, an idle
//! keep-alive) is closed. axum's own `serve` sets no read timeout at all; hyper's header
//! timeout needs a timer axum does not give it, so the guard sits in the socket instead.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

/// How much the server lets one client, and all clients together, hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A connection that sends nothing for this long while the server waits to read
    /// (a request's head or body, or the next request) is closed.
    pub idle: Duration,
    /// Open connections from one client address.
    pub per_address: usize,
    /// Open connections in all.
    pub total: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            idle: Duration::from_secs(20),
            // Enough for a busy office behind one NAT address and for `wrk -c200`.
            per_address: 256,
            total: 4096,
        }
    }
}

/// Open connections per client address.
type Counts = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// A TCP listener that enforces [`Limits`] on what it accepts.
pub struct LimitedListener {
    inner: TcpListener,
    limits: Limits,
    total: Arc<Semaphore>,
    counts: Counts,
}

impl LimitedListener {
    pub fn new(inner: TcpListener, limits: Limits) -> Self {
        LimitedListener {
            inner,
            limits,
            total: Arc::new(Semaphore::new(limits.total.max(1))),
            counts: Counts::default(),
        }
    }

    /// Takes a slot for `ip`, or `None` when it already holds its share.
    fn take_slot(&self, ip: IpAddr) -> Option<AddressSlot> {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = counts.entry(ip).or_insert(0);
        if *n >= self.limits.per_address {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            ip,
            counts: self.counts.clone(),
        })
    }
}

impl axum::serve::Listener for LimitedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // At the total cap, stop accepting: new connections wait in the kernel's
            // backlog until one closes.
            let Ok(permit) = self.total.clone().acquire_owned().await else {
                continue;
            };
            let (stream, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Some(slot) = self.take_slot(addr.ip()) else {
                // Over its share: closed at once, before a byte is read.
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            return (
                GuardedStream {
                    stream,
                    idle: self.limits.idle,
                    read_deadline: None,
                    _permit: permit,
                    _slot: slot,
                },
                addr,
            );
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// One client address's hold on a connection, given back when the connection closes.
struct AddressSlot {
    ip: IpAddr,
    counts: Counts,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = counts.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// A connection that fails its read (so the server closes it) when the client sends
/// nothing for [`Limits::idle`] while the server waits for bytes.
pub struct GuardedStream {
    stream: TcpStream,
    idle: Duration,
    read_deadline: Option<Pin<Box<Sleep>>>,
    _permit: OwnedSemaphorePermit,
    _slot: AddressSlot,
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.read_deadline = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let idle = this.idle;
                let deadline = this
                    .read_deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client sent nothing for too long",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Resolves when the process is asked to stop: SIGTERM (service managers, containers)
/// or SIGINT (Ctrl-C). In-flight requests then finish before the server exits.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("stopping: finishing the requests in flight");
}
