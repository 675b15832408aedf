//! A receipt means the row is on disk: hundreds of concurrent submissions, SIGKILL right
//! after the last receipt, restart, and every reference handed out is there and opens.

use std::sync::Arc;

use serde_json::json;

use crate::support::{Backend, Server, TempDir};

const SUBMISSIONS: usize = 240;
const CONCURRENCY: usize = 16;

#[tokio::test(flavor = "multi_thread")]
async fn every_receipt_survives_sigkill() {
    let mut server = Server::start(Backend::Sqlite);
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
