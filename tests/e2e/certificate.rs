//! A renewed TLS certificate is taken in while the server runs (SIGHUP, or a change of
//! its files): new connections get it, open ones go on, and a pair that does not fit
//! leaves the last good one serving.

use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::io::AsyncWriteExt;

use crate::support::{Backend, Server, read_response};

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// The certificate a new connection is shown, trusting `server.cert_pem` only.
async fn presented(server: &Server) -> Vec<u8> {
    let tls = server.tls_connect(&[b"http/1.1"]).await;
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

fn der(pem: &[u8]) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem).unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renewed_certificate_is_served_without_a_restart() {
    let mut server = Server::start(Backend::Sqlite);
    let first = der(&server.cert_pem);
    assert_eq!(presented(&server).await, first);
    let mut open = server.tls_connect(&[b"http/1.1"]).await;
    open.write_all(HEALTH).await.unwrap();
    assert_eq!(read_response(&mut open).await, "HTTP/1.1 200 OK");

    let renewed =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert_file = server.dir.path().join("cert.pem");
    let key_file = server.dir.path().join("key.pem");

    // The new certificate before its key: they do not fit, and the first one serves on.
    std::fs::write(&cert_file, renewed.cert.pem()).unwrap();
    server.signal("HUP");
    server.wait_for_log("TLS certificate not reloaded", Duration::from_secs(20));
    assert!(
        server.log().contains("do not fit together"),
        "{}",
        server.log()
    );
    assert_eq!(presented(&server).await, first);

    // Its key too: from now on new connections get the renewed one.
    std::fs::write(&key_file, renewed.signing_key.serialize_pem()).unwrap();
    server.signal("HUP");
    server.wait_for_log("TLS certificate reloaded", Duration::from_secs(20));
    server.cert_pem = renewed.cert.pem().into_bytes();
    assert_eq!(presented(&server).await, renewed.cert.der().to_vec());
    let mut fresh = server.tls_connect(&[b"http/1.1"]).await;
    fresh.write_all(HEALTH).await.unwrap();
    assert_eq!(read_response(&mut fresh).await, "HTTP/1.1 200 OK");

    // The connection opened before the renewal goes on.
    open.write_all(HEALTH).await.unwrap();
    assert_eq!(read_response(&mut open).await, "HTTP/1.1 200 OK");
    assert!(!server.log().contains("PRIVATE KEY"));
}
