//! Erasure at the citizen's request: the citizen from "Mine innsendinger", or a
//! caseworker, erases a submission before its retention ends, unless the law its form
//! names still requires keeping it; either way the citizen can be told why, and an
//! erasure is an audit entry.

use forms_server::clock::{Clock, SystemClock};
use serde_json::json;

use crate::citizen_login::{SUBSTANTIAL, pick, reference_on};
use crate::support::{Backend, Browser, Page, Server, TempDir, submit};

#[tokio::test(flavor = "multi_thread")]
async fn a_submission_is_erased_on_request_unless_the_law_keeps_it() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "Slett meg", "email": "slett@example.no"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let reference = body["reference"].as_str().unwrap().to_string();
    let (status, _) = server
        .submit_json(
            &client,
            "byggesak-sporsmal",
            json!({"answers": {"message": "Et spørsmål om garasjen"}}),
        )
        .await;
    assert_eq!(status, 201);
    let (token_file, token) = server.add_caseworker("servicetorget");
    let (_, building) = server.add_caseworker("byggesak");
    let id = server.listed(&token, "servicetorget").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The caseworker has pulled it to their machine.
    let inbox = TempDir::new("erase-inbox");
    server.pull(&token_file, "servicetorget", inbox.path());
    let copies = [
        inbox.path().join(format!("{reference}.json")),
        inbox.path().join(format!("{reference}.txt")),
    ];
    assert!(copies.iter().all(|c| c.exists()));

    // The contact form names no law: the caseworker erases it by its reference.
    let said = server.caseworker_ok(&token_file, &["erase", "--id", &reference]);
    assert!(said.contains(&format!("{reference} erased")), "{said}");
    assert!(server.listed(&token, "servicetorget").await.is_empty());
    let again = client
        .delete(format!("{}/api/v1/submissions/{id}", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404, "erased once, gone after");

    // The next pull deletes the copies on the caseworker's machine too.
    let said = server.pull(&token_file, "servicetorget", inbox.path());
    assert!(
        said.contains("1 submission(s) deleted on the server"),
        "{said}"
    );
    assert!(said.contains(&reference), "{said}");
    assert!(copies.iter().all(|c| !c.exists()), "{said}");
    let said = server.pull(&token_file, "servicetorget", inbox.path());
    assert!(!said.contains("deleted on the server"), "once: {said}");

    // The building question's form names the archive law: refused, with the law and
    // the day it ends, and kept.
    let kept = server.listed(&building, "byggesak").await;
    let kept_id = kept[0]["id"].as_str().unwrap();
    let response = client
        .delete(format!("{}/api/v1/submissions/{kept_id}", server.url))
        .bearer_auth(&building)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let problem: serde_json::Value = response.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    // The year and month the retention ends (the day may differ around midnight).
    let until = SystemClock
        .now()
        .plus_months(12)
        .norwegian_day()
        .to_string();
    assert!(
        detail.contains("arkivlova § 6") && detail.contains(&until[..7]),
        "{detail}"
    );
    assert_eq!(server.listed(&building, "byggesak").await.len(), 1);

    // The report names the erasure, by whom and of what.
    assert_eq!(
        erased_by(&server, &reference),
        "Test Caseworker (saksbehandler)"
    );
    server.assert_audit_intact();
}

