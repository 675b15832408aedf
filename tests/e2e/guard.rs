//! The content guard over TLS: a contact-form message with sensitive personal data is
//! refused with the citizen's text given back, the kinds named in their language beside
//! any other problem of the answers, and a link to the secure form; nothing of it is stored, sealed or logged. An everyday
//! question about a health service goes through.

use serde_json::json;

use crate::support::{Backend, Server, TempDir, canary, contains, form_session};

#[tokio::test(flavor = "multi_thread")]
async fn a_message_with_sensitive_data_is_refused_and_leaves_no_trace() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let form_url = format!("{}/skjema/kontakt", server.url);

    // The HTML form, in nynorsk: an identity number in a grouping, with a canary, and
    // a malformed e-mail address. Both problems are named at once, in the form's order.
    let marker = canary("GUARD");
    let message = format!("Fødselsnummeret mitt er 178190 10188. {marker}");
    let (cookie, token) = form_session(&client, &form_url).await;
    let response = client
        .post(format!("{form_url}?lang=nn"))
        .header("cookie", &cookie)
        .form(&[
            ("_csrf", token.as_str()),
            ("message", message.as_str()),
            ("email", "ola.example.no"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains(&marker), "the citizen's text is given back");
    assert!(page.contains("value=\"ola.example.no\""), "{page}");
    let summary = &page[page.find("class=\"error-summary\"").unwrap()..];
    let summary = &summary[..summary.find("</div>").unwrap()];
    let sensitive = summary.find("et fødselsnummer eller D-nummer");
    let email = summary.find("Skriv inn ei gyldig e-postadresse");
    assert!(sensitive.is_some() && email.is_some(), "{summary}");
    assert!(sensitive < email, "the message comes first: {summary}");
    assert!(page.contains("Vi har ikkje lagra noko"), "{page}");
    assert!(
        page.contains("href=\"/skjema/sikker-melding?lang=nn\""),
        "{page}"
    );
    assert!(page.contains("class=\"error-summary\""));

    // The JSON API, in English: health details, named as a kind, beside an unknown
    // field and (in the form's order) a malformed e-mail address.
    let health = format!("My son was diagnosed with diabetes last week. {marker}");
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"phone": "12345678", "email": "ola@", "message": health}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["title"], "Sensitive personal data", "{body}");
    let fields: Vec<_> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("message", "sensitive"),
            ("email", "invalid_email"),
            ("phone", "unknown_field")
        ],
        "{body}"
    );
    assert_eq!(body["errors"][0]["kinds"], json!(["health"]));
    assert!(
        !body.to_string().contains(&marker),
        "the answer does not echo the text"
    );

    // An everyday question about a health service goes through.
    let everyday = format!("Når er helsestasjonen åpen i romjulen? {}", canary("OK"));
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": everyday}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // Only that one was stored and sealed; the refused text is nowhere.
    let (token_file, _) = server.add_caseworker("servicetorget");
    let inbox = TempDir::new("guard-inbox");
    server.pull(&token_file, "servicetorget", inbox.path());
    let pulled: Vec<_> = std::fs::read_dir(inbox.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(pulled.len(), 1, "{pulled:?}");
    let log = server.log();
    assert!(
        log.contains("submission refused: sensitive personal data"),
        "{log}"
    );
    assert!(log.contains("\"kinds\":\"id_number\""), "{log}");
    assert!(log.contains("\"other_problems\":1"), "{log}");
    assert!(log.contains("\"kinds\":\"health\""), "{log}");
    // The statistics count each refusal under its kinds, with nothing of the text.
    let stats = server.admin(&["guard-stats"]);
    let line = |form: &str, kind: &str| {
        stats
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()[1..] == [form, kind, "1"])
    };
    assert!(line("kontakt", "id_number"), "{stats}");
    assert!(line("kontakt", "health"), "{stats}");
    assert!(stats.contains("2 refusal(s)"), "{stats}");
    for secret in [marker.as_str(), "17819010188", "178190 10188", "diabetes"] {
        assert!(!log.contains(secret), "{secret} in the log");
        assert!(
            !contains(&server.sqlite_bytes(), secret),
            "{secret} in the database"
        );
    }
}
