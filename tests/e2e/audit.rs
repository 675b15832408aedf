//! The audit log's hash chain: `forms audit verify` passes on an untouched log, and an
//! edited, removed, moved or cut-off entry makes it fail naming the first bad entry.
//! `forms audit export` gives the privacy officer a readable report of a period.

use serde_json::json;
use sqlx::Connection;

use crate::support::{Backend, Server, TempDir};

/// Applies `sql` to a fresh copy of the stopped server's SQLite database; returns what
/// `forms audit verify` says of the copy, and its exit code.
async fn verify_tampered(server: &Server, work: &TempDir, case: &str, sql: &str) -> (i32, String) {
    let source = server.sqlite_path.as_ref().unwrap();
    let copy = work.path().join(format!("{case}.db"));
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", source.display()))
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "VACUUM INTO '{}'",
        copy.display()
    )))
    .execute(&mut db)
    .await
    .unwrap();
    db.close().await.unwrap();
    let url = format!("sqlite://{}", copy.display());
    if !sql.is_empty() {
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut db)
            .await
            .unwrap();
        db.close().await.unwrap();
    }
    let out = server.run_forms(&["audit", "verify"], Some(&url));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_audit_log_fails_verification_at_the_first_bad_entry() {
    let mut server = Server::start(Backend::Sqlite);
    let client = server.client();
    let mut references = Vec::new();
    for n in 0..3 {
        let (status, body) = server
            .submit_json(
                &client,
                "kontakt",
                json!({"answers": {"message": format!("Spørsmål nummer {n} om brøyting")}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        references.push(body["reference"].as_str().unwrap().to_string());
    }
    let (token, _) = server.add_caseworker("servicetorget");
    let inbox = TempDir::new("audit-inbox");
    server.pull(&token, "servicetorget", inbox.path());

    let out = server.run_forms(&["audit", "verify"], None);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("audit log intact"), "{text}");
    let entries: usize = text
        .split("intact: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        entries >= 6,
        "3 receipts, a listing and 3 fetches at least: {text}"
    );
    server.kill();

    let work = TempDir::new("audit-tamper");
    let last = entries;
    let cases = [
        ("untouched", String::new(), None),
        (
            "edited",
            "UPDATE audit_log SET actor = 'someone else' WHERE seq = 3".to_string(),
            Some(3),
        ),
        (
            "removed",
            "DELETE FROM audit_log WHERE seq = 2".to_string(),
            Some(3),
        ),
        (
            "swapped",
            "UPDATE audit_log SET seq = -1 WHERE seq = 2; \
             UPDATE audit_log SET seq = 2 WHERE seq = 3; \
             UPDATE audit_log SET seq = 3 WHERE seq = -1;"
                .to_string(),
            Some(2),
        ),
        (
            "cut off",
            format!("DELETE FROM audit_log WHERE seq = {last}"),
            Some(last),
        ),
        (
            "head removed",
            "DELETE FROM audit_head".to_string(),
            Some(last),
        ),
    ];
    for (case, sql, bad) in cases {
        let (code, text) = verify_tampered(&server, &work, &case.replace(' ', "-"), &sql).await;
        match bad {
            None => assert_eq!(code, 0, "{case}: {text}"),
            Some(seq) => {
                assert_eq!(code, 1, "{case}: {text}");
                assert!(
                    text.contains(&format!("BROKEN: entry {seq} ")),
                    "{case}: expected entry {seq}: {text}"
                );
            }
        }
    }
}

/// An operation (method, URL, content type and body) and the action and queue of the
/// entry it must leave.
type Step<'a> = (
    &'a str,
    String,
    Option<(&'a str, Vec<u8>)>,
    &'a str,
    &'a str,
);

/// Checks that the audit log has one entry more than `seen`, with this actor, action,
/// submission and queue (none if empty).
async fn expect_next(
    store: &forms_server::store::Store,
    seen: &mut usize,
    actor: &str,
    action: &str,
    id: Option<&str>,
    queue: &str,
) {
    let log = store.audit_log().await.unwrap();
    assert_eq!(log.len(), *seen + 1, "one entry for {action}: {log:?}");
    *seen = log.len();
    let entry = log.last().unwrap();
    assert_eq!(
        (
            entry.actor.as_str(),
            entry.action,
            entry.submission_id.as_deref(),
            entry.queue.as_deref()
        ),
        (actor, action, id, Some(queue).filter(|q| !q.is_empty())),
    );
}

/// Each caseworker operation, each admin step and each receipt adds one entry naming
/// who did what to which submission (retention's deletions and citizens' logins are
/// checked in their own tests).
#[tokio::test(flavor = "multi_thread")]
async fn every_operation_leaves_its_own_audit_entry() {
    use forms_server::store::actions::*;

    let work = TempDir::new("audit-operations");
    let (server, _smtp, received) = crate::reply::server_and_smtp(&work);
    let url = format!(
        "sqlite://{}",
        server.sqlite_path.as_ref().unwrap().display()
    );
    let store = forms_server::store::Store::open(&url).await.unwrap();
    let mut seen = store.audit_log().await.unwrap().len();
    let client = server.client();
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "Når åpner bassenget?", "email": "svar@example.no"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, token) = server.add_caseworker("servicetorget");
    let log = store.audit_log().await.unwrap();
    assert_eq!(log.len(), seen + 2);
    let id = log[seen].submission_id.clone().unwrap();
    assert_eq!(
        (log[seen].actor.as_str(), log[seen].action),
        ("citizen", SUBMISSION_RECEIVED)
    );
    assert_eq!(
        (log[seen + 1].actor.as_str(), log[seen + 1].action),
        ("admin", CASEWORKER_ADDED)
    );
    seen += 2;
    let me: serde_json::Value = client
        .get(format!("{}/api/v1/caseworker/me", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let caseworker_id = me["id"].as_str().unwrap().to_string();
    let actor = format!("caseworker:{caseworker_id}");
    let age = forms_crypto::seal::seal(
        b"sealed on the caseworker's machine",
        &[server.queue("servicetorget").identity.recipient()],
    )
    .unwrap();

    let base = server.url.clone();
    let steps: Vec<Step> = vec![
        (
            "GET",
            format!("{base}/api/v1/queues/servicetorget/submissions"),
            None,
            QUEUE_LISTED,
            "servicetorget",
        ),
        (
            "GET",
            format!("{base}/api/v1/queues/servicetorget/deleted"),
            None,
            DELETIONS_LISTED,
            "servicetorget",
        ),
        (
            "GET",
            format!("{base}/api/v1/submissions/{id}/sealed"),
            None,
            SUBMISSION_FETCHED,
            "servicetorget",
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{id}/take"),
            None,
            SUBMISSION_TAKEN,
            "servicetorget",
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{id}/notes"),
            Some(("application/octet-stream", age.clone())),
            NOTE_ADDED,
            "servicetorget",
        ),
        (
            "GET",
            format!("{base}/api/v1/submissions/{id}/notes"),
            None,
            NOTES_FETCHED,
            "servicetorget",
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{id}/consent"),
            None,
            CONSENT_RECORDED,
            "servicetorget",
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{id}/handover"),
            None,
            SUBMISSION_HANDED_OVER,
            "servicetorget",
        ),
        (
            "PUT",
            format!("{base}/api/v1/submissions/{id}/sealed"),
            Some(("application/octet-stream", age.clone())),
            SUBMISSION_RESEALED,
            "servicetorget",
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{id}/reply"),
            Some((
                "text/plain; charset=utf-8",
                "Bassenget åpner 1. mai.".as_bytes().to_vec(),
            )),
            SUBMISSION_REPLIED,
            "servicetorget",
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{id}/done"),
            None,
            SUBMISSION_DONE,
            "servicetorget",
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{id}/forward?to=byggesak"),
            Some(("application/octet-stream", age)),
            SUBMISSION_FORWARDED,
            "byggesak",
        ),
    ];
    for (method, url, body, action, queue) in steps {
        let mut request = match method {
            "GET" => client.get(&url),
            "PUT" => client.put(&url),
            _ => client.post(&url),
        };
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.bearer_auth(&token).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{method} {url}: {}",
            response.status()
        );
        let of_queue = [QUEUE_LISTED, DELETIONS_LISTED].contains(&action);
        let about = (!of_queue).then_some(id.as_str());
        expect_next(&store, &mut seen, &actor, action, about, queue).await;
    }
    crate::reply::wait_for_mail(&received, "Bassenget");

    server.admin(&["caseworker", "revoke", &caseworker_id]);
    expect_next(&store, &mut seen, "admin", CASEWORKER_REVOKED, None, "").await;
    store.close().await;
    server.assert_audit_intact();
}
