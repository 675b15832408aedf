//! Working a case: a caseworker takes it (in progress, by them) and writes internal
//! notes, sealed on their machine to the queue's keys; the server stores only
//! ciphertext, and another queue's caseworker reaches neither.

use serde_json::json;

use crate::support::{Backend, Server, canary, contains};

#[tokio::test(flavor = "multi_thread")]
async fn a_case_is_taken_and_annotated_with_sealed_notes() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let (status, _) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "Hull i veien"}}),
        )
        .await;
    assert_eq!(status, 201);
    let (token_file, token) = server.add_caseworker("servicetorget");
    let (_, other) = server.add_caseworker("byggesak");
    let base = server.url.clone();
    let list = |status: &'static str| {
        let client = client.clone();
        let token = token.clone();
        let url = format!("{base}/api/v1/queues/servicetorget/submissions?status={status}");
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Vec<serde_json::Value>>()
                .await
                .unwrap()
        }
    };
    let new = list("new").await;
    let id = new[0]["id"].as_str().unwrap().to_string();
    let reference = new[0]["reference"].as_str().unwrap().to_string();
    let me: serde_json::Value = client
        .get(format!("{base}/api/v1/caseworker/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // A case is named by its reference (as the citizen and the files of `pull` name it)
    // or by its id.
    let cli = |args: &[&str], case: &str| {
        let mut args = args.to_vec();
        args.extend(["--id", case]);
        server.caseworker_ok(&token_file, &args)
    };

    // Taken: in progress, by this caseworker.
    let said = cli(&["take"], &reference);
    assert!(said.contains(&format!("{reference} taken")), "{said}");
    let taken = list("in_progress").await;
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0]["status"], "in_progress");
    assert_eq!(taken[0]["taken_by"], me["id"]);
    assert!(list("new").await.is_empty());
    // The caseworker's own listing says so, with nothing of the answers.
    let listed = server.caseworker_ok(&token_file, &["list"]);
    assert!(
        listed.contains("servicetorget: 1 submission(s)"),
        "{listed}"
    );
    let line = listed.lines().find(|l| l.contains(&reference)).unwrap();
    assert!(line.contains("kontakt"), "{listed}");
    assert!(line.ends_with("in progress, by you"), "{listed}");
    assert!(!listed.contains("Hull i veien"), "{listed}");
    let new = server.caseworker_ok(&token_file, &["list", "--status", "new"]);
    assert!(new.contains("servicetorget: 0 submission(s)"), "{new}");
    // A colleague on the same queue sees who has it, by name.
    let (colleague, _) = server.add_caseworker("servicetorget");
    let seen = server.caseworker_ok(&colleague, &["list"]);
    assert!(seen.contains("in progress, by Test Caseworker"), "{seen}");

    // A note, sealed here, read back here.
    let marker = canary("NOTE");
    let note = server.dir.path().join("note.txt");
    std::fs::write(&note, format!("Ringte innbyggeren. {marker}\n")).unwrap();
    cli(&["note", "--file", note.to_str().unwrap()], &id);
    let identity = server.queue("servicetorget").identity_path.clone();
    let shown = cli(
        &["notes", "--identity", identity.to_str().unwrap()],
        &reference,
    );
    assert!(shown.contains(&marker), "{shown}");
    assert!(shown.contains("1 note(s)"), "{shown}");
    assert!(
        shown.contains("  Test Caseworker\n"),
        "the author by name: {shown}"
    );

    // Another queue's caseworker reaches neither the case nor its notes.
    for (method, path) in [("POST", "take"), ("GET", "notes")] {
        let url = format!("{base}/api/v1/submissions/{id}/{path}");
        let request = match method {
            "POST" => client.post(url),
            _ => client.get(url),
        };
        let response = request.bearer_auth(&other).send().await.unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    // Only ciphertext was stored; nothing of the note in the log.
    assert!(!contains(&server.sqlite_bytes(), &marker));
    assert!(!server.log().contains(&marker));
    server.assert_audit_intact();
}

/// The administrator's overview: each queue's submissions by status, how long the
/// oldest new one has waited, and who can read it; a queue nobody can read fails it.
#[tokio::test(flavor = "multi_thread")]
async fn the_queue_overview_shows_the_workload_and_a_queue_nobody_reads() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    for message in ["en", "to", "tre"] {
        let (status, _) = server
            .submit_json(&client, "kontakt", json!({"answers": {"message": message}}))
            .await;
        assert_eq!(status, 201);
    }
    let (token_file, token) = server.add_caseworker("servicetorget");
    let first = server.listed(&token, "servicetorget").await[0]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    server.caseworker_ok(&token_file, &["take", "--id", &first]);

    let columns = |text: &str, queue: &str| -> Vec<String> {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{queue} ")))
            .unwrap_or_else(|| panic!("no line for {queue}: {text}"));
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    // Every other queue has no caseworker yet: the overview says so and fails.
    let out = server.run_forms(&["admin", "queues"], None);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(
        columns(&text, "servicetorget"),
        ["servicetorget", "2", "1", "0", "0 day(s)", "1", "1"],
        "{text}"
    );
    assert_eq!(
        columns(&text, "byggesak"),
        ["byggesak", "0", "0", "0", "-", "0", "1"]
    );
    assert!(
        text.contains("! byggesak: no caseworker has a token that works"),
        "{text}"
    );
    assert!(!text.contains("! servicetorget"), "{text}");

    // With a caseworker for every queue, it passes.
    let queues: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("! "))
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    for queue in &queues {
        server.add_caseworker(queue);
    }
    let text = server.admin(&["queues"]);
    assert!(!text.contains('!'), "{text}");
}
