//! Plumbing shared by both fake servers: a TCP listener whose connections can be killed from a
//! handler (for dropped connections and lost responses), request counters, and startup.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::SandboxError;

/// A TCP listener whose streams carry a kill switch.
pub(crate) struct KillableListener(TcpListener);

/// A TCP stream that fails every write and read once its kill switch is set, so the server
/// closes the connection without sending a response.
pub(crate) struct KillableStream {
    inner: TcpStream,
    kill: Arc<AtomicBool>,
}

/// The kill switch of the connection a request arrived on (available as `ConnectInfo`).
#[derive(Clone, Debug)]
pub(crate) struct ConnKill(pub(crate) Arc<AtomicBool>);

impl ConnKill {
    /// Marks the connection for closing: nothing more is written to it.
    pub(crate) fn kill(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((inner, addr)) => {
                    let _ = inner.set_nodelay(true);
                    return (
                        KillableStream {
                            inner,
                            kill: Arc::new(AtomicBool::new(false)),
                        },
                        addr,
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for ConnKill {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        ConnKill(stream.io().kill.clone())
    }
}

fn killed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by fault injection",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Request counters: `"METHOD /route/{pattern}"` → status (or `dropped`/`lost`) → count.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    inner: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
}

/// A snapshot of the request counters, as served at `GET /__sandbox/stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RequestStats {
    /// Total requests counted (sandbox endpoints excluded).
    pub total: u64,
    /// Count per HTTP status (as a string) or `dropped` / `lost`.
    pub by_status: BTreeMap<String, u64>,
    /// Count per endpoint (`"POST /contacts"`) and then per status.
    pub by_endpoint: BTreeMap<String, BTreeMap<String, u64>>,
}

impl RequestStats {
    /// How many requests were answered with `status`.
    pub fn status(&self, status: u16) -> u64 {
        self.by_status
            .get(&status.to_string())
            .copied()
            .unwrap_or(0)
    }
}

impl Stats {
    pub(crate) fn record(&self, endpoint: String, outcome: String) {
        if let Ok(mut map) = self.inner.lock() {
            *map.entry(endpoint).or_default().entry(outcome).or_default() += 1;
        }
    }

    pub(crate) fn snapshot(&self) -> RequestStats {
        let by_endpoint = self.inner.lock().map(|m| m.clone()).unwrap_or_default();
        let mut by_status = BTreeMap::new();
        let mut total = 0;
        for statuses in by_endpoint.values() {
            for (status, n) in statuses {
                *by_status.entry(status.clone()).or_default() += n;
                total += n;
            }
        }
        RequestStats {
            total,
            by_status,
            by_endpoint,
        }
    }
}

/// A running server: its address and the switch that stops it (also stopped on drop).
#[derive(Debug)]
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) shutdown: Option<oneshot::Sender<()>>,
}

impl Running {
    pub(crate) fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `bind` (use port 0 for an OS-chosen port) and serves `router` in a background task.
pub(crate) async fn bind(bind: SocketAddr) -> Result<KillableListener, SandboxError> {
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| SandboxError::Bind {
            addr: bind,
            source: e,
        })?;
    Ok(KillableListener(listener))
}

/// Serves `router` on `listener` until the returned handle is stopped or dropped.
pub(crate) fn serve(listener: KillableListener, router: Router) -> Result<Running, SandboxError> {
    let addr = listener.local_addr().map_err(|e| SandboxError::Io {
        what: "reading the bound address".into(),
        source: e,
    })?;
    let (tx, rx) = oneshot::channel::<()>();
    let service = router.into_make_service_with_connect_info::<ConnKill>();
    tokio::spawn(async move {
        let result = axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "sandbox server stopped with an error");
        }
    });
    Ok(Running {
        addr,
        shutdown: Some(tx),
    })
}
