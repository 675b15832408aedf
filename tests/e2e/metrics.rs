//! The operators' metrics: `GET /metrics` serves, to the metrics token only, what the
//! server did (requests, submissions by outcome) and what waits in each queue, in a
//! text Prometheus's own parser reads, with nothing a citizen wrote in it; a server
//! without `[metrics]` has no such address.

use std::time::Duration;

use serde_json::json;

use crate::support::{Backend, METRICS_TOKEN, Server, canary};

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_what_happened_for_the_token_only() {
    let started = forms_server::clock::Clock::now(&forms_server::clock::SystemClock);
    let mut server = Server::start(Backend::Sqlite);
    let client = server.client();
    let url = format!("{}/metrics", server.url);

    // Without the token, or with another, nothing is told.
    for token in [None, Some("another-token-of-the-same-length-000")] {
        let mut request = client.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{token:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body = response.text().await.unwrap();
        assert!(!body.contains("forms_"), "{body}");
    }

    let before = server.metrics().await;
    let desk = [("queue", "servicetorget")];
    let new_at_desk = [desk[0], ("status", "new")];
    assert_eq!(before.get("forms_queue_submissions", &new_at_desk), 0.0);
    assert!(!before.has("forms_queue_oldest_new_timestamp_seconds", &desk));
    assert_eq!(before.get("forms_queue_caseworkers", &desk), 0.0);
    assert_eq!(before.get("forms_queue_recipient_keys", &desk), 1.0);

    // Two stored, one refused by the content guard, one invalid; and a form page.
    let message = canary("METRICS");
    let email = format!("{}@example.no", canary("metricsmail").to_lowercase());
    for _ in 0..2 {
        let answers = json!({"answers": {"message": message, "email": email}});
        let (status, body) = server.submit_json(&client, "kontakt", answers).await;
        assert_eq!(status, 201, "{body}");
    }
    let health = format!("Sønnen min fikk diagnosen diabetes i forrige uke. {message}");
    let answers = json!({"answers": {"message": health, "email": email}});
    assert_eq!(server.submit_json(&client, "kontakt", answers).await.0, 422);
    let answers = json!({"answers": {"message": "", "email": email}});
    assert_eq!(server.submit_json(&client, "kontakt", answers).await.0, 422);
    let page = client
        .get(format!("{}/skjema/kontakt", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let (_, token) = server.add_caseworker("servicetorget");

    let text = server.metrics_text().await;
    for secret in [message.as_str(), &email, METRICS_TOKEN, &token, "127.0.0.1"] {
        assert!(!text.contains(secret), "{secret} in the metrics");
    }
    let after = crate::support::Metrics::parse(&text);
    let kontakt = |outcome| {
        after.get(
            "forms_submissions_total",
            &[("form", "kontakt"), ("outcome", outcome)],
        )
    };
    assert_eq!(kontakt("stored"), 2.0);
    assert_eq!(kontakt("sensitive"), 1.0);
    assert_eq!(kontakt("invalid"), 1.0);
    assert_eq!(kontakt("too_many"), 0.0);

    let submissions = [
        ("method", "POST"),
        ("route", "/api/v1/forms/{form}/submissions"),
    ];
    let answered = |status| {
        after.get(
            "forms_http_requests_total",
            &[submissions[0], submissions[1], ("status", status)],
        )
    };
    assert_eq!(answered("201"), 2.0);
    assert_eq!(answered("422"), 2.0);
    let timed = after.get("forms_http_request_duration_seconds_count", &submissions);
    assert_eq!(timed, 4.0);
    let all = [submissions[0], submissions[1], ("le", "+Inf")];
    assert_eq!(
        after.get("forms_http_request_duration_seconds_bucket", &all),
        4.0
    );
    let page = [
        ("method", "GET"),
        ("route", "/skjema/{form}"),
        ("status", "200"),
    ];
    assert_eq!(after.get("forms_http_requests_total", &page), 1.0);
    let refused = [("method", "GET"), ("route", "/metrics"), ("status", "401")];
    assert_eq!(after.get("forms_http_requests_total", &refused), 2.0);

    // What waits in the queue, and who can read it.
    assert_eq!(after.get("forms_queue_submissions", &new_at_desk), 2.0);
    let oldest = after.get("forms_queue_oldest_new_timestamp_seconds", &desk);
    let now = forms_server::clock::Clock::now(&forms_server::clock::SystemClock);
    assert_eq!(after.get("forms_queue_caseworkers", &desk), 1.0);
    assert_eq!(after.get("forms_database_up", &[]), 1.0);
    let in_this_test =
        |at: f64| (started.millis() / 1000) as f64 <= at && at <= (now.millis() / 1000 + 1) as f64;
    assert!(in_this_test(oldest), "{oldest}");

    // The writer committed the two submissions and the caseworker; housekeeping ran at
    // start.
    let commits = after.get(
        "forms_store_commit_duration_seconds_count",
        &[("outcome", "ok")],
    );
    assert!(commits >= 3.0, "{commits}");
    let failed = after.get(
        "forms_store_commit_duration_seconds_count",
        &[("outcome", "failed")],
    );
    assert_eq!(failed, 0.0);
    let runs = after.get("forms_housekeeping_runs_total", &[("outcome", "ok")]);
    assert!(runs >= 1.0, "{runs}");
    let swept = after.get("forms_housekeeping_last_success_timestamp_seconds", &[]);
    assert!(in_this_test(swept), "{swept}");
    let catalog = forms_server::schema::Catalog::load_dir(&server.schemas()).unwrap();
    assert_eq!(
        after.get("forms_schema_forms", &[]),
        catalog.forms().count() as f64
    );
    let version = [("version", env!("CARGO_PKG_VERSION"))];
    assert_eq!(after.get("forms_build_info", &version), 1.0);
    let dir = server.dir.path();
    let certificate =
        forms_server::web::tls::Certificate::load(&dir.join("cert.pem"), &dir.join("key.pem"))
            .unwrap();
    let until = certificate.valid_until().unwrap().millis() as f64 / 1000.0;
    assert_eq!(
        after.get("forms_tls_certificate_not_after_timestamp_seconds", &[]),
        until
    );

    // A case closed moves from new to done.
    let listed = server.listed(&token, "servicetorget").await;
    let id = listed[0]["id"].as_str().unwrap();
    let done = client
        .post(format!("{}/api/v1/submissions/{id}/done", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(done.status().is_success(), "{}", done.status());
    let later = server.metrics().await;
    assert_eq!(later.get("forms_queue_submissions", &new_at_desk), 1.0);
    let done_at_desk = [desk[0], ("status", "done")];
    assert_eq!(later.get("forms_queue_submissions", &done_at_desk), 1.0);

    // Without [metrics], there is no such address.
    server.terminate();
    server.wait_exit(Duration::from_secs(30));
    let config = std::fs::read_to_string(&server.config).unwrap();
    let without = config.replace("[metrics]\ntoken_file = \"metrics.token\"\n", "");
    assert_ne!(config, without);
    std::fs::write(&server.config, without).unwrap();
    server.launch();
    let response = server
        .client()
        .get(format!("{}/metrics", server.url))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_short_metrics_token_stops_the_start() {
    let server = Server::prepare(Backend::Sqlite, None);
    std::fs::write(server.dir.path().join("metrics.token"), "too-short\n").unwrap();
    let out = std::process::Command::new(crate::support::FORMS)
        .args(["serve", "--config"])
        .arg(&server.config)
        .env("FORMS_DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("[metrics]") && said.contains("at least 32 characters"),
        "{said}"
    );
    assert!(!said.contains("too-short"), "{said}");
}
