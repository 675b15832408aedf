//! The ports: TLS, the only way in, and the optional plain port that only redirects.
//!
//! rustls with the ring provider, TLS 1.3 and 1.2 with rustls's default (modern, AEAD
//! only) cipher suites, ALPN for HTTP/2 and HTTP/1.1. The accept loop peeks at the first
//! byte of each connection: a TLS handshake starts with 0x16, and anything else (such
//! as a plaintext HTTP request sent to this port) gets a short refusal in plain text and
//! is closed. No form page, no redirect, nothing read past that first line.
//!
//! A connection may not hold the server without using it. The handshake has
//! [`HANDSHAKE_TIMEOUT`]; after it, a connection on which nothing has moved either way
//! for the configured idle time is asked to end gracefully: over HTTP/2 a GOAWAY names
//! the last request the server took, so that a browser sends its next one on a new
//! connection instead of losing it on one being closed, and over HTTP/1 the connection
//! closes after any response in progress. One that still holds on that long again, up
//! to [`GRACE_LIMIT`], is cut off ([`Idle`]), and so is an HTTP/1 connection whose next
//! request head has not arrived in full within the idle time (hyper's header timeout,
//! against a client that trickles its headers). The protocol is the one ALPN agreed,
//! so no read waits for the client to show its version first.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;

use crate::clock::Timestamp;

/// Time a client has to open a connection and finish the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time the requests in progress get to finish once the server is asked to stop; well
/// inside the 30 s or more that service managers wait before they kill.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);
/// The longest a connection asked to end for being idle may take to let go.
const GRACE_LIMIT: Duration = Duration::from_secs(10);
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

const PLAINTEXT_REFUSAL: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Connection: close\r\n\
Content-Length: 52\r\n\
\r\n\
This server speaks HTTPS only. Use https:// instead.";

/// Loads a certificate chain and private key (PEM) into a server configuration.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    Certificate::load(cert, key)?.server_config()
}

/// The server's certificate chain and private key, read from their PEM files, and read
/// again by [`Certificate::reload`]: a renewed certificate reaches new connections
/// without a restart, and a pair that does not load leaves the last good one serving.
#[derive(Debug)]
pub struct Certificate {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificate {
    pub fn load(cert: &Path, key: &Path) -> Result<Arc<Certificate>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let current = read_pair(cert, key, &provider)?;
        Ok(Arc::new(Certificate {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            provider,
            current: RwLock::new(Arc::new(current)),
        }))
    }

    /// A server configuration that presents this certificate, as it is at each
    /// handshake.
    pub fn server_config(self: &Arc<Self>) -> Result<Arc<ServerConfig>, String> {
        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| format!("TLS: {e}"))?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// Reads both files again and, if they load and fit together, serves them from the
    /// next handshake on.
    pub fn reload(&self) -> Result<(), String> {
        let pair = Arc::new(read_pair(&self.cert, &self.key, &self.provider)?);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = pair;
        Ok(())
    }

    /// The pair being served.
    fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// When the certificate being served ends (its `notAfter`); `None` if that cannot
    /// be read from it.
    pub fn valid_until(&self) -> Option<Timestamp> {
        let current = self.current();
        let der = current.end_entity_cert().ok()?;
        let (_, parsed) = x509_parser::parse_x509_certificate(der).ok()?;
        let seconds = parsed.validity().not_after.timestamp();
        Some(Timestamp(seconds.checked_mul(1000)?))
    }

