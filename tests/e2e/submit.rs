//! A citizen submits; the caseworker pulls and reads exactly what was sent, and the
//! stored ciphertext opens with Debian's `age` tool and the caseworker's identity file.

use std::process::Command;

use serde_json::json;

use crate::support::{Backend, Server, TempDir, form_session};

#[tokio::test(flavor = "multi_thread")]
async fn submitted_text_is_what_the_caseworker_decrypts() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let message = "Hei!\nNår blir det brøytet i Åsveien? «Takk» – 😀";
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": message, "email": "ola.nordmann@example.no"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let api_reference = body["reference"].as_str().unwrap().to_string();

    // The same through the HTML form, as a browser without JavaScript sends it.
    let form_url = format!("{}/skjema/kontakt", server.url);
    let (cookie, token) = form_session(&client, &form_url).await;
    let html_message = "Spørsmål fra skjemaet\r\nmed to linjer";
    let response = client
        .post(&form_url)
        .header("cookie", &cookie)
        .form(&[
            ("_csrf", token.as_str()),
            ("message", html_message),
            ("email", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let html_reference = page
        .split("<strong>")
        .nth(1)
        .and_then(|s| s.split("</strong>").next())
        .unwrap()
        .to_string();
    assert!(page.contains("Referansenummer"));
    assert_ne!(html_reference, api_reference);
    // A copy of what was sent, for the citizen to keep: it cannot be shown later.
    let copy = &page[page.find("Dette sendte du").expect("a copy of the answers")..];
    assert!(copy.contains("Din henvendelse"), "{copy}");
    assert!(
        copy.contains("Spørsmål fra skjemaet<br>med to linjer"),
        "{copy}"
    );

    let (token_file, _) = server.add_caseworker("servicetorget");
    let inbox = TempDir::new("inbox");
    let report = server.pull(&token_file, "servicetorget", inbox.path());
    assert!(report.starts_with("2 new submission(s)"), "{report}");

    let read = |reference: &str| -> serde_json::Value {
        let path = inbox.path().join(format!("{reference}.json"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let api = read(&api_reference);
    assert_eq!(api["answers"]["message"], message);
    assert_eq!(api["answers"]["email"], "ola.nordmann@example.no");
    assert_eq!(api["form"]["id"], "kontakt");
    assert_eq!(api["form"]["schema_sha256"].as_str().unwrap().len(), 64);
    let html = read(&html_reference);
    assert_eq!(
        html["answers"]["message"],
        "Spørsmål fra skjemaet\nmed to linjer"
    );
    assert!(html["answers"].get("email").is_none());
    let text = std::fs::read_to_string(inbox.path().join(format!("{api_reference}.txt"))).unwrap();
    assert!(
        text.contains("  Når blir det brøytet i Åsveien? «Takk» – 😀"),
        "{text}"
    );

    // A second pull fetches nothing again.
    let again = server.pull(&token_file, "servicetorget", inbox.path());
    assert!(again.starts_with("0 new submission(s)"), "{again}");

    // The row as stored, opened by the standard age CLI.
    let db = server.sqlite_path.clone().unwrap();
    let sealed = read_sealed(&db, &api_reference).await;
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    let file = inbox.path().join("stored.age");
    std::fs::write(&file, &sealed).unwrap();
    let out = Command::new("age")
        .arg("--decrypt")
        .arg("--identity")
        .arg(&server.queue("servicetorget").identity_path)
        .arg(&file)
        .output()
        .expect("the age CLI is installed (apt-get install age)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let payload: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(payload["answers"]["message"], message);
    assert_eq!(payload["reference"], api_reference.as_str());

    // The other queue's key cannot open it.
    let other = Command::new("age")
        .arg("--decrypt")
        .arg("--identity")
        .arg(&server.queue("byggesak").identity_path)
        .arg(&file)
        .output()
        .unwrap();
    assert!(!other.status.success());
}

async fn read_sealed(db: &std::path::Path, reference: &str) -> Vec<u8> {
    use sqlx::Row;
    let url = format!("sqlite://{}?mode=ro", db.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let row = sqlx::query("SELECT sealed FROM submissions WHERE reference = $1")
        .bind(reference)
        .fetch_one(&pool)
        .await
        .unwrap();
    row.get("sealed")
}
