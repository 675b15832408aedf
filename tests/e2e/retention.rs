//! Retention: a submission is deleted, with its notes and reply address, when the
//! retention its form declares has ended; the server's housekeeping does it by itself,
//! `forms admin retention` does it at once, and each deletion is an audit entry that
//! the privacy officer's report names by reference.

use std::sync::Arc;
use std::time::{Duration, Instant};

use forms_server::clock::{Clock, ManualClock, SystemClock, Timestamp};
use serde_json::json;

use crate::support::{Backend, Postgres, Server, TempDir};

const DAY: i64 = 86_400_000;

/// A server of this test process with a clock of the test's, its housekeeping running
/// every second.
async fn server_at(backend: Backend, clock: &ManualClock) -> Server {
    let mut server = Server::prepare(backend, None);
    let mut config = std::fs::read_to_string(&server.config).unwrap();
    config.push_str("[housekeeping]\nevery_seconds = 1\n");
    std::fs::write(&server.config, config).unwrap();
    server.serve_here(Arc::new(clock.clone())).await;
    server
}

/// The ids listed in a queue, as its caseworker sees them.
async fn listed(server: &Server, token: &str, queue: &str) -> Vec<String> {
    server
        .listed(token, queue)
        .await
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until `queue` lists `count` submissions, or fails after 20 s.
async fn until_listed(server: &Server, token: &str, queue: &str, count: usize) {
    let start = Instant::now();
    while listed(server, token, queue).await.len() != count {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "queue {queue} does not come to {count} submission(s)"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A caseworker token of `queue` that outlives the years these tests pass through.
fn long_token(server: &Server, queue: &str) -> String {
    let out = server.admin(&[
        "caseworker",
        "add",
        "--queue",
        queue,
        "--name",
        "Test",
        "--valid-days",
        "1000",
    ]);
    out.trim().to_string()
}

async fn status_of(server: &Server, token: &str, method: reqwest::Method, path: &str) -> u16 {
    server
        .client()
        .request(method, format!("{}{path}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn submissions_are_deleted_when_their_retention_ends(backend: Backend) {
    let start = SystemClock.now();
    let clock = ManualClock::at(start);
    let server = server_at(backend, &clock).await;
    let client = server.client();
    // kontakt keeps 24 months, byggesak-sporsmal 12.
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "Når tømmes søpla?", "email": "svar@example.no"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let kontakt_ref = body["reference"].as_str().unwrap().to_string();
    let (status, body) = server
        .submit_json(
            &client,
            "byggesak-sporsmal",
            json!({"answers": {"message": "Trenger jeg søknad for en levegg?"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let byggesak_ref = body["reference"].as_str().unwrap().to_string();
    let (service, building) = (
        long_token(&server, "servicetorget"),
        long_token(&server, "byggesak"),
    );
    let kontakt = listed(&server, &service, "servicetorget").await;
    let byggesak = listed(&server, &building, "byggesak").await;
    assert_eq!((kontakt.len(), byggesak.len()), (1, 1));
    // The building caseworker has pulled theirs.
    let inbox = TempDir::new("retention-inbox");
    let token_file = inbox.path().join("byggesak.token");
    std::fs::write(&token_file, &building).unwrap();
    let pulled = inbox.path().join("pulled");
    server.pull(&token_file, "byggesak", &pulled);
    let copy = pulled.join(format!("{byggesak_ref}.json"));
    assert!(copy.exists());
    let note = forms_crypto::seal::seal(
        b"Ringte innbyggeren",
        &[server.queue("servicetorget").identity.recipient()],
    )
    .unwrap();
    let response = client
        .post(format!(
            "{}/api/v1/submissions/{}/notes",
            server.url, kontakt[0]
        ))
        .bearer_auth(&service)
        .header("content-type", "application/octet-stream")
        .body(note)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    // The day before the shorter retention ends, both stay (housekeeping runs every
    // second; three runs see nothing to delete).
    clock.set(Timestamp(start.plus_months(12).millis() - DAY));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(listed(&server, &building, "byggesak").await, byggesak);

    // Just after it ends, the building question goes by itself; the enquiry stays.
    // (The metrics' registry is this test process's, which other servers share, so
    // they count at least this one.)
    let deleted = "forms_retention_deleted_total";
    let before = server.metrics().await.get(deleted, &[]);
    clock.set(Timestamp(start.plus_months(12).millis() + 60_000));
    until_listed(&server, &building, "byggesak", 0).await;
    server.metrics_when(deleted, &[], |n| n > before).await;
    let gone = format!("/api/v1/submissions/{}/sealed", byggesak[0]);
    assert_eq!(
        status_of(&server, &building, reqwest::Method::GET, &gone).await,
        404
    );
    assert_eq!(listed(&server, &service, "servicetorget").await, kontakt);
    // Their next pull deletes their copy.
    let said = server.pull(&token_file, "byggesak", &pulled);
    assert!(said.contains(&byggesak_ref) && !copy.exists(), "{said}");

    // Two years on, the enquiry goes too, with its note.
    clock.set(Timestamp(start.plus_months(24).millis() + 60_000));
    until_listed(&server, &service, "servicetorget", 0).await;
    let notes = format!("/api/v1/submissions/{}/notes", kontakt[0]);
    assert_eq!(
        status_of(&server, &service, reqwest::Method::GET, &notes).await,
        404
    );

    // The chain holds, and the report names both deletions by reference.
    server.assert_audit_intact();
    let to = Timestamp(clock.now().millis() + DAY)
        .norwegian_day()
        .to_string();
    let from = start.norwegian_day().to_string();
    let out = server.run_forms(&["audit", "export", "--from", &from, "--to", &to], None);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    for reference in [&kontakt_ref, &byggesak_ref] {
        let line = report
            .lines()
            .find(|l| l.contains(reference.as_str()) && l.contains("slettet"))
            .unwrap_or_else(|| panic!("no deletion of {reference} in:\n{report}"));
        assert!(line.contains("oppbevaringsregelen"), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn submissions_are_deleted_when_their_retention_ends_on_sqlite() {
    submissions_are_deleted_when_their_retention_ends(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn submissions_are_deleted_when_their_retention_ends_on_postgres() {
    let pg = Postgres::start();
    submissions_are_deleted_when_their_retention_ends(Backend::Postgres(pg.url.clone())).await;
}

/// A pull asks only for what has left the queue since the last one, so that years of
/// deletions are not fetched again each time; a folder restored from a backup brings
/// its own state back, and its next pull finds what was deleted since the backup.
#[tokio::test(flavor = "multi_thread")]
async fn a_pull_asks_only_for_what_left_the_queue_since_the_last_one() {
    let start = SystemClock.now();
    let clock = ManualClock::at(start);
    let server = server_at(Backend::Sqlite, &clock).await;
    let client = server.client();
    let mut references = Vec::new();
    for (day, message) in [
        (0, "Trenger jeg søknad for en levegg?"),
        (30, "Og for en carport?"),
    ] {
        clock.set(start.plus_days(day));
        let (status, body) = server
            .submit_json(
                &client,
                "byggesak-sporsmal",
                json!({"answers": {"message": message}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        references.push(body["reference"].as_str().unwrap().to_string());
    }
    let (first, second) = (&references[0], &references[1]);
    let token = long_token(&server, "byggesak");
    let inbox = TempDir::new("pull-since");
    let token_file = inbox.path().join("byggesak.token");
    std::fs::write(&token_file, &token).unwrap();
    let pulled = inbox.path().join("pulled");
    let backup = inbox.path().join("backup");
    server.pull(&token_file, "byggesak", &pulled);
    copy_files(&pulled, &backup);
    let copy = |reference: &str| pulled.join(format!("{reference}.json"));
    assert!(copy(first).exists() && copy(second).exists());

    // The first question's retention ends; the pull deletes its copy and notes how far
    // it has read: an hour before that deletion.
    clock.set(start.plus_months(12).plus_days(1));
    until_listed(&server, &token, "byggesak", 1).await;
    let said = server.pull(&token_file, "byggesak", &pulled);
    assert!(
        said.contains(first.as_str()) && !copy(first).exists(),
        "{said}"
    );
    assert!(copy(second).exists());
    let departures = |since: Option<String>| {
        let mut url = format!("{}/api/v1/queues/byggesak/deleted", server.url);
        if let Some(since) = since {
            url = format!("{url}?since={since}");
        }
        let request = client.get(url).bearer_auth(&token);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (_, all) = departures(None).await;
    let deleted_at = all[0]["deleted"].as_str().unwrap().to_string();
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pulled.join(".pull-state.json")).unwrap()).unwrap();
    let since = state["deletions_since"]["byggesak"].as_str().unwrap();
    let hour_before = Timestamp::parse_rfc3339(&deleted_at).unwrap().millis() - 3_600_000;
    assert_eq!(
        Timestamp::parse_rfc3339(since).unwrap().millis(),
        hour_before
    );
    // The server answers `since` with what left then or later, and refuses a bad time.
    assert_eq!(
        departures(Some(since.to_string())).await,
        (200, all.clone())
    );
    let after = Timestamp(Timestamp::parse_rfc3339(&deleted_at).unwrap().millis() + 1_000);
    assert_eq!(departures(Some(after.rfc3339())).await, (200, json!([])));
    let (status, problem) = departures(Some("i går".into())).await;
    assert_eq!(status, 400, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("RFC 3339"),
        "{problem}"
    );

    // A month on, the second question's retention ends; the next pull finds it.
    clock.set(start.plus_days(30).plus_months(12).plus_days(1));
    until_listed(&server, &token, "byggesak", 0).await;
    let said = server.pull(&token_file, "byggesak", &pulled);
    assert!(
        said.contains(second.as_str()) && !copy(second).exists(),
        "{said}"
    );
    // A copy of the first put back by hand now is not looked for again: a pull asks
    // only for what left from an hour before the second.
    std::fs::copy(backup.join(format!("{first}.json")), copy(first)).unwrap();
    let said = server.pull(&token_file, "byggesak", &pulled);
    assert!(copy(first).exists(), "{said}");

    // The whole folder restored from the backup, made before either deletion: its next
    // pull deletes both copies.
    std::fs::remove_dir_all(&pulled).unwrap();
    copy_files(&backup, &pulled);
    let said = server.pull(&token_file, "byggesak", &pulled);
    assert!(!copy(first).exists() && !copy(second).exists(), "{said}");
    assert!(
        said.contains("2 submission(s) deleted on the server"),
        "{said}"
    );
}

/// Copies the files (not folders) of `from` into a new folder `to`.
fn copy_files(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// `forms admin retention` deletes at once what has expired by the real clock: here,
/// submissions a server received (by its clock) three years ago.
#[tokio::test(flavor = "multi_thread")]
async fn the_admin_command_deletes_what_has_expired() {
    let clock = ManualClock::at(Timestamp(SystemClock.now().millis() - 3 * 366 * DAY));
    let server = server_at(Backend::Sqlite, &clock).await;
    let client = server.client();
    for n in 0..3 {
        let (status, body) = server
            .submit_json(
                &client,
                "kontakt",
                json!({"answers": {"message": format!("Gammel henvendelse {n}")}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let out = server.admin(&["retention"]);
    assert!(out.contains("3 submission(s) deleted"), "{out}");
    let out = server.admin(&["retention"]);
    assert!(out.contains("0 submission(s) deleted"), "{out}");
    let (_, token) = server.add_caseworker("servicetorget");
    assert!(listed(&server, &token, "servicetorget").await.is_empty());
}
