//! A receipt means the row is on disk: hundreds of concurrent submissions, SIGKILL right
//! after the last receipt, restart, and every reference handed out is there and opens.
//! And a server asked to stop (SIGTERM) lets a submission being sent finish first.
//! A copy made with `forms admin backup` while citizens send restores whole.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::support::{Backend, Postgres, Server, TempDir, canary, contains};

const SUBMISSIONS: usize = 240;
const CONCURRENCY: usize = 16;

#[tokio::test(flavor = "multi_thread")]
async fn every_receipt_survives_sigkill() {
    let mut server = Server::start_with_limit(Backend::Sqlite, 10_000);
    let client = server.client();
    let url = Arc::new(format!("{}/api/v1/forms/kontakt/submissions", server.url));
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let client = client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for i in (worker..SUBMISSIONS).step_by(CONCURRENCY) {
                let message = format!("durability message {i}");
                let response = client
                    .post(url.as_str())
                    .json(&json!({"answers": {"message": message}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                let body: serde_json::Value = response.json().await.unwrap();
                got.push((body["reference"].as_str().unwrap().to_string(), message));
            }
            got
        }));
    }
    let mut receipts = Vec::new();
    for task in tasks {
        receipts.extend(task.await.unwrap());
    }
    server.kill();
    assert_eq!(receipts.len(), SUBMISSIONS);

    server.launch();
    let (token, _) = server.add_caseworker("servicetorget");
    let inbox = TempDir::new("durability-inbox");
    let report = server.pull(&token, "servicetorget", inbox.path());
    assert!(
        report.starts_with(&format!("{SUBMISSIONS} new submission(s)")),
        "{report}"
    );
    for (reference, message) in receipts {
        let path = inbox.path().join(format!("{reference}.json"));
        let payload: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&path).unwrap_or_else(|_| panic!("{reference} lost")),
        )
        .unwrap();
        assert_eq!(payload["answers"]["message"], message.as_str());
    }
}

/// SIGTERM while a citizen's submission is half sent: the server takes no new
/// connections, finishes that request (201 with a reference), closes the database
/// cleanly (SQLite's WAL folded into the database file) and exits 0. The submission is
/// there after a restart.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_a_submission_in_progress_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut server = Server::start(Backend::Sqlite);
    let port = server.port();
    let mut tls = server.tls_connect(&[]).await;

    // The request line, the headers and half of the body.
    let marker = canary("STOP");
    let body = json!({"answers": {"message": format!("Sendt mens serveren stoppet {marker}")}})
        .to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let head = format!(
        "POST /api/v1/forms/kontakt/submissions HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(first.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.terminate();
    server.wait_for_log("no longer accepting connections", Duration::from_secs(10));
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "a new connection is refused while the server stops"
    );

    // The rest of the body: the submission is taken, and the connection then closes.
    tls.write_all(rest.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), tls.read_to_end(&mut response))
        .await
        .expect("the server closes the connection after the response");
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let json_body = &response[response.find("\r\n\r\n").unwrap() + 4..];
    let receipt: serde_json::Value = serde_json::from_str(json_body).unwrap();
    let reference = receipt["reference"].as_str().unwrap().to_string();

    let status = server.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "{status}");
    let log = server.log();
    assert!(log.contains("\"signal\":\"SIGTERM\""), "{log}");
    assert!(log.contains("\"message\":\"stopped\""), "{log}");
    assert!(!log.contains(&marker));
    let wal = format!("{}-wal", server.sqlite_path.as_ref().unwrap().display());
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "the WAL is folded into the database file on a clean stop"
    );

    server.launch();
    let (token, _) = server.add_caseworker("servicetorget");
    let inbox = TempDir::new("stop-inbox");
    server.pull(&token, "servicetorget", inbox.path());
    let payload = std::fs::read_to_string(inbox.path().join(format!("{reference}.json")))
        .unwrap_or_else(|_| panic!("{reference} lost"));
    assert!(payload.contains(&marker));
}

