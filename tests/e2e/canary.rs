//! Canaries: unique strings in the message and the e-mail address must appear nowhere
//! the server writes: not in the SQLite file or its WAL, not in a PostgreSQL dump, not
//! in any log line, not in the metrics. The submission is also pulled, so reads and fetches are logged too.

use serde_json::json;

use crate::support::{Backend, Postgres, Server, TempDir, canary, contains};

async fn submit_canaries(server: &Server) -> (String, String) {
    let client = server.client();
    let message = canary("MSG");
    let email = format!("{}@example.no", canary("mail").to_lowercase());
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": message, "email": email}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // A refused one too: its text must not leak either.
    let (status, _) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": message, "email": "not-an-address"}}),
        )
        .await;
    assert_eq!(status, 422);
    let (token, _) = server.add_caseworker("servicetorget");
    let inbox = TempDir::new("canary-inbox");
    server.pull(&token, "servicetorget", inbox.path());
    (message, email)
}

fn assert_absent(what: &str, haystack: &[u8], canaries: &[&str]) {
    for canary in canaries {
        assert!(!contains(haystack, canary), "{canary} found in {what}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn canaries_stay_out_of_sqlite_and_logs() {
    let server = Server::start(Backend::Sqlite);
    let (message, email) = submit_canaries(&server).await;
    let log = server.log();
    assert!(
        log.contains("submission received"),
        "the log is being written"
    );
    assert_absent(
        "the SQLite files",
        &server.sqlite_bytes(),
        &[&message, &email],
    );
    assert_absent("the server log", log.as_bytes(), &[&message, &email]);
    let metrics = server.metrics_text().await;
    assert_absent("the metrics", metrics.as_bytes(), &[&message, &email]);
}

#[tokio::test(flavor = "multi_thread")]
async fn canaries_stay_out_of_postgres_and_logs() {
    let pg = Postgres::start();
    let server = Server::start(Backend::Postgres(pg.url.clone()));
    let (message, email) = submit_canaries(&server).await;
    let dump = pg.dump();
    assert!(dump.contains("submissions"), "the dump holds the schema");
    assert!(
        dump.contains("submission.received"),
        "the dump holds the audit log"
    );
    assert_absent("pg_dump", dump.as_bytes(), &[&message, &email]);
    assert_absent(
        "the server log",
        server.log().as_bytes(),
        &[&message, &email],
    );
    // The queues' workload is read from PostgreSQL here.
    let metrics = server.metrics().await;
    let held: f64 = ["new", "in_progress", "done"]
        .into_iter()
        .map(|status| {
            let labels = [("queue", "servicetorget"), ("status", status)];
            metrics.get("forms_queue_submissions", &labels)
        })
        .sum();
    assert_eq!(held, 1.0, "the one stored");
    assert_eq!(metrics.get("forms_database_up", &[]), 1.0);
    let metrics = server.metrics_text().await;
    assert_absent("the metrics", metrics.as_bytes(), &[&message, &email]);
}