    /// What changes when either file is written.
    pub fn fingerprint(&self) -> [crate::files::Stamp; 2] {
        [&self.cert, &self.key].map(|path| crate::files::stamp(path))
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn read_pair(cert: &Path, key: &Path, provider: &CryptoProvider) -> Result<CertifiedKey, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("TLS certificate {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("TLS certificate {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "TLS certificate {}: no CERTIFICATE block found",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("TLS private key {}: {e}", key.display()))?;
    CertifiedKey::from_der(certs, key, provider)
        .map_err(|e| format!("TLS certificate and key do not fit together: {e}"))
}

/// How a port takes its connections.
#[derive(Clone)]
pub enum Port {
    /// TLS, HTTP/2 or HTTP/1.1 as ALPN agreed.
    Tls(Arc<ServerConfig>),
    /// Plain HTTP/1.1, for the port that only redirects.
    Plain,
}

/// Accepts connections until `stop` resolves, each served on its own task and closed
/// once idle for `idle`; then accepts no more, lets the requests in progress finish
/// (connections close after their current response) and returns when all are closed,
/// or after [`DRAIN_TIMEOUT`].
pub async fn serve(
    listener: TcpListener,
    port: Port,
    router: Router,
    idle: Duration,
    stop: impl Future<Output = ()>,
) {
    let (acceptor, name) = match port {
        Port::Tls(config) => (Some(TlsAcceptor::from(config)), "https"),
        Port::Plain => (None, "http"),
    };
    // Each connection holds a receiver: a change asks it to end, and the sender sees
    // when the last one has gone.
    let (connections, _) = tokio::sync::watch::channel(());
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(err) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let acceptor = acceptor.clone();
        let router = router.clone();
        let watcher = connections.subscribe();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            match acceptor {
                Some(acceptor) => {
                    if let Some((tls, version)) = handshake(stream, peer, acceptor).await {
                        serve_http(tls, version, peer, router, idle, watcher).await;
                    }
                }
                None => serve_http(stream, Version::Http1, peer, router, idle, watcher).await,
            }
        });
    }
    drop(listener);
    tracing::info!(
        port = name,
        connections = connections.receiver_count(),
        "no longer accepting connections; finishing requests in progress"
    );
    connections.send_replace(());
    if tokio::time::timeout(DRAIN_TIMEOUT, connections.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            port = name,
            seconds = DRAIN_TIMEOUT.as_secs(),
            "connections still open after the drain time are cut off"
        );
    }
}

/// The address a request came from, as a request extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub std::net::IpAddr);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    Http1,
    Http2,
}

/// Refuses plaintext, then completes the TLS handshake; `None` if the connection is
/// closed, refused or too slow.
async fn handshake(
    mut stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
) -> Option<(tokio_rustls::server::TlsStream<TcpStream>, Version)> {
    let mut first = [0u8; 1];
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == TLS_HANDSHAKE_RECORD => {}
        Ok(Ok(1)) => {
            tracing::info!(peer = %peer.ip(), "refused a plaintext connection to the TLS port");
            let _ = stream.write_all(PLAINTEXT_REFUSAL).await;
            let _ = stream.shutdown().await;
            return None;
        }
        _ => return None,
    }
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(err)) => {
            tracing::debug!(peer = %peer.ip(), error = %err, "TLS handshake failed");
            return None;
        }
        Err(_) => return None,
    };
    // HTTP/2 over TLS is agreed through ALPN (RFC 9113, section 3.2); without it, 1.1.
    let version = match tls.get_ref().1.alpn_protocol() {
        Some(b"h2") => Version::Http2,
        _ => Version::Http1,
    };
    Some((tls, version))
}

/// Serves HTTP on one connection until it closes, or ends it gracefully once it has
/// been idle for `idle` or the server stops (`stop` changes).
async fn serve_http<S>(
    stream: S,
    version: Version,
    peer: SocketAddr,
    router: Router,
    idle: Duration,
    mut stop: tokio::sync::watch::Receiver<()>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Every request knows the address it came from (for the limit on submissions).
    let service = TowerToHyperService::new(tower::ServiceExt::map_request(
        router,
        move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(Peer(peer.ip()));
            request
        },
    ));
    let builder = auto::Builder::new(TokioExecutor::new());
    let mut builder = match version {
        Version::Http1 => builder.http1_only(),
        Version::Http2 => builder.http2_only(),
    };
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(idle);
    let stream = Idle::new(stream, idle + idle.min(GRACE_LIMIT));
    let moved = stream.moved.clone();
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut ending = false;
    loop {
        let quiet_until = moved.last() + idle;
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(error = %err, "connection ended with an error");
                }
                return;
            }
            _ = stop.changed(), if !ending => {
                connection.as_mut().graceful_shutdown();
                ending = true;
            }
            () = tokio::time::sleep_until(quiet_until), if !ending => {
                if moved.last() + idle <= Instant::now() {
                    connection.as_mut().graceful_shutdown();
                    ending = true;
                }
            }
        }
    }
}

