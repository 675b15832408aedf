//! Handing a case to another public body: refused with a reason unless the citizen
//! consented, by the form's consent box or by a consent a caseworker recorded; each
//! step is in the audit log.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Backend, Server};

/// A form whose consent box allows a handover, added while the server runs.
const SHARING_FORM: &str = "id: deling-test
title: { nb: Søknad som kan deles }
languages: [nb]
auth: none
route: { queue: byggesak }
retention: { months: 12 }
privacy: { purpose: { nb: Test, nn: Test, en: Test }, legal_basis: { nb: Test, nn: Test, en: Test } }
handover_consent: deling
fields:
  - id: message
    type: textarea
    label: { nb: Søknaden }
    required: true
  - id: deling
    type: consent
    label: { nb: Kommunen kan sende saken videre til andre offentlige organer }
";

async fn post(client: &reqwest::Client, url: String, token: &str) -> (u16, serde_json::Value) {
    let response = client.post(url).bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// The id of the newest submission in `queue`.
async fn newest(server: &Server, client: &reqwest::Client, queue: &str, token: &str) -> String {
    let items: Vec<serde_json::Value> = client
        .get(format!("{}/api/v1/queues/{queue}/submissions", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    items.last().unwrap()["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handover_needs_the_citizens_consent() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let base = server.url.clone();

    // The contact form asks for no consent: refused, with the reason, until a
    // caseworker records the citizen's consent.
    let (status, _) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "Kan NAV få saken?"}}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, token) = server.add_caseworker("servicetorget");
    let id = newest(&server, &client, "servicetorget", &token).await;
    let (status, body) = post(
        &client,
        format!("{base}/api/v1/submissions/{id}/handover"),
        &token,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("not consented"),
        "{body}"
    );
    let (status, _) = post(
        &client,
        format!("{base}/api/v1/submissions/{id}/consent"),
        &token,
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = post(
        &client,
        format!("{base}/api/v1/submissions/{id}/handover"),
        &token,
    )
    .await;
    assert_eq!(status, 204, "{body}");

    // A form whose consent box the citizen ticked may be handed over at once.
    std::fs::write(server.schemas().join("deling-test.yaml"), SHARING_FORM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = server
            .submit_json(
                &client,
                "deling-test",
                json!({"answers": {"message": "Søknad om tilskudd", "deling": true}}),
            )
            .await;
        if status == 201 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new form was not taken in: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, token_b) = server.add_caseworker("byggesak");
    let id = newest(&server, &client, "byggesak", &token_b).await;
    let (status, body) = post(
        &client,
        format!("{base}/api/v1/submissions/{id}/handover"),
        &token_b,
    )
    .await;
    assert_eq!(status, 204, "{body}");

    // Another queue's caseworker cannot record consent for a case they cannot see.
    let (status, _) = post(
        &client,
        format!("{base}/api/v1/submissions/{id}/consent"),
        &token,
    )
    .await;
    assert_eq!(status, 404);
    server.assert_audit_intact();
}