/// `forms admin backup` while submissions keep arriving: the copy is a private file
/// without plaintext, and a server restored from it has every submission received
/// before the copy began, each opening with the caseworker's key, and an intact audit
/// chain. On PostgreSQL the command points to pg_dump instead.
#[tokio::test(flavor = "multi_thread")]
async fn a_copy_made_while_citizens_send_restores_whole() {
    let mut server = Server::start_with_limit(Backend::Sqlite, 10_000);
    let client = server.client();
    let marker = canary("BACKUP");
    let mut before = Vec::new();
    for i in 0..20 {
        let message = format!("{marker} {i}");
        let (status, body) = server
            .submit_json(&client, "kontakt", json!({"answers": {"message": message}}))
            .await;
        assert_eq!(status, 201, "{body}");
        before.push((body["reference"].as_str().unwrap().to_string(), message));
    }

    // Citizens keep sending while the copy is made.
    let sending = {
        let client = client.clone();
        let url = format!("{}/api/v1/forms/kontakt/submissions", server.url);
        let marker = marker.clone();
        tokio::spawn(async move {
            let mut during = Vec::new();
            for i in 0..60 {
                let response = client
                    .post(&url)
                    .json(&json!({"answers": {"message": format!("{marker} during {i}")}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                let body: serde_json::Value = response.json().await.unwrap();
                during.push(body["reference"].as_str().unwrap().to_string());
            }
            during
        })
    };
    let work = TempDir::new("backup");
    let copy = work.path().join("forms-copy.db");
    let copy_arg = copy.to_str().unwrap().to_string();
    let out = tokio::task::block_in_place(|| {
        server.run_forms(&["admin", "backup", "--out", &copy_arg], None)
    });
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(printed.contains("Copied the database to"), "{printed}");
    let during = sending.await.unwrap();

    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the copy is readable by others: {mode:o}");
    assert!(
        !contains(&std::fs::read(&copy).unwrap(), &marker),
        "plaintext in the copy"
    );
    // A second copy to the same file is refused, and the first one is left as it was.
    let again = server.run_forms(&["admin", "backup", "--out", &copy_arg], None);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    // Restore: stop, put the copy in place of the database and its WAL, start.
    server.kill();
    let database = server.sqlite_path.clone().unwrap();
    std::fs::copy(&copy, &database).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
    server.launch();
    server.assert_audit_intact();
    let (token, _) = server.add_caseworker("servicetorget");
    let inbox = TempDir::new("backup-inbox");
    server.pull(&token, "servicetorget", inbox.path());
    for (reference, message) in &before {
        let path = inbox.path().join(format!("{reference}.json"));
        let payload: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&path).unwrap_or_else(|_| panic!("{reference} not in the copy")),
        )
        .unwrap();
        assert_eq!(payload["answers"]["message"], message.as_str());
    }
    // Of those sent during the copy, each is whole or absent; nothing else came back.
    let pulled = std::fs::read_dir(inbox.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    let known: Vec<&String> = before.iter().map(|(r, _)| r).chain(&during).collect();
    assert!(
        pulled >= before.len() && pulled <= known.len(),
        "{pulled} pulled"
    );
    for entry in std::fs::read_dir(inbox.path()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if let Some(reference) = name.strip_suffix(".json") {
            assert!(
                known.iter().any(|k| k.as_str() == reference),
                "{reference}?"
            );
        }
    }

    // PostgreSQL has pg_dump for this.
    let pg = Postgres::start();
    let pg_copy = work.path().join("pg-copy.db");
    let out = server.run_forms(
        &["admin", "backup", "--out", pg_copy.to_str().unwrap()],
        Some(&pg.url),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    assert!(!pg_copy.exists());
    // Neither left a temporary file behind.
    assert!(!std::fs::read_dir(work.path()).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")
    }));
}