/// When a byte last moved on a connection, for the task that serves it.
#[derive(Clone)]
struct Moved {
    origin: Instant,
    /// Nanoseconds after `origin`.
    last: Arc<std::sync::atomic::AtomicU64>,
}

impl Moved {
    fn new() -> Moved {
        Moved {
            origin: Instant::now(),
            last: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        }
    }

    fn now(&self) {
        let nanos = self.origin.elapsed().as_nanos() as u64;
        self.last.store(nanos, std::sync::atomic::Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        let nanos = self.last.load(std::sync::atomic::Ordering::Relaxed);
        self.origin + Duration::from_nanos(nanos)
    }
}

/// A connection's stream that fails once nothing has moved on it, either way, for its
/// limit: a client that stays silent, stops sending in the middle of a request, or
/// stops reading its answer gives the connection back. So no request may go that long
/// without a byte moving either; every wait a handler has (the database, ID-porten,
/// KRR) is bounded at 20 s or less, well inside the default limit of 60 s.
struct Idle<S> {
    inner: S,
    limit: Duration,
    /// When a byte last moved.
    last: Instant,
    /// The same, for the task that serves the connection.
    moved: Moved,
    /// Wakes the connection's task at `last + limit` at the latest; moved on lazily,
    /// only when it fires, so that moving bytes costs a clock read and no timer work.
    timer: Pin<Box<Sleep>>,
}

impl<S> Idle<S> {
    fn new(inner: S, limit: Duration) -> Self {
        let last = Instant::now();
        Idle {
            inner,
            limit,
            last,
            moved: Moved::new(),
            timer: Box::pin(tokio::time::sleep_until(last + limit)),
        }
    }

    /// Notes how an operation went: one that `moved` bytes moves the deadline, and one
    /// that has to wait fails once the deadline has passed.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
        moved: bool,
    ) -> Poll<io::Result<T>> {
        if moved {
            self.last = Instant::now();
            self.moved.now();
        }
        if polled.is_ready() {
            return polled;
        }
        while self.timer.as_mut().poll(cx).is_ready() {
            let deadline = self.last + self.limit;
            if deadline <= Instant::now() {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the connection was idle too long",
                )));
            }
            self.timer.as_mut().reset(deadline);
        }
        Poll::Pending
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Idle<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        let read = buf.filled().len() > before;
        this.watch(cx, polled, read)
    }
}

/// Whether a write took any bytes.
fn wrote(polled: &Poll<io::Result<usize>>) -> bool {
    matches!(polled, Poll::Ready(Ok(n)) if *n > 0)
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Idle<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        let moved = wrote(&polled);
        this.watch(cx, polled, moved)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        let moved = wrote(&polled);
        this.watch(cx, polled, moved)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, polled, false)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, polled, false)
    }
}

#[cfg(test)]
mod tests {
    use super::Idle;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn an_idle_stream_fails_a_limit_after_its_last_byte_and_not_before() {
        let limit = Duration::from_secs(10);
        let (mut client, server) = tokio::io::duplex(64);
        let start = Instant::now();
        let mut idle = Idle::new(server, limit);
        let mut buf = [0u8; 8];

        tokio::time::sleep(Duration::from_secs(8)).await;
        client.write_all(b"x").await.unwrap();
        assert_eq!(idle.read(&mut buf).await.unwrap(), 1);
        // The byte at 8 s moved the deadline to 18 s.
        let waited = tokio::time::timeout(Duration::from_secs(9), idle.read(&mut buf)).await;
        assert!(waited.is_err(), "failed before the limit");
        let err = idle.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(start.elapsed(), Duration::from_secs(18));
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_stops_reading_fails_the_write_after_the_limit() {
        let limit = Duration::from_secs(10);
        let (_client, server) = tokio::io::duplex(64);
        let start = Instant::now();
        let mut idle = Idle::new(server, limit);
        let err = idle.write_all(&[0u8; 1024]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(start.elapsed(), limit);
    }

    #[test]
    fn the_refusal_states_its_length_truthfully() {
        let text = std::str::from_utf8(super::PLAINTEXT_REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
    }
}
