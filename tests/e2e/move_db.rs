//! Moving from one machine to many: a SQLite server's database moved into a new
//! PostgreSQL database with `forms admin move-to-postgres`, and a server on PostgreSQL
//! that carries on with it: the caseworker's token works, the sealed submissions pull and
//! decrypt, a deletion is still known, the guard's counts are there, and the audit chain
//! verifies, with the move as its last entry. A second move into the same database is
//! refused and changes nothing.

use serde_json::json;

use crate::support::{Backend, Postgres, Server, TempDir, canary};

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_database_moves_to_postgres_and_a_server_carries_on_there() {
    let mut server = Server::start(Backend::Sqlite);
    let client = server.client();
    let messages: Vec<String> = (0..3).map(|_| canary("moved")).collect();
    let mut references = Vec::new();
    for message in &messages {
        let (status, body) = server
            .submit_json(&client, "kontakt", json!({"answers": {"message": message}}))
            .await;
        assert_eq!(status, 201, "{body}");
        references.push(body["reference"].as_str().unwrap().to_string());
    }
    // One the content guard refuses (counted), one erased on request (a tombstone).
    let (status, _) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "Mitt fødselsnummer er 17819010188"}}),
        )
        .await;
    assert_eq!(status, 422);
    let (token, _) = server.add_caseworker("servicetorget");
    server.caseworker_ok(&token, &["erase", "--id", &references[0]]);
    server.caseworker_ok(&token, &["take", "--id", &references[1]]);
    server.kill();

    let pg = Postgres::start();
    let out = server.run_forms(&["admin", "move-to-postgres", "--to", &pg.url], None);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = |table: &str| -> u64 {
        let line = said
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table))
            .unwrap_or_else(|| panic!("no {table} in {said}"));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    assert_eq!(rows("submissions"), 2, "{said}");
    assert_eq!(rows("deleted_submissions"), 1, "{said}");
    assert_eq!(rows("caseworkers"), 1, "{said}");
    assert!(rows("audit_log") >= 6, "{said}");
    assert!(rows("guard_refusals") >= 1, "{said}");
    assert!(
        said.contains("The audit log in PostgreSQL is intact"),
        "{said}"
    );

    // Into a database that holds something: refused, nothing changed.
    let again = server.run_forms(&["admin", "move-to-postgres", "--to", &pg.url], None);
    assert!(!again.status.success());
    let why = String::from_utf8_lossy(&again.stderr);
    assert!(why.contains("not empty"), "{why}");

    // A server on PostgreSQL carries on where the SQLite one stopped.
    server.use_database(&pg.url);
    tokio::task::block_in_place(|| server.launch());
    let listing = server.caseworker_ok(&token, &["list"]);
    assert!(
        listing.contains(&references[1]) && listing.contains("in progress, by you"),
        "{listing}"
    );
    assert!(listing.contains(&references[2]), "{listing}");
    assert!(
        !listing.contains(&references[0]),
        "erased stays erased: {listing}"
    );
    let inbox = TempDir::new("moved-inbox");
    server.pull(&token, "servicetorget", inbox.path());
    // The new one (pull fetches what is new) opens with the caseworker's key.
    let text =
        std::fs::read_to_string(inbox.path().join(format!("{}.txt", references[2]))).unwrap();
    assert!(text.contains(messages[2].as_str()), "{text}");
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "Etter flyttingen"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let stats = server.admin(&["guard-stats", "--since", "2000-01-01"]);
    assert!(stats.contains("kontakt"), "{stats}");
    server.assert_audit_intact();
    let export = server.audit_report();
    assert!(
        export.contains("databasen flyttet fra SQLite til PostgreSQL"),
        "{export}"
    );
}
