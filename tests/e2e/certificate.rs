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

/// A certificate near its end is logged as a warning at start, so that a renewal that
/// failed is noticed in time; one that has ended, as an error; a renewed one is logged
/// with its new end.
#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_near_its_end_is_warned_about() {
    let mut server = Server::prepare(Backend::Sqlite, None);
    let in_days = |days: i64| {
        let date = (chrono::Utc::now() + chrono::Duration::days(days)).date_naive();
        use chrono::Datelike;
        rcgen::date_time_ymd(date.year(), date.month() as u8, date.day() as u8)
    };
    let self_signed = |days: i64| {
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .unwrap();
        params.not_after = in_days(days);
        let key = rcgen::KeyPair::generate().unwrap();
        (params.self_signed(&key).unwrap(), key)
    };
    let (cert, key) = self_signed(5);
    std::fs::write(server.dir.path().join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(server.dir.path().join("key.pem"), key.serialize_pem()).unwrap();
    server.cert_pem = cert.pem().into_bytes();
    server.launch();

    let warning = server
        .log()
        .lines()
        .find(|l| l.contains("the TLS certificate ends soon"))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .expect("a warning at start");
    assert_eq!(warning["level"], "WARN");
    let days_left = warning["days_left"].as_i64().unwrap();
    assert!((4..=5).contains(&days_left), "{warning}");

    // One that has ended is an error: browsers refuse the site.
    let (cert, key) = self_signed(-1);
    std::fs::write(server.dir.path().join("key.pem"), key.serialize_pem()).unwrap();
    std::fs::write(server.dir.path().join("cert.pem"), cert.pem()).unwrap();
    server.signal("HUP");
    server.wait_for_log("the TLS certificate has expired", Duration::from_secs(20));
    let log = server.log();
    let expired = log.lines().rfind(|l| l.contains("has expired")).unwrap();
    assert!(expired.contains("\"level\":\"ERROR\""), "{expired}");

    let (cert, key) = self_signed(90);
    std::fs::write(server.dir.path().join("key.pem"), key.serialize_pem()).unwrap();
    std::fs::write(server.dir.path().join("cert.pem"), cert.pem()).unwrap();
    server.signal("HUP");
    server.wait_for_log("TLS certificate reloaded", Duration::from_secs(20));
    server.wait_for_log("\"days_left\":89", Duration::from_secs(5));
    let log = server.log();
    let last = log.lines().rfind(|l| l.contains("days_left")).unwrap();
    assert!(last.contains("\"level\":\"INFO\""), "{last}");
}
