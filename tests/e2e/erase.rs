//! Erasure at the citizen's request: a caseworker erases a submission before its
//! retention ends, unless the law its form names still requires keeping it; either way
//! the citizen can be told why, and an erasure is an audit entry.

use std::process::Command;

use forms_server::clock::{Clock, SystemClock};
use serde_json::json;

use crate::support::{Backend, FORMS, Server};

#[tokio::test(flavor = "multi_thread")]
async fn a_submission_is_erased_on_request_unless_the_law_keeps_it() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "Slett meg", "email": "slett@example.no"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let reference = body["reference"].as_str().unwrap().to_string();
    let (status, _) = server
        .submit_json(
            &client,
            "byggesak-sporsmal",
            json!({"answers": {"message": "Et spørsmål om garasjen"}}),
        )
        .await;
    assert_eq!(status, 201);
    let (token_file, token) = server.add_caseworker("servicetorget");
    let (_, building) = server.add_caseworker("byggesak");
    let id = server.listed(&token, "servicetorget").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The contact form names no law: the caseworker erases it by its reference.
    let out = Command::new(FORMS)
        .args([
            "caseworker",
            "erase",
            "--server",
            &server.url,
            "--id",
            &reference,
        ])
        .arg("--ca")
        .arg(server.dir.path().join("cert.pem"))
        .arg("--token-file")
        .arg(&token_file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains(&format!("{reference} erased")), "{said}");
    assert!(server.listed(&token, "servicetorget").await.is_empty());
    let again = client
        .delete(format!("{}/api/v1/submissions/{id}", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404, "erased once, gone after");

    // The building question's form names the archive law: refused, with the law and
    // the day it ends, and kept.
    let kept = server.listed(&building, "byggesak").await;
    let kept_id = kept[0]["id"].as_str().unwrap();
    let response = client
        .delete(format!("{}/api/v1/submissions/{kept_id}", server.url))
        .bearer_auth(&building)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let problem: serde_json::Value = response.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    // The year and month the retention ends (the day may differ around midnight).
    let until = SystemClock
        .now()
        .plus_months(12)
        .norwegian_day()
        .to_string();
    assert!(
        detail.contains("arkivlova § 6") && detail.contains(&until[..7]),
        "{detail}"
    );
    assert_eq!(server.listed(&building, "byggesak").await.len(), 1);

    // The report names the erasure, by whom and of what.
    let today = SystemClock.now().norwegian_day().to_string();
    let out = server.run_forms(&["audit", "export", "--from", &today, "--to", &today], None);
    let report = String::from_utf8_lossy(&out.stdout);
    let line = report
        .lines()
        .find(|l| l.contains("slettet etter krav fra innbyggeren"))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        line.contains(&reference) && line.contains("Test Caseworker"),
        "{line}"
    );
    server.assert_audit_intact();
}
