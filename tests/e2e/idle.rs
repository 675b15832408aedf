//! A connection may not hold the server without using it: one that stays silent after
//! the handshake, trickles its request head, or stops halfway through a body is closed
//! after `[limits] idle_seconds`, on the TLS port (HTTP/1.1 and HTTP/2) and on the plain
//! port alike; one that keeps using its connection keeps it. An idle HTTP/2 connection
//! is ended with a GOAWAY that names the last request taken, as a browser needs to
//! know that the request it may be sending just then was not.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::support::{Backend, Server, canary, contains, read_response};

const IDLE_SECONDS: u64 = 3;
/// Far more than the limit, so that a slow machine cannot fail the test; a server that
/// never closes still does.
const CLOSED_WITHIN: Duration = Duration::from_secs(20);

/// Reads until the server closes the connection (end of stream, or an error such as
/// a reset); how long that took, or `None` if it stayed open for [`CLOSED_WITHIN`].
async fn closed_after(stream: &mut (impl AsyncRead + Unpin)) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(CLOSED_WITHIN, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()?;
    Some(start.elapsed())
}

/// Sends a request head one header line at a time, every 500 ms (so that bytes keep
/// moving, well inside the idle limit), until the server closes the connection.
/// Returns how many lines got through, or `None` if the server never closed it.
async fn trickle_head(stream: impl AsyncRead + AsyncWrite + Send + 'static) -> Option<usize> {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let sender = tokio::spawn(async move {
        let mut line = "GET /skjema/kontakt HTTP/1.1\r\nHost: localhost\r\n".to_string();
        loop {
            if writer.write_all(line.as_bytes()).await.is_err() || writer.flush().await.is_err() {
                return;
            }
            let n = counter.fetch_add(1, Ordering::SeqCst);
            line = format!("X-Slow-{n}: a\r\n");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    let closed = closed_after(&mut reader).await;
    sender.abort();
    closed.map(|_| sent.load(Ordering::SeqCst))
}

/// One HTTP/2 frame: type, flags, stream and payload.
struct Frame {
    kind: u8,
    stream: u32,
    payload: Vec<u8>,
}

const GOAWAY: u8 = 0x7;
const HEADERS: u8 = 0x1;

async fn read_frame(stream: &mut (impl AsyncRead + Unpin)) -> Option<Frame> {
    let mut head = [0u8; 9];
    stream.read_exact(&mut head).await.ok()?;
    let length = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    let mut payload = vec![0u8; length];
    stream.read_exact(&mut payload).await.ok()?;
    let stream_id = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
    Some(Frame {
        kind: head[3],
        stream: stream_id,
        payload,
    })
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    out.extend([kind, flags]);
    out.extend(stream.to_be_bytes());
    out.extend(payload);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_http2_connection_ends_with_a_goaway_after_its_last_request() {
    let mut server = Server::prepare(Backend::Sqlite, None);
    server.set_limit("idle_seconds", IDLE_SECONDS);
    server.launch();
    let mut tls = server.tls_connect(&[b"h2"]).await;
    // The preface, empty settings, and GET /healthz on stream 1 (HPACK: :method GET and
    // :scheme https from the static table; :path and :authority as literals under the
    // table's names).
    let mut request = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    request.extend(frame(0x4, 0, 0, &[]));
    let mut block = vec![0x82, 0x87, 0x44, 8];
    block.extend(b"/healthz");
    block.extend([0x41, 9]);
    block.extend(b"localhost");
    request.extend(frame(HEADERS, 0x5, 1, &block));
    tls.write_all(&request).await.unwrap();
    tls.flush().await.unwrap();

    let started = Instant::now();
    let mut answered = false;
    let goaway = tokio::time::timeout(CLOSED_WITHIN, async {
        while let Some(frame) = read_frame(&mut tls).await {
            if frame.kind == HEADERS && frame.stream == 1 {
                answered = true;
            }
            if frame.kind == GOAWAY {
                return Some((started.elapsed(), frame.payload));
            }
        }
        None
    })
    .await
    .expect("the idle connection stays open")
    .expect("closed without a GOAWAY");
    assert!(answered, "no response to the request");
    let (after, payload) = goaway;
    assert!(
        after >= Duration::from_secs(IDLE_SECONDS) - Duration::from_millis(500),
        "GOAWAY after {after:?}"
    );
    let last_stream = u32::from_be_bytes(payload[0..4].try_into().unwrap()) & 0x7fff_ffff;
    let error = u32::from_be_bytes(payload[4..8].try_into().unwrap());
    // hyper's first GOAWAY names the highest stream id; the closing one, stream 1.
    assert!(last_stream >= 1, "{last_stream}");
    assert_eq!(error, 0, "NO_ERROR");
    assert!(
        closed_after(&mut tls).await.is_some(),
        "the connection stays open after its GOAWAY"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_that_hold_the_server_without_using_it_are_closed() {
    let mut server = Server::prepare(Backend::Sqlite, None);
    server.append_config("[redirect]\nlisten = \"127.0.0.1:0\"\nto = \"https://localhost\"\n");
    server.set_limit("idle_seconds", IDLE_SECONDS);
    server.launch();
    let limit = Duration::from_secs(IDLE_SECONDS);

    // Silent after the handshake, over HTTP/1.1 and over HTTP/2: closed, and not before
    // the limit.
    for alpn in [&b"http/1.1"[..], b"h2"] {
        let mut tls = server.tls_connect(&[alpn]).await;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(alpn));
        let after = closed_after(&mut tls).await;
        let after = after.unwrap_or_else(|| {
            panic!(
                "a silent {} connection stays open",
                String::from_utf8_lossy(alpn)
            )
        });
        assert!(
            after >= limit - Duration::from_millis(500),
            "{} closed after {after:?}",
            String::from_utf8_lossy(alpn)
        );
    }

    // A connection in use keeps going: two requests a pause apart, the pause under the
    // limit; then silence closes it.
    let mut tls = server.tls_connect(&[b"http/1.1"]).await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    for _ in 0..2 {
        tls.write_all(request).await.unwrap();
        assert_eq!(read_response(&mut tls).await, "HTTP/1.1 200 OK");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert!(
        closed_after(&mut tls).await.is_some(),
        "an idle keep-alive connection stays open"
    );

    // A request head sent a line at a time: bytes keep moving, but the head must arrive
    // whole within the limit.
    let tls = server.tls_connect(&[b"http/1.1"]).await;
    let lines = trickle_head(tls)
        .await
        .expect("a trickled head keeps the connection open");
    assert!(lines >= 4, "closed after only {lines} lines");

    // A body that stops halfway: closed, nothing stored, nothing of it logged.
    let marker = canary("IDLE");
    let body = format!(r#"{{"answers": {{"message": "Halvveis {marker}"}}}}"#);
    let mut tls = server.tls_connect(&[b"http/1.1"]).await;
    let head = format!(
        "POST /api/v1/forms/kontakt/submissions HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(&body.as_bytes()[..body.len() / 2])
        .await
        .unwrap();
    tls.flush().await.unwrap();
    assert!(
        closed_after(&mut tls).await.is_some(),
        "a stalled body keeps its connection"
    );

    // The plain port alike: silent, and trickling.
    let plain = server.plain_port();
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", plain))
        .await
        .unwrap();
    assert!(
        closed_after(&mut tcp).await.is_some(),
        "a silent plain connection stays open"
    );
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", plain))
        .await
        .unwrap();
    assert!(
        trickle_head(tcp).await.is_some(),
        "a trickled plain head keeps its connection"
    );

    // The server serves on, stored nothing, and logged none of it.
    let (_, token) = server.add_caseworker("servicetorget");
    assert!(server.listed(&token, "servicetorget").await.is_empty());
    assert!(!contains(&server.sqlite_bytes(), &marker));
    assert!(!server.log().contains(&marker));
}
