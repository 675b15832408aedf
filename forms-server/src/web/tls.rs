//! TLS: the only way in.
//!
//! rustls with the ring provider, TLS 1.3 and 1.2 with rustls's default (modern, AEAD
//! only) cipher suites, ALPN for HTTP/2 and HTTP/1.1. The accept loop peeks at the first
//! byte of each connection: a TLS handshake starts with 0x16, and anything else (such
//! as a plaintext HTTP request sent to this port) gets a short refusal in plain text and
//! is closed. No form page, no redirect, nothing read past that first line.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// Time a client has to open a connection and finish the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time the requests in progress get to finish once the server is asked to stop; well
/// inside the 30 s or more that service managers wait before they kill.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

const PLAINTEXT_REFUSAL: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Connection: close\r\n\
Content-Length: 52\r\n\
\r\n\
This server speaks HTTPS only. Use https:// instead.";

/// Loads a certificate chain and private key (PEM) into a server configuration.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
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
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate and key do not fit together: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts connections until `stop` resolves, each served on its own task; then
/// accepts no more, lets the requests in progress finish (connections close after their
/// current response) and returns when all are closed, or after [`DRAIN_TIMEOUT`].
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    router: Router,
    stop: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(tls);
    let connections = GracefulShutdown::new();
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
        let watcher = connections.watcher();
        tokio::spawn(async move {
            serve_connection(stream, peer, acceptor, router, watcher).await;
        });
    }
    drop(listener);
    tracing::info!(
        connections = connections.count(),
        "no longer accepting connections; finishing requests in progress"
    );
    if tokio::time::timeout(DRAIN_TIMEOUT, connections.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = DRAIN_TIMEOUT.as_secs(),
            "connections still open after the drain time are cut off"
        );
    }
}

/// The address a request came from, as a request extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub std::net::IpAddr);

async fn serve_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    router: Router,
    watcher: Watcher,
) {
    let _ = stream.set_nodelay(true);
    let mut first = [0u8; 1];
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == TLS_HANDSHAKE_RECORD => {}
        Ok(Ok(1)) => {
            tracing::info!(peer = %peer.ip(), "refused a plaintext connection to the TLS port");
            let _ = stream.write_all(PLAINTEXT_REFUSAL).await;
            let _ = stream.shutdown().await;
            return;
        }
        _ => return,
    }
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(err)) => {
            tracing::debug!(peer = %peer.ip(), error = %err, "TLS handshake failed");
            return;
        }
        Err(_) => return,
    };
    // Every request knows the address it came from (for the limit on submissions).
    let service = TowerToHyperService::new(tower::ServiceExt::map_request(
        router,
        move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(Peer(peer.ip()));
            request
        },
    ));
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(tls), service);
    if let Err(err) = watcher.watch(connection).await {
        tracing::debug!(error = %err, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_refusal_states_its_length_truthfully() {
        let text = std::str::from_utf8(super::PLAINTEXT_REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
    }
}
