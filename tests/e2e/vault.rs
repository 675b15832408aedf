//! Retiring a field-vault key as an administrator does it: add a new key as the key
//! file's last line, restart, `forms admin vault rekey`, remove the old line, restart.
//! Afterwards the stored reply addresses and login sessions open with the new key
//! alone: a caseworker's reply still reaches the citizen through a real SMTP server,
//! and a logged-in citizen is still logged in. Newsletter subscriptions, found by a
//! keyed HMAC of their address, stay found through the change.

use serde_json::json;

use crate::citizen_login::{SUBSTANTIAL, ask_for_access, has_session, log_in};
use crate::reply::{server_and_smtp, wait_for_mail};
use crate::support::{Backend, Postgres, Server, TempDir, canary, contains};

fn key_file(server: &Server) -> std::path::PathBuf {
    server.dir.path().join("vault.keys")
}

/// Appends a fresh key: from the next start on, it encrypts.
fn add_key(server: &Server, id: &str) {
    let line = forms_crypto::vault::Keyring::generate_key_line(id).unwrap();
    let mut text = std::fs::read_to_string(key_file(server)).unwrap();
    text.push_str(&line);
    std::fs::write(key_file(server), text).unwrap();
}

/// Removes the key `id`'s line.
fn remove_key(server: &Server, id: &str) {
    let text = std::fs::read_to_string(key_file(server)).unwrap();
    let kept: String = text
        .lines()
        .filter(|line| !line.starts_with(&format!("{id} ")))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_ne!(kept, text, "no key {id} in the key file");
    std::fs::write(key_file(server), kept).unwrap();
}

fn restart(server: &mut Server) {
    server.kill();
    server.launch();
}

