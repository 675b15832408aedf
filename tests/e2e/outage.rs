//! The database goes away and comes back. While it is gone, a citizen who sends the
//! contact form gets her form back with her text kept and a clear message in her
//! language that nothing was stored; the JSON API, the caseworkers' API included,
//! answers 503; readiness fails and the metrics say so. Once it is back, the same server takes submissions again without a
//! restart, and nothing sent before is lost.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Backend, Postgres, Server, TempDir, canary, submit};

#[tokio::test(flavor = "multi_thread")]
async fn a_database_outage_is_refused_clearly_and_the_server_carries_on_after_it() {
    let pg = Postgres::start();
    let server = Server::start(Backend::Postgres(pg.url.clone()));
    let client = server.client();
    let before = canary("BEFORE");
    let answers = json!({"answers": {"message": before}});
    let (status, body) = server.submit_json(&client, "kontakt", answers).await;
    assert_eq!(status, 201, "{body}");
    let browser = server.browser();
    let page = browser
        .get(&format!("{}/skjema/kontakt?lang=nn", server.url))
        .await;
    assert_eq!(page.status, 200);
    let (token_file, token) = server.add_caseworker("servicetorget");

    pg.stop();
    let during = canary("DURING");
    let health = format!("{}/healthz", server.url);
    let answers = json!({"answers": {"message": during}});
    let changes = [("message", during.as_str())];
    let queue = format!("{}/api/v1/queues/servicetorget/submissions", server.url);
    let status =
        |request: reqwest::RequestBuilder| async move { request.send().await.unwrap().status() };
    let (sent, api, ready, listed) = tokio::join!(
        submit(&browser, &page, &changes),
        server.submit_json(&client, "kontakt", answers),
        status(client.get(&health)),
        status(client.get(&queue).bearer_auth(&token)),
    );
    assert_eq!(sent.status, 503, "{}", sent.body);
    assert!(
        sent.body.contains("Førespurnaden din vart ikkje lagra"),
        "{}",
        sent.body
    );
    assert!(
        sent.body.contains(&during),
        "the text is kept: {}",
        sent.body
    );
    let (status, problem) = api;
    assert_eq!(status, 503, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Nothing was stored"),
        "{problem}"
    );
    assert_eq!(ready, 503);
    assert_eq!(listed, 503, "the caseworker's listing");
    let metrics = server.metrics().await;
    assert_eq!(metrics.get("forms_database_up", &[]), 0.0);

    // Back again: the same server, no restart.
    pg.run();
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.get(&health).send().await.unwrap().status() != 200 {
        assert!(
            Instant::now() < deadline,
            "the server did not find the database again"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = canary("AFTER");
    let answers = json!({"answers": {"message": after}});
    let (status, body) = server.submit_json(&client, "kontakt", answers).await;
    assert_eq!(status, 201, "{body}");
    let metrics = server.metrics().await;
    assert_eq!(metrics.get("forms_database_up", &[]), 1.0);

    // What was sent before and after is there and opens; nothing of the outage is.
    let inbox = TempDir::new("outage-inbox");
    server.pull(&token_file, "servicetorget", inbox.path());
    let mut texts = String::new();
    for entry in std::fs::read_dir(inbox.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "txt") {
            texts.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    assert!(texts.contains(&before) && texts.contains(&after), "{texts}");
    assert!(!texts.contains(&during), "{texts}");
    let log = server.log();
    for secret in [&before, &during, &after] {
        assert!(!log.contains(secret.as_str()), "{secret} in the log");
    }
    server.assert_audit_intact();
}
