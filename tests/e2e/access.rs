//! Caseworkers see only their own queues; wrong, missing, expired or revoked tokens get
//! nothing.

use serde_json::json;

use crate::support::{Backend, Server};

/// An operation: method, URL, and the content type and body it is sent with.
type Endpoint<'a> = (&'a str, String, Option<(&'a str, &'a str)>);

#[tokio::test(flavor = "multi_thread")]
async fn a_caseworker_reaches_only_their_own_queue() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let (status, _) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "til servicetorget"}}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = server
        .submit_json(
            &client,
            "byggesak-sporsmal",
            json!({"answers": {"message": "til byggesak"}}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, token_a) = server.add_caseworker("servicetorget");
    let (_, token_b) = server.add_caseworker("byggesak");

    let list = |token: String, queue: &'static str| {
        let client = client.clone();
        let url = format!("{}/api/v1/queues/{queue}/submissions", server.url);
        async move {
            let response = client.get(url).bearer_auth(token).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, own) = list(token_b.clone(), "byggesak").await;
    assert_eq!(status, 200);
    let b_id = own[0]["id"].as_str().unwrap().to_string();
    assert_eq!(own[0]["form"], "byggesak-sporsmal");
    assert_eq!(own[0]["status"], "new");
    assert!(own[0].get("sealed").is_none(), "a listing is metadata only");

    let base = server.url.clone();
    // Every caseworker operation (the OpenAPI file's), with a body it would accept.
    let age = "age-encryption.org/v1\n-> X25519 test\n";
    let endpoints: Vec<Endpoint> = vec![
        (
            "GET",
            format!("{base}/api/v1/queues/byggesak/submissions"),
            None,
        ),
        (
            "GET",
            format!("{base}/api/v1/submissions/{b_id}/sealed"),
            None,
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{b_id}/done"),
            None,
        ),
        ("GET", format!("{base}/api/v1/caseworker/me"), None),
        (
            "GET",
            format!("{base}/api/v1/queues/byggesak/deleted"),
            None,
        ),
        (
            "GET",
            format!("{base}/api/v1/queues/byggesak/recipients"),
            None,
        ),
        (
            "PUT",
            format!("{base}/api/v1/submissions/{b_id}/sealed"),
            Some(("application/octet-stream", age)),
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{b_id}/take"),
            None,
        ),
        (
            "GET",
            format!("{base}/api/v1/submissions/{b_id}/notes"),
            None,
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{b_id}/notes"),
            Some(("application/octet-stream", age)),
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{b_id}/forward?to=servicetorget"),
            Some(("application/octet-stream", age)),
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{b_id}/reply"),
            Some(("text/plain; charset=utf-8", "Svar")),
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{b_id}/consent"),
            None,
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{b_id}/handover"),
            None,
        ),
        ("DELETE", format!("{base}/api/v1/submissions/{b_id}"), None),
        (
            "GET",
            format!("{base}/api/v1/submissions/{b_id}/subject-access"),
            None,
        ),
        (
            "POST",
            format!("{base}/api/v1/submissions/{b_id}/subject-erasure"),
            None,
        ),
        (
            "POST",
            format!("{base}/api/v1/forms/nyhetsbrev/newsletters"),
            Some(("application/json", r#"{"subject": "Nytt", "body": "Hei"}"#)),
        ),
        ("GET", format!("{base}/api/v1/newsletters/{b_id}"), None),
        (
            "GET",
            format!("{base}/api/v1/forms/nyhetsbrev/newsletters"),
            None,
        ),
    ];
    let spec: serde_json::Value = serde_saphyr::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/caseworker-api.yaml"
    )))
    .unwrap();
    let documented: usize = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        endpoints.len(),
        documented,
        "every documented operation is in the table"
    );

    // Queue B's caseworkers whose tokens no longer work: one expired, one revoked.
    let add = |name: &str, extra: &[&str]| {
        let mut args = vec!["caseworker", "add", "--queue", "byggesak", "--name", name];
        args.extend_from_slice(extra);
        server.admin(&args).trim().to_string()
    };
    let expired = add("Utløpt Saksbehandler", &["--valid-days", "0"]);
    let revoked = add("Tilbakekalt Saksbehandler", &[]);
    let listing = server.admin(&["caseworker", "list"]);
    let revoked_id = listing
        .lines()
        .find(|l| l.contains("Tilbakekalt"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    server.admin(&["caseworker", "revoke", &revoked_id]);
    let listing = server.admin(&["caseworker", "list"]);
    let state_of = |name: &str| {
        listing
            .lines()
            .find(|l| l.contains(name))
            .unwrap()
            .to_string()
    };
    assert!(state_of("Utløpt").contains("expired"), "{listing}");
    assert!(state_of("Tilbakekalt").contains("revoked"), "{listing}");
    assert!(
        state_of("Test Caseworker").contains("valid until"),
        "{listing}"
    );

    // (who, Authorization header, expected statuses for the endpoints above)
    let wrong = format!("fcw_{}", "0".repeat(64));
    let refused = [401u16; 20];
    let callers: Vec<(&str, Option<String>, [u16; 20])> = vec![
        (
            "queue A's caseworker",
            Some(format!("Bearer {token_a}")),
            [
                403, 404, 404, 200, 403, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404,
                404, 404, 404, 404,
            ],
        ),
        (
            "an expired token of queue B",
            Some(format!("Bearer {expired}")),
            refused,
        ),
        (
            "a revoked token of queue B",
            Some(format!("Bearer {revoked}")),
            refused,
        ),
        ("a wrong token", Some(format!("Bearer {wrong}")), refused),
        ("a malformed header", Some(token_b.clone()), refused),
        ("no token", None, refused),
    ];
    for (who, auth, expected) in callers {
        for ((method, url, body), status) in endpoints.iter().zip(expected) {
            let mut request = match *method {
                "GET" => client.get(url),
                "PUT" => client.put(url),
                "DELETE" => client.delete(url),
                _ => client.post(url),
            };
            if let Some((content_type, text)) = body {
                request = request
                    .header("content-type", *content_type)
                    .body(text.to_string());
            }
            if let Some(auth) = &auth {
                request = request.header("authorization", auth);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), status, "{who}: {method} {url}");
            if status != 200 {
                assert_eq!(
                    response.headers()["content-type"],
                    "application/problem+json"
                );
            }
        }
    }

    // B's own caseworker can, and the case moves to done.
    let response = client
        .get(format!("{base}/api/v1/submissions/{b_id}/sealed"))
        .bearer_auth(&token_b)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let sealed = response.bytes().await.unwrap();
    let payload = forms_server::caseworker::pull::open_payload(
        &sealed,
        std::slice::from_ref(&server.queue("byggesak").identity),
    )
    .unwrap();
    assert_eq!(payload.answers["message"].as_text(), Some("til byggesak"));
    let response = client
        .post(format!("{base}/api/v1/submissions/{b_id}/done"))
        .bearer_auth(&token_b)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (_, new) = list(token_b.clone(), "byggesak").await;
    assert_eq!(
        new.as_array().unwrap().len(),
        1,
        "an unfiltered list still shows it"
    );
    let response = client
        .get(format!(
            "{base}/api/v1/queues/byggesak/submissions?status=new"
        ))
        .bearer_auth(&token_b)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!([])
    );
}
