//! Bad input of every kind: a clear 4xx, the citizen's text kept on the page, nothing
//! stored, nothing of the content in the log.

use std::io::{Read, Write};

use serde_json::json;

use crate::support::{Backend, Server, canary, contains, form_session};

struct ApiCase {
    name: &'static str,
    form: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    status: u16,
    /// (field, code) expected in the problem's errors, if any.
    field: Option<(&'static str, &'static str)>,
}

fn json_body(value: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&value).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_clearly_and_stores_nothing() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let secret = canary("BAD");
    let long = "x".repeat(4001);
    let api_cases = vec![
        ApiCase {
            name: "empty message",
            form: "kontakt",
            content_type: "application/json",
            body: json_body(json!({"answers": {"message": "", "email": "a@example.no"}})),
            status: 422,
            field: Some(("message", "required")),
        },
        ApiCase {
            name: "missing message",
            form: "kontakt",
            content_type: "application/json",
            body: json_body(json!({"answers": {}})),
            status: 422,
            field: Some(("message", "required")),
        },
        ApiCase {
            name: "message over the limit",
            form: "kontakt",
            content_type: "application/json",
            body: json_body(json!({"answers": {"message": long}})),
            status: 422,
            field: Some(("message", "too_long")),
        },
        ApiCase {
            name: "a terminal escape sequence in the message",
            form: "kontakt",
            content_type: "application/json",
            body: json_body(
                json!({"answers": {"message": format!("{secret}\u{1b}]0;x\u{7}\u{1b}[2J")}}),
            ),
            status: 422,
            field: Some(("message", "control_character")),
        },
        ApiCase {
            name: "malformed e-mail",
            form: "kontakt",
            content_type: "application/json",
            body: json_body(json!({"answers": {"message": secret, "email": format!("{secret}@")}})),
            status: 422,
            field: Some(("email", "invalid_email")),
        },
        ApiCase {
            name: "unknown field",
            form: "kontakt",
            content_type: "application/json",
            body: json_body(json!({"answers": {"message": secret, "phone": "123"}})),
            status: 422,
            field: Some(("phone", "unknown_field")),
        },
        ApiCase {
            name: "a number for text",
            form: "kontakt",
            content_type: "application/json",
            body: json_body(json!({"answers": {"message": 5}})),
            status: 422,
            field: Some(("message", "not_text")),
        },
        ApiCase {
            name: "wrong content type",
            form: "kontakt",
            content_type: "text/plain",
            body: secret.clone().into_bytes(),
            status: 415,
            field: None,
        },
        ApiCase {
            name: "body over the limit",
            form: "kontakt",
            content_type: "application/json",
            body: json_body(json!({"answers": {"message": "y".repeat(70_000)}})),
            status: 413,
            field: None,
        },
        ApiCase {
            name: "invalid UTF-8",
            form: "kontakt",
            content_type: "application/json",
            body: b"{\"answers\":{\"message\":\"\xff\xfe\"}}".to_vec(),
            status: 400,
            field: None,
        },
        ApiCase {
            name: "not JSON",
            form: "kontakt",
            content_type: "application/json",
            body: b"message=hello".to_vec(),
            status: 400,
            field: None,
        },
        ApiCase {
            name: "unknown top-level key",
            form: "kontakt",
            content_type: "application/json",
            body: json_body(json!({"answers": {"message": "hei"}, "extra": 1})),
            status: 400,
            field: None,
        },
        ApiCase {
            name: "unknown form",
            form: "finnes-ikke",
            content_type: "application/json",
            body: json_body(json!({"answers": {"message": "hei"}})),
            status: 404,
            field: None,
        },
    ];
    for case in api_cases {
        let response = client
            .post(format!(
                "{}/api/v1/forms/{}/submissions",
                server.url, case.form
            ))
            .header("content-type", case.content_type)
            .body(case.body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), case.status, "{}", case.name);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{}",
            case.name
        );
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["status"], case.status, "{}", case.name);
        assert!(
            !problem["detail"].as_str().unwrap().is_empty(),
            "{}",
            case.name
        );
        if let Some((field, code)) = case.field {
            let errors = problem["errors"].as_array().unwrap();
            assert!(
                errors
                    .iter()
                    .any(|e| e["field"] == field && e["code"] == code && e["message"].is_string()),
                "{}: {problem}",
                case.name
            );
        }
    }

    // The HTML form: the page comes back with the citizen's text and the error by the field.
    let form_url = format!("{}/skjema/kontakt", server.url);
    let (cookie, token) = form_session(&client, &form_url).await;
    let post = |pairs: Vec<(&'static str, String)>| {
        let client = client.clone();
        let cookie = cookie.clone();
        let url = form_url.clone();
        async move {
            let response = client
                .post(url)
                .header("cookie", cookie)
                .form(&pairs)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, page) = post(vec![("_csrf", token.clone()), ("message", "  ".into())]).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("<title>Feil: Kontakt kommunen"),
        "the title says there is an error"
    );
    assert!(page.contains("class=\"error-summary\""));
    assert!(
        page.contains("href=\"#field-message\""),
        "the summary links to the field"
    );
    assert!(page.contains("Du må fylle ut «Din henvendelse»."));
    assert!(page.contains("aria-invalid=\"true\""));

    let kept = format!("{secret} {}", "ø".repeat(4000));
    let (status, page) = post(vec![
        ("_csrf", token.clone()),
        ("message", kept.clone()),
        ("email", "ola@".into()),
    ])
    .await;
    assert_eq!(status, 422);
    assert!(page.contains(&kept), "the citizen's text is kept");
    assert!(
        page.contains("value=\"ola@\""),
        "the e-mail as typed is kept"
    );
    assert!(page.contains("kan ha høyst 4000 tegn"));
    assert!(page.contains("Skriv inn en gyldig e-postadresse"));
    assert!(page.contains("id=\"field-email-error\""));

    let (status, page) = post(vec![
        ("_csrf", token.clone()),
        ("message", secret.clone()),
        ("telefon", "1".into()),
    ])
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("felt vi ikke kjenner igjen"));

    let (status, page) = post(vec![("message", secret.clone())]).await;
    assert_eq!(status, 403, "no CSRF token");
    assert!(
        page.contains(&secret),
        "the text is kept after an expired page"
    );
    assert!(page.contains("Av sikkerhetshensyn"));

    let english = client
        .post(format!("{form_url}?lang=en"))
        .header("cookie", &cookie)
        .form(&[("_csrf", token.as_str()), ("message", "")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains("Enter “Your enquiry”."));

    let raw_cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "wrong content type",
            "text/plain",
            b"message=hei".to_vec(),
            415,
            "format vi ikke tar imot",
        ),
        (
            "over the limit",
            "application/x-www-form-urlencoded",
            format!("_csrf={token}&message={}", "z".repeat(70_000)).into_bytes(),
            413,
            "For mye innhold",
        ),
        (
            "invalid UTF-8",
            "application/x-www-form-urlencoded",
            format!("_csrf={token}&message=%FF%FE").into_bytes(),
            400,
            "ugyldig tegnkoding",
        ),
    ];
    for (name, content_type, body, status, text) in raw_cases {
        let response = client
            .post(&form_url)
            .header("cookie", &cookie)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{name}");
        assert!(response.text().await.unwrap().contains(text), "{name}");
    }
    let missing = client
        .get(format!("{}/skjema/finnes-ikke", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Fant ikke siden"));

    // Plain HTTP to the TLS port: a refusal, never a form.
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    tcp.write_all(b"GET /skjema/kontakt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    let _ = tcp.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(!reply.contains("<form"), "{reply}");

    // Nothing was stored, and nothing of the content was logged.
    let (token_file, token) = server.add_caseworker("servicetorget");
    let _ = token_file;
    let list: serde_json::Value = client
        .get(format!(
            "{}/api/v1/queues/servicetorget/submissions",
            server.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    assert!(!contains(&server.sqlite_bytes(), &secret));
    assert!(
        !server.log().contains(&secret),
        "content leaked into the log"
    );
    assert!(
        server.log().contains("invalid answers"),
        "refusals are logged without content"
    );
}

/// The optional plain port: a browser that comes over plain HTTP is sent on to the same
/// page over HTTPS, and form data sent there is refused unread and never stored.
#[tokio::test(flavor = "multi_thread")]
async fn the_plain_port_only_sends_browsers_on_to_https() {
    let server = Server::start_with_config(
        Backend::Sqlite,
        "[redirect]\nlisten = \"127.0.0.1:0\"\nto = \"https://skjema.example.no/\"\n",
    );
    let port = server.plain_port();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for method in [reqwest::Method::GET, reqwest::Method::HEAD] {
        let response = plain
            .request(method.clone(), format!("{base}/skjema/kontakt?lang=en"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 301, "{method}");
        assert_eq!(
            response.headers()["location"],
            "https://skjema.example.no/skjema/kontakt?lang=en"
        );
        assert!(!response.text().await.unwrap().contains("<form"));
    }

    let marker = canary("PLAIN");
    let html = plain
        .post(format!("{base}/skjema/kontakt"))
        .form(&[("message", marker.as_str())])
        .send()
        .await
        .unwrap();
    let api = plain
        .post(format!("{base}/api/v1/forms/kontakt/submissions"))
        .json(&json!({"answers": {"message": marker}}))
        .send()
        .await
        .unwrap();
    for response in [html, api] {
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
    }
    let (_, token) = server.add_caseworker("servicetorget");
    assert!(server.listed(&token, "servicetorget").await.is_empty());
    assert!(!contains(&server.sqlite_bytes(), &marker));
    assert!(!server.log().contains(&marker));

    // A stop reaches both ports: each stops taking connections and ends its own, a
    // browser's kept-alive one on the plain port too, and the server exits cleanly.
    let mut kept = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    kept.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    kept.write_all(b"GET / HTTP/1.1\r\nhost: skjema.example.no\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 12];
    kept.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 301");
    let mut server = server;
    server.terminate();
    assert!(
        server
            .wait_exit(std::time::Duration::from_secs(20))
            .success()
    );
    let mut rest = Vec::new();
    kept.read_to_end(&mut rest).unwrap();
    let log = server.log();
    for port in ["https", "http"] {
        assert!(
            log.lines()
                .any(|l| l.contains("no longer accepting connections")
                    && l.contains(&format!("\"port\":\"{port}\""))),
            "{port}: {log}"
        );
    }
}
