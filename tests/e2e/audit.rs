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