/// Who erased the submission `reference` today, as the privacy officer's report says.
fn erased_by(server: &Server, reference: &str) -> String {
    let today = SystemClock.now().norwegian_day().to_string();
    let out = server.run_forms(&["audit", "export", "--from", &today, "--to", &today], None);
    let report = String::from_utf8_lossy(&out.stdout);
    // Columns: time, who, what, reference, queue, two spaces or more apart.
    let columns = |line: &str| -> Vec<String> {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    report
        .lines()
        .map(columns)
        .find(|c| c.len() == 5 && c[2] == "slettet etter krav fra innbyggeren" && c[3] == reference)
        .unwrap_or_else(|| panic!("no erasure of {reference}: {report}"))[1]
        .clone()
}

/// A form behind login that the archive law keeps, for the citizen's own erasure.
pub(crate) const KEPT_FORM: &str = "id: byggesoknad-enkel
title: { nb: Enkel byggesøknad }
languages: [nb]
auth: substantial
route: { queue: byggesak }
retention: { months: 60, required_by: arkivlova § 6 }
privacy: { purpose: { nb: Test, nn: Test, en: Test }, legal_basis: { nb: Test, nn: Test, en: Test } }
fields:
  - id: tiltak
    type: textarea
    label: { nb: Hva vil du bygge? }
    required: true
";

/// Logged in already: fills in `form` with `answers`, sends it, and returns the reference.
pub(crate) async fn send(
    server: &Server,
    browser: &Browser,
    form: &str,
    answers: &[(&str, &str)],
) -> String {
    reference_on(&receipt(server, browser, &format!("/skjema/{form}"), answers).await)
}

/// Fills in the form at `path` (a query may pick the language) with `answers`, goes
/// through its pages and sends it; the receipt page.
pub(crate) async fn receipt(
    server: &Server,
    browser: &Browser,
    path: &str,
    answers: &[(&str, &str)],
) -> Page {
    let mut page = browser.get(&format!("{}{path}", server.url)).await;
    let mut changes = answers.to_vec();
    changes.push(("_action", "next"));
    for _ in 0..3 {
        page = submit(browser, &page, &changes).await;
        assert_eq!(page.status, 200, "{}", page.body);
        if page.body.contains("class=\"reference\"") {
            return page;
        }
        changes = vec![("_action", "send")];
    }
    panic!("no receipt: {}", page.body)
}

/// The main content's link whose text begins with `text`, as an absolute URL.
fn link(page: &Page, text_then_reference: &str) -> Option<String> {
    let at = page.body.find(&format!(">{text_then_reference}"))?;
    let tag = &page.body[..at];
    let href = tag.rsplit("href=\"").next()?.split('"').next()?;
    Some(format!(
        "{}{}",
        page.url.split("/mine-innsendinger").next().unwrap(),
        href.replace("&amp;", "&")
    ))
}

/// The citizen erases their own submission from "Mine innsendinger": asked first, with
/// the CSRF token, only their own, and not one the law keeps; the caseworker's queue no
/// longer has it, and the audit log says the citizen erased it.
#[tokio::test(flavor = "multi_thread")]
async fn a_citizen_erases_their_own_submission_unless_the_law_keeps_it() {
    let mut server = Server::prepare_with_login(Backend::Sqlite).await;
    std::fs::write(server.schemas().join("byggesoknad-enkel.yaml"), KEPT_FORM).unwrap();
    tokio::task::block_in_place(|| server.launch());
    let kari = server.browser();
    let login = kari
        .get(&format!("{}/skjema/sikker-melding", server.url))
        .await;
    pick(&kari, &login, "0", SUBSTANTIAL, "none").await;
    let message = send(
        &server,
        &kari,
        "sikker-melding",
        &[("melding", "Jeg angrer på denne meldingen")],
    )
    .await;
    let kept = send(
        &server,
        &kari,
        "byggesoknad-enkel",
        &[("tiltak", "En garasje på 40 kvadratmeter")],
    )
    .await;
    let (_, token) = server.add_caseworker("servicetorget");
    assert_eq!(server.listed(&token, "servicetorget").await.len(), 1);

    // The list offers to erase the message, and says which law keeps the application.
    let mine = kari.get(&format!("{}/mine-innsendinger", server.url)).await;
    assert_eq!(mine.status, 200);
    let erase_message = link(
        &mine,
        &format!("Slett<span class=\"visually-hidden\"> {message}"),
    )
    .unwrap_or_else(|| panic!("no erase link for {message}: {}", mine.body));
    assert!(
        link(
            &mine,
            &format!("Slett<span class=\"visually-hidden\"> {kept}")
        )
        .is_none(),
        "the kept application has no erase link"
    );
    let until = SystemClock.now().plus_months(60).norwegian_day();
    let kept_text = format!("Oppbevares til {} etter arkivlova § 6", until.display_nb());
    assert!(mine.body.contains(&kept_text), "{kept_text}: {}", mine.body);

    // The kept one, asked for by its address: the law and the day, and no erasure even
    // when posted.
    let kept_page = kari
        .get(&format!("{}/mine-innsendinger/{kept}/slett", server.url))
        .await;
    assert_eq!(kept_page.status, 200);
    assert!(kept_page.body.contains("kan ikke slettes ennå"));
    assert!(kept_page.body.contains("etter arkivlova § 6"));
    let csrf = kari.cookie(&server.url, "__Host-csrf").unwrap();
    let posted = kari
        .go(
            &format!("{}/mine-innsendinger/{kept}/slett", server.url),
            Some(&[("_csrf".to_string(), csrf.clone())]),
        )
        .await;
    assert_eq!(posted.status, 409, "{}", posted.body);

    // Asked first, in the citizen's language; a post without the token erases nothing.
    let english = kari.get(&erase_message.replace("lang=nb", "lang=en")).await;
    assert!(
        english
            .body
            .contains("Do you want to delete the submission?")
    );
    let confirm = kari.get(&erase_message).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Vil du slette innsendingen?"));
    assert!(confirm.body.contains(&message));
    let forged = kari.go(&confirm.form_action(), Some(&[])).await;
    assert_eq!(forged.status, 403);
    assert_eq!(server.listed(&token, "servicetorget").await.len(), 1);

    // Another person cannot erase it, even with a token of their own.
    let ola = server.browser();
    let login = ola
        .get(&format!("{}/mine-innsendinger/{message}/slett", server.url))
        .await;
    let theirs = pick(&ola, &login, "1", SUBSTANTIAL, "none").await;
    assert_eq!(theirs.status, 404, "{}", theirs.body);
    let ola_csrf = ola.cookie(&server.url, "__Host-csrf").unwrap();
    let posted = ola
        .go(
            &confirm.form_action(),
            Some(&[("_csrf".to_string(), ola_csrf)]),
        )
        .await;
    assert_eq!(posted.status, 404);
    assert_eq!(server.listed(&token, "servicetorget").await.len(), 1);

    // Confirmed: gone from the citizen's list and from the caseworker's queue.
    let done = submit(&kari, &confirm, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Innsendingen er slettet"));
    assert!(
        done.body.contains("href=\"/mine-innsendinger?lang=en\""),
        "its language switch leads to the list, not to the erased address"
    );
    let mine = kari.get(&format!("{}/mine-innsendinger", server.url)).await;
    assert!(!mine.body.contains(&message));
    assert!(mine.body.contains(&kept));
    assert!(server.listed(&token, "servicetorget").await.is_empty());
    let again = submit(&kari, &confirm, &[]).await;
    assert_eq!(again.status, 404, "erased once, gone after");

    // The report says the citizen erased it.
    assert_eq!(erased_by(&server, &message), "innbygger");
    server.assert_audit_intact();
}