/// `forms admin vault rekey` on this server: whether it succeeded, and what it printed.
fn rekey(server: &Server) -> (bool, String) {
    let out = server.run_forms(&["admin", "vault", "rekey"], None);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn reply_addresses_move_to_a_new_vault_key_and_the_old_one_can_go() {
    let work = TempDir::new("rekey");
    let (mut server, _smtp, received) = server_and_smtp(&work);
    let client = server.client();
    let mut sent = Vec::new();
    for n in 0..3 {
        let address = format!("{}@example.no", canary(&format!("REKEY{n}")).to_lowercase());
        let (status, body) = server
            .submit_json(
                &client,
                "kontakt",
                json!({"answers": {"message": "Naar kommer svaret?", "email": address}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        sent.push((body["reference"].as_str().unwrap().to_string(), address));
    }

    // With one key, everything is under it already.
    let (ok, out) = rekey(&server);
    assert!(ok, "{out}");
    assert!(
        out.contains("Re-encrypted under it: 0 reply address(es)"),
        "{out}"
    );
    assert!(out.contains("Stored values by key now: t1 3"), "{out}");

    // A new key, and the server restarted to encrypt with it.
    add_key(&server, "t2");
    restart(&mut server);
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "Og en til", "email": "ny@example.no"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (ok, out) = rekey(&server);
    assert!(ok, "{out}");
    assert!(out.contains("Vault key t2 encrypts"), "{out}");
    assert!(
        out.contains("Re-encrypted under it: 3 reply address(es)"),
        "{out}"
    );
    assert!(out.contains("Stored values by key now: t2 4"), "{out}");
    assert!(out.contains("Key t1 holds nothing any more"), "{out}");

    // Without the old key, the addresses still open: a reply reaches the citizen.
    remove_key(&server, "t1");
    restart(&mut server);
    let (token_file, _) = server.add_caseworker("servicetorget");
    let answer = work.path().join("answer.txt");
    std::fs::write(&answer, "Svaret kommer her.\n").unwrap();
    let (reference, address) = &sent[1];
    let out = server.caseworker(
        &token_file,
        &["reply", reference, "--file", answer.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mail = wait_for_mail(&received, "Svaret kommer her");
    assert!(mail.contains(&format!("To: {address}")), "{mail}");

    // A key file that lacks the key in use changes nothing, and says so.
    let right = std::fs::read_to_string(key_file(&server)).unwrap();
    std::fs::write(
        key_file(&server),
        forms_crypto::vault::Keyring::generate_key_line("t3")
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let (ok, out) = rekey(&server);
    assert!(!ok, "{out}");
    assert!(
        out.contains("3 value(s) under key t2 do not open with these keys"),
        "{out}"
    );
    std::fs::write(key_file(&server), right).unwrap();
    let (ok, out) = rekey(&server);
    assert!(ok, "{out}");
    assert!(out.contains("Stored values by key now: t2 3"), "{out}");

    // No address in what the command printed, the log, or the database.
    let database = server.sqlite_bytes();
    for (_, address) in &sent {
        assert!(!out.contains(address.as_str()));
        assert!(!server.log().contains(address.as_str()), "{address} logged");
        assert!(!contains(&database, address), "{address} in the database");
    }
    let export = server.audit_report();
    assert!(
        export.contains("kryptert på nytt med ny nøkkel"),
        "{export}"
    );
    server.assert_audit_intact();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_logged_in_citizen_stays_logged_in_across_a_vault_key_change_on_postgres() {
    let pg = Postgres::start();
    let mut server = Server::start_with_login(Backend::Postgres(pg.url.clone())).await;
    let browser = server.browser();
    let form = log_in(&server, &browser, "innsyn", SUBSTANTIAL).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(has_session(&server, &browser).await);
    let client = server.client();
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "Hei", "email": "svar@example.no"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // Her access request keeps the address KRR has for her, and the one she gave for
    // the answer.
    ask_for_access(&server, &browser, &[]).await;

    add_key(&server, "t2");
    tokio::task::block_in_place(|| restart(&mut server));
    // Before the citizen's next request (which would save the session under t2).
    let (ok, out) = rekey(&server);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "Re-encrypted under it: 2 reply address(es), 1 session(s), 0 subscription(s), \
             1 privacy request address(es)."
        ),
        "{out}"
    );
    assert!(out.contains("Stored values by key now: t2 4"), "{out}");
    assert!(out.contains("Key t1 holds nothing any more"), "{out}");

    remove_key(&server, "t1");
    tokio::task::block_in_place(|| restart(&mut server));
    assert!(
        has_session(&server, &browser).await,
        "the session did not open with the new key alone"
    );
    server.assert_audit_intact();
}

/// A subscription is found by a keyed HMAC of its address whose key is derived from the
/// vault's newest key. Across a key change a privacy request still finds the
/// subscriptions stored before it, and a new sign-up of the same address still replaces
/// the old one; `vault rekey` derives the address keys anew, so that the old key can go
/// and they are still found.
#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_stay_found_by_their_address_across_a_vault_key_change() {
    use crate::citizen_login::KARI_EMAIL;
    use crate::newsletter::{SITE, site_config, subscribed};
    let work = TempDir::new("rekey-subscriptions");
    let port = crate::support::free_port();
    let mut server = Server::prepare_with_login(Backend::Sqlite).await;
    server.append_config(&site_config(port));
    tokio::task::block_in_place(|| server.launch());
    let (_smtp, received) = crate::reply::start_smtp(&server, port, &work);
    let mailbox = crate::support::Browser::new(&[&server.cert_pem]);
    let other = format!("{}@example.no", canary("other").to_lowercase());
    let karis = subscribed(&server, &mailbox, &received, KARI_EMAIL).await;
    let others = subscribed(&server, &mailbox, &received, &other).await;
    let base = server.url.clone();
    let opens = |link: &str| {
        let url = link.replace(SITE, &base);
        let mailbox = &mailbox;
        async move { mailbox.get(&url).await.status }
    };

    add_key(&server, "t2");
    tokio::task::block_in_place(|| restart(&mut server));
    // Kari's access request, sent under the new key, finds her subscription.
    let kari = server.browser();
    log_in(&server, &kari, "innsyn", SUBSTANTIAL).await;
    let request = ask_for_access(&server, &kari, &[]).await;
    let (privacy, _) = server.add_caseworker("personvern");
    let found = format!("1 abonnement på nyhetsbrev til {KARI_EMAIL}");
    let report = server.caseworker_ok(&privacy, &["subject-access", "--id", &request]);
    assert!(report.contains(&found), "{report}");
    // The other address signs up again: the new subscription replaces the old one.
    let again = subscribed(&server, &mailbox, &received, &other).await;
    assert_eq!(
        opens(&others).await,
        404,
        "the old subscription is replaced"
    );
    assert_eq!(opens(&again).await, 200);

    let (ok, out) = rekey(&server);
    assert!(ok, "{out}");
    assert!(
        out.contains("Subscription address keys derived anew: 1."),
        "{out}"
    );
    assert!(out.contains("Key t1 holds nothing any more"), "{out}");
    remove_key(&server, "t1");
    tokio::task::block_in_place(|| restart(&mut server));
    let report = server.caseworker_ok(&privacy, &["subject-access", "--id", &request]);
    assert!(report.contains(&found), "with the new key alone: {report}");
    assert_eq!(opens(&karis).await, 200);
    server.assert_audit_intact();
}
