//! A queue's keys: two caseworkers each open its submissions alone with the real `age`
//! CLI; a caseworker taken off the queue cannot open what comes after, and once the
//! remaining caseworker has run `forms caseworker reseal`, not what came before either.
//! A case forwarded to another queue opens there only.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use forms_crypto::seal::Identity;
use serde_json::json;

use crate::support::{Backend, Server, TempDir};

/// Whether `age` opens `sealed` with the identity file at `identity`.
fn age_opens(sealed: &[u8], identity: &Path, work: &TempDir) -> bool {
    let file = work.path().join("sealed.age");
    std::fs::write(&file, sealed).unwrap();
    Command::new("age")
        .arg("--decrypt")
        .arg("--identity")
        .arg(identity)
        .arg(&file)
        .output()
        .expect("the age CLI is installed (apt-get install age)")
        .status
        .success()
}

/// Writes the byggesak queue with these recipients and waits until the server uses
/// them.
async fn set_recipients(server: &Server, client: &reqwest::Client, token: &str, keys: &[String]) {
    let path = server.schemas().join("queues.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("  - id: byggesak\n").unwrap();
    let mut entry =
        String::from("  - id: byggesak\n    name: { nb: byggesak }\n    caseworkers:\n");
    for (n, key) in keys.iter().enumerate() {
        entry.push_str(&format!(
            "      - name: Saksbehandler {n}\n        recipients: [{key}]\n"
        ));
    }
    std::fs::write(&path, format!("{}{entry}", &text[..start])).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now: serde_json::Value = client
            .get(format!("{}/api/v1/queues/byggesak/recipients", server.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if now["recipients"].as_array().unwrap().len() == keys.len() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not take the new keys: {now}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn submit(server: &Server, client: &reqwest::Client, text: &str) {
    let (status, body) = server
        .submit_json(
            client,
            "byggesak-sporsmal",
            json!({"answers": {"message": text}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Every stored submission of byggesak, sealed, oldest first.
async fn sealed_all(server: &Server, client: &reqwest::Client, token: &str) -> Vec<Vec<u8>> {
    let base = &server.url;
    let items: Vec<serde_json::Value> = client
        .get(format!("{base}/api/v1/queues/byggesak/submissions"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut all = Vec::new();
    for item in &items {
        let id = item["id"].as_str().unwrap();
        let bytes = client
            .get(format!("{base}/api/v1/submissions/{id}/sealed"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        all.push(bytes.to_vec());
    }
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_key_opens_nothing_new_and_after_reseal_nothing_old() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let work = TempDir::new("keys");
    let (token_file, token) = server.add_caseworker("byggesak");
    let a = &server.queue("byggesak").identity_path;
    let b_identity = Identity::generate();
    let b = work.path().join("b.identity");
    std::fs::write(&b, b_identity.to_identity_file("test").as_bytes()).unwrap();
    let a_key = server.queue("byggesak").identity.recipient().to_string();
    let b_key = b_identity.recipient().to_string();

    // Two caseworkers: each opens the first submission alone.
    set_recipients(&server, &client, &token, &[a_key.clone(), b_key]).await;
    submit(&server, &client, "Før B slutta").await;
    let first = &sealed_all(&server, &client, &token).await[0];
    assert!(age_opens(first, a, &work), "A opens the first");
    assert!(age_opens(first, &b, &work), "B opens the first");

    // B leaves the queue: B cannot open what comes after.
    set_recipients(&server, &client, &token, &[a_key]).await;
    submit(&server, &client, "Etter at B slutta").await;
    let all = sealed_all(&server, &client, &token).await;
    assert!(age_opens(&all[1], a, &work), "A opens the second");
    assert!(!age_opens(&all[1], &b, &work), "B cannot open the second");
    assert!(
        age_opens(&all[0], &b, &work),
        "before reseal, B still opens the first"
    );

    // A re-seals the queue on their own machine: B opens nothing any more, A all.
    let said = server.caseworker_ok(
        &token_file,
        &[
            "reseal",
            "--queue",
            "byggesak",
            "--identity",
            a.to_str().unwrap(),
        ],
    );
    assert!(
        said.contains("2 submission(s) of byggesak re-sealed"),
        "{said}"
    );
    let all = sealed_all(&server, &client, &token).await;
    for (n, sealed) in all.iter().enumerate() {
        assert!(
            age_opens(sealed, a, &work),
            "A opens submission {n} after reseal"
        );
        assert!(
            !age_opens(sealed, &b, &work),
            "B cannot open submission {n} after reseal"
        );
    }

    // The server took only age files, and recorded who re-sealed.
    let id = {
        let items: Vec<serde_json::Value> = client
            .get(format!("{}/api/v1/queues/byggesak/submissions", server.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        items[0]["id"].as_str().unwrap().to_string()
    };
    let refused = client
        .put(format!("{}/api/v1/submissions/{id}/sealed", server.url))
        .bearer_auth(&token)
        .header("content-type", "application/octet-stream")
        .body("plain text, not sealed")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    server.assert_audit_intact();
}

/// Acceptance 2 of forwarding: the caseworker's machine moves a case to another queue;
/// that queue's caseworker opens it, the first queue no longer lists it, and the
/// server never sees the text.
#[tokio::test(flavor = "multi_thread")]
async fn a_forwarded_case_opens_in_the_target_queue_only() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let marker = crate::support::canary("FWD");
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": format!("Gjelder byggesak: tilbygg {marker}")}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let reference = body["reference"].as_str().unwrap().to_string();

    let (token_a, token) = server.add_caseworker("servicetorget");
    let inbox_a = TempDir::new("forward-a");
    server.pull(&token_a, "servicetorget", inbox_a.path());
    let pulled: serde_json::Value = serde_json::from_slice(
        &std::fs::read(inbox_a.path().join(format!("{reference}.json"))).unwrap(),
    )
    .unwrap();
    let id = pulled["submission_id"].as_str().unwrap().to_string();

    let identity = server
        .queue("servicetorget")
        .identity_path
        .to_str()
        .unwrap();
    let said = server.caseworker_ok(
        &token_a,
        &[
            "forward",
            "--id",
            &id,
            "--to",
            "byggesak",
            "--identity",
            identity,
        ],
    );
    assert!(
        said.contains(&format!("{reference} forwarded to byggesak")),
        "{said}"
    );

    // The target queue's caseworker opens it; it says where it is now.
    let (token_b, _) = server.add_caseworker("byggesak");
    let inbox_b = TempDir::new("forward-b");
    server.pull(&token_b, "byggesak", inbox_b.path());
    let moved: serde_json::Value = serde_json::from_slice(
        &std::fs::read(inbox_b.path().join(format!("{reference}.json"))).unwrap(),
    )
    .unwrap();
    assert!(moved["answers"].to_string().contains(&marker));
    assert_eq!(moved["queue"], "byggesak");

    // The first queue no longer lists it, and cannot fetch it.
    let listed: Vec<serde_json::Value> = client
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
    assert!(listed.iter().all(|item| item["id"] != id.as_str()));
    let fetch = client
        .get(format!("{}/api/v1/submissions/{id}/sealed", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(fetch.status(), 404);

    // The first queue's caseworker's next pull deletes the copy of a case no longer
    // theirs; one who reads both queues is not told to.
    let said = server.pull(&token_a, "servicetorget", inbox_a.path());
    assert!(
        said.contains(&format!(
            "1 case(s) forwarded to a queue you are not in; their files here are deleted\n  {reference}"
        )),
        "{said}"
    );
    for extension in ["json", "txt"] {
        assert!(
            !inbox_a
                .path()
                .join(format!("{reference}.{extension}"))
                .exists()
        );
    }
    let both = server.admin(&[
        "caseworker",
        "add",
        "--queue",
        "servicetorget",
        "--queue",
        "byggesak",
        "--name",
        "Begge Køer",
    ]);
    let gone = |token: String| {
        let request = client
            .get(format!(
                "{}/api/v1/queues/servicetorget/deleted",
                server.url
            ))
            .bearer_auth(token);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Vec<serde_json::Value>>().await.unwrap()
        }
    };
    let left = gone(token.clone()).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["reference"], reference.as_str());
    assert_eq!(left[0]["reason"], "forwarded");
    assert!(gone(both.trim().to_string()).await.is_empty());

    // No plaintext reached the database or the log, and the chain holds.
    assert!(!crate::support::contains(&server.sqlite_bytes(), &marker));
    assert!(!server.log().contains(&marker));
    server.assert_audit_intact();
}
