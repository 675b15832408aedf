//! A citizen's right of access (GDPR article 15): the caseworker who answers an innsyn
//! request sees what the server holds about its sender in every queue (each
//! submission's metadata and history, never its answers) and nothing of anyone else;
//! the citizen sees each submission's history under "Mine innsendinger" themself.

use forms_server::clock::{Clock, SystemClock};
use serde_json::json;

use crate::citizen_login::{SUBSTANTIAL, ask_for_access, log_in, pick};
use crate::erase::{KEPT_FORM, send};
use crate::support::{Backend, Browser, Server, canary};

/// A privacy request form open without login, to show that such a request links to
/// nothing.
const OPEN_REQUEST: &str = "id: innsyn-apent
title: { nb: Innsyn uten innlogging }
languages: [nb]
auth: none
route: { queue: personvern }
retention: { months: 12 }
privacy_request: true
privacy: { purpose: { nb: Test, nn: Test, en: Test }, legal_basis: { nb: Test, nn: Test, en: Test } }
fields:
  - id: message
    type: textarea
    label: { nb: Hva vil du se? }
    required: true
";

/// A server with login and one more form, `schema` in file `name`.
async fn server_with(name: &str, schema: &str) -> Server {
    let mut server = Server::prepare_with_login(Backend::Sqlite).await;
    std::fs::write(server.schemas().join(name), schema).unwrap();
    tokio::task::block_in_place(|| server.launch());
    server
}

/// Ola logs in and writes to the service desk: his browser and the reference.
async fn olas_message(server: &Server) -> (Browser, String) {
    let ola = server.browser();
    let login = ola
        .get(&format!("{}/skjema/sikker-melding", server.url))
        .await;
    pick(&ola, &login, "1", SUBSTANTIAL, "none").await;
    let reference = send(server, &ola, "sikker-melding", &[("melding", "Fra Ola")]).await;
    (ola, reference)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_privacy_request_shows_what_is_held_about_its_sender_in_every_queue() {
    let server = server_with("innsyn-apent.yaml", OPEN_REQUEST).await;

    // Kari writes to the service desk, then asks what the municipality holds about her.
    let kari = server.browser();
    log_in(&server, &kari, "sikker-melding", SUBSTANTIAL).await;
    let secret = canary("access");
    let message = send(
        &server,
        &kari,
        "sikker-melding",
        &[("melding", &format!("Om naboen min {secret}"))],
    )
    .await;
    let request = ask_for_access(&server, &kari, &[]).await;
    // Ola writes to the service desk too.
    let (ola, olas) = olas_message(&server).await;

    // The service desk takes Kari's message.
    let (desk_file, desk_token) = server.add_caseworker("servicetorget");
    server.caseworker_ok(&desk_file, &["take", "--id", &message]);

    // The privacy queue's caseworker sees both of Kari's submissions, newest first,
    // where they are, and who has done what with them; nothing of Ola's, and no answer.
    let (privacy_file, privacy_token) = server.add_caseworker("personvern");
    let report = server.caseworker_ok(&privacy_file, &["subject-access", "--id", &request]);
    assert!(
        report.contains(&format!("innbyggeren som sendte {request}")),
        "{report}"
    );
    assert!(report.contains("2 innsending(er)"), "{report}");
    let request_at = report
        .find(&format!("{request}  skjema innsyn, kø personvern"))
        .unwrap_or_else(|| panic!("{report}"));
    let message_at = report
        .find(&format!(
            "{message}  skjema sikker-melding, kø servicetorget"
        ))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(request_at < message_at, "newest first: {report}");
    let about_message = &report[message_at..];
    assert!(
        about_message.contains("under behandling hos Test Caseworker"),
        "{report}"
    );
    let history: Vec<&str> = about_message.lines().skip(4).collect();
    assert!(
        history[0].contains("innbygger") && history[0].contains("innsending mottatt"),
        "{report}"
    );
    assert!(
        history
            .iter()
            .any(|l| l.contains("Test Caseworker (saksbehandler)")
                && l.contains("tatt til behandling")),
        "{report}"
    );
    assert!(!report.contains(&olas), "{report}");
    assert!(!report.contains(&secret) && !report.contains("17819010188"));

    // The same through the API, as the OpenAPI file describes it.
    let client = server.client();
    let ask = |token: &str, id: &str| {
        let request = client
            .get(format!(
                "{}/api/v1/submissions/{id}/subject-access",
                server.url
            ))
            .bearer_auth(token);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let id_of = |items: &[serde_json::Value], reference: &str| {
        items.iter().find(|i| i["reference"] == reference).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let request_id = id_of(&server.listed(&privacy_token, "personvern").await, &request);
    let (status, body) = ask(&privacy_token, &request_id).await;
    assert_eq!(status, 200);
    let held = body["submissions"].as_array().unwrap();
    assert_eq!(held.len(), 2, "{body}");
    assert_eq!(held[1]["queue"], "servicetorget");
    assert_eq!(held[1]["status"], "in_progress");
    assert_eq!(
        held[1]["reply_address"], true,
        "her address from KRR, for the answer"
    );
    assert_eq!(held[1]["notes"], 0);
    let actions: Vec<&str> = held[1]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["submission.received", "submission.taken"],
        "{body}"
    );
    assert!(
        held[0]["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "subject_access.reported"
                && e["actor_name"] == "Test Caseworker"),
        "the report is itself an audit entry on the request: {body}"
    );

    // Kari sees the same history herself, on her submission's own page, linked from
    // her list; Ola cannot open it.
    let mine = kari.get(&format!("{}/mine-innsendinger", server.url)).await;
    assert!(
        mine.body
            .contains(&format!("href=\"/mine-innsendinger/{message}?lang=nb\"")),
        "{}",
        mine.body
    );
    let own = kari
        .get(&format!("{}/mine-innsendinger/{message}", server.url))
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    let received = own.body.find("<td>Mottatt</td><td>Deg</td>");
    let taken = own
        .body
        .find("<td>Tatt til behandling</td><td>Test Caseworker, saksbehandler</td>");
    assert!(
        received.is_some() && taken.is_some() && received < taken,
        "{}",
        own.body
    );
    assert!(own.body.contains("Under behandling"), "{}", own.body);
    assert!(!own.body.contains(&secret));
    let english = kari
        .get(&format!(
            "{}/mine-innsendinger/{message}?lang=en",
            server.url
        ))
        .await;
    assert!(
        english
            .body
            .contains("<td>Taken up to be dealt with</td><td>Test Caseworker, caseworker</td>"),
        "{}",
        english.body
    );
    let not_hers = ola
        .get(&format!("{}/mine-innsendinger/{message}", server.url))
        .await;
    assert_eq!(not_hers.status, 404);
    assert!(!not_hers.body.contains("Test Caseworker"));

    // Only a privacy request links to its sender's submissions.
    let message_id = id_of(&server.listed(&desk_token, "servicetorget").await, &message);
    let (status, problem) = ask(&desk_token, &message_id).await;
    assert_eq!(status, 409);
    assert_eq!(problem["title"], "Not a privacy request");
    let refused = server.caseworker(&desk_file, &["subject-access", "--id", &message]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("privacy request"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // Another queue's caseworker cannot ask about the request.
    let (status, _) = ask(&desk_token, &request_id).await;
    assert_eq!(status, 404);

    // A request sent without login links to nothing, and the caseworker is told why.
    let (status, body) = server
        .submit_json(
            &client,
            "innsyn-apent",
            json!({"answers": {"message": "Hva har dere om meg?"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let open = body["reference"].as_str().unwrap();
    let refused = server.caseworker(&privacy_file, &["subject-access", "--id", open]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("409") && said.contains("without login"),
        "{said}"
    );

    // The privacy officer's report names the access report, by whom and on what.
    let today = SystemClock.now().norwegian_day().to_string();
    let out = server.run_forms(&["audit", "export", "--from", &today, "--to", &today], None);
    let audit = String::from_utf8_lossy(&out.stdout);
    assert!(
        audit
            .lines()
            .any(|l| l.contains("Test Caseworker (saksbehandler)")
                && l.contains("innsyn: oversikt")
                && l.contains(&request)),
        "{audit}"
    );
    server.assert_audit_intact();
    assert!(!server.log().contains(&secret));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_for_erasure_erases_the_senders_submissions_in_every_queue_but_what_a_law_keeps()
{
    let server = server_with("byggesoknad-enkel.yaml", KEPT_FORM).await;

    // Kari writes twice to the service desk and once in a case the archive law keeps,
    // then asks the municipality to delete what it holds about her. Ola writes too.
    let kari = server.browser();
    log_in(&server, &kari, "sikker-melding", SUBSTANTIAL).await;
    let secret = canary("erasure");
    let first = send(
        &server,
        &kari,
        "sikker-melding",
        &[("melding", &format!("Første {secret}"))],
    )
    .await;
    let second = send(&server, &kari, "sikker-melding", &[("melding", "Andre")]).await;
    let archived = send(
        &server,
        &kari,
        "byggesoknad-enkel",
        &[("tiltak", "Garasje")],
    )
    .await;
    let request = send(
        &server,
        &kari,
        "retting",
        &[("hva", "sletting"), ("opplysninger", "Alt dere har om meg")],
    )
    .await;
    let (_, olas) = olas_message(&server).await;

    // The service desk has pulled its messages onto its own machine.
    let (desk_file, _) = server.add_caseworker("servicetorget");
    let inbox = crate::support::TempDir::new("erasure-inbox");
    server.pull(&desk_file, "servicetorget", inbox.path());
    for reference in [&first, &second, &olas] {
        assert!(inbox.path().join(format!("{reference}.txt")).exists());
    }

    // A reference that is not one of Kari's refuses the whole, and nothing is erased.
    let (privacy_file, privacy_token) = server.add_caseworker("personvern");
    let refused = server.caseworker(
        &privacy_file,
        &[
            "subject-erasure",
            "--id",
            &request,
            "--only",
            &first,
            "--only",
            &olas,
        ],
    );
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("422") && said.contains(&olas) && said.contains("Nothing was erased"),
        "{said}"
    );
    let report = server.caseworker_ok(&privacy_file, &["subject-access", "--id", &request]);
    assert!(report.contains("4 innsending(er)"), "{report}");
    // Through the API, an empty ?only= is refused rather than read as "all".
    let request_id = server.listed(&privacy_token, "personvern").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let empty = server
        .client()
        .post(format!(
            "{}/api/v1/submissions/{request_id}/subject-erasure?only=",
            server.url
        ))
        .bearer_auth(&privacy_token)
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);
    let report = server.caseworker_ok(&privacy_file, &["subject-access", "--id", &request]);
    assert!(report.contains("4 innsending(er)"), "{report}");

    // Only the one she names, then all the rest: what the archive law keeps stays, with
    // the law and the day it goes; the request stays as the record of the answer.
    let only = server.caseworker_ok(
        &privacy_file,
        &["subject-erasure", "--id", &request, "--only", &first],
    );
    assert!(
        only.contains(&format!(
            "{first}  skjema sikker-melding, kø servicetorget: slettet"
        )),
        "{only}"
    );
    assert!(only.contains("1 innsending(er)"), "{only}");
    let rest = server.caseworker_ok(&privacy_file, &["subject-erasure", "--id", &request]);
    assert!(rest.contains("2 innsending(er)"), "{rest}");
    assert!(
        rest.contains(&format!(
            "{second}  skjema sikker-melding, kø servicetorget: slettet"
        )),
        "{rest}"
    );
    let year = SystemClock.now().norwegian_day().to_string()[..4]
        .parse::<i32>()
        .unwrap();
    assert!(
        rest.contains(&format!(
            "{archived}  skjema byggesoknad-enkel, kø byggesak: beholdes til "
        )) && rest.contains(&format!(".{} fordi arkivlova § 6 krever det", year + 5)),
        "{rest}"
    );
    assert!(
        rest.contains(&format!("Kravet {request} beholdes som dokumentasjon")),
        "{rest}"
    );
    assert!(!rest.contains(&olas) && !rest.contains(&secret));
    let report = server.caseworker_ok(&privacy_file, &["subject-access", "--id", &request]);
    assert!(report.contains("2 innsending(er)"), "{report}");
    assert!(!report.contains(&first) && !report.contains(&second));

    // Ola's message is untouched; the desk's next pull deletes its copies of Kari's.
    server.pull(&desk_file, "servicetorget", inbox.path());
    for reference in [&first, &second] {
        assert!(!inbox.path().join(format!("{reference}.txt")).exists());
        assert!(!inbox.path().join(format!("{reference}.json")).exists());
    }
    assert!(inbox.path().join(format!("{olas}.txt")).exists());

    // Kari sees on her request's page that it was carried out; her list keeps what the
    // law keeps.
    let page = kari
        .get(&format!("{}/mine-innsendinger/{request}", server.url))
        .await;
    assert!(
        page.body.contains("Kravet om sletting utført"),
        "{}",
        page.body
    );
    let mine = kari.get(&format!("{}/mine-innsendinger", server.url)).await;
    assert!(mine.body.contains(&archived) && !mine.body.contains(&second));

    // The privacy officer's report names each erasure, by whom, and the whole.
    let today = SystemClock.now().norwegian_day().to_string();
    let out = server.run_forms(&["audit", "export", "--from", &today, "--to", &today], None);
    let audit = String::from_utf8_lossy(&out.stdout);
    for reference in [&first, &second] {
        assert!(
            audit
                .lines()
                .any(|l| l.contains("Test Caseworker (saksbehandler)")
                    && l.contains("slettet etter krav fra innbyggeren")
                    && l.contains(reference.as_str())),
            "{audit}"
        );
    }
    assert!(
        audit
            .lines()
            .any(|l| l.contains("sletting etter krav") && l.contains(&request)),
        "{audit}"
    );

    // Only a privacy request can erase across queues.
    let refused = server.caseworker(&desk_file, &["subject-erasure", "--id", &olas]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("privacy request"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    server.assert_audit_intact();
    assert!(!server.log().contains(&secret));
}

/// The newsletter subscriptions of the address KRR has for a citizen are part of what
/// is held about them: her access request's report lists them, and neither another
/// address's nor that of an address she typed into the form; her request for erasure
/// ends them. A citizen without an address in KRR is told that none could be looked up.
#[tokio::test(flavor = "multi_thread")]
async fn a_privacy_request_reaches_the_newsletter_subscriptions_of_the_senders_krr_address() {
    use crate::citizen_login::KARI_EMAIL;
    use crate::newsletter::{SITE, site_config, subscribed};
    let work = crate::support::TempDir::new("access-newsletters");
    let port = crate::support::free_port();
    let mut server = Server::prepare_with_login(Backend::Sqlite).await;
    server.append_config(&site_config(port));
    tokio::task::block_in_place(|| server.launch());
    let (_smtp, received) = crate::reply::start_smtp(&server, port, &work);

    // Kari has subscribed to roadworks with the address KRR has for her; someone else
    // with an address of their own.
    let mailbox = Browser::new(&[&server.cert_pem]);
    let karis = subscribed(&server, &mailbox, &received, KARI_EMAIL).await;
    let other = format!("{}@example.no", canary("other").to_lowercase());
    let others = subscribed(&server, &mailbox, &received, &other).await;
    let opens = |link: &str| {
        let url = link.replace(SITE, &server.url);
        let mailbox = &mailbox;
        async move { mailbox.get(&url).await.status }
    };

    // She asks for access, with the other address typed into the form's e-mail field.
    let kari = server.browser();
    log_in(&server, &kari, "innsyn", SUBSTANTIAL).await;
    let request = ask_for_access(&server, &kari, &[("epost", &other)]).await;
    let (privacy_file, privacy_token) = server.add_caseworker("personvern");
    let report = server.caseworker_ok(&privacy_file, &["subject-access", "--id", &request]);
    assert!(
        report.contains(&format!(
            "1 abonnement på nyhetsbrev til {KARI_EMAIL}, adressen KRR hadde"
        )),
        "{report}"
    );
    assert!(
        report.contains("skjema nyhetsbrev: Veiarbeid og trafikk; påmeldt ")
            && report.contains(", bekreftet "),
        "{report}"
    );
    assert!(!report.contains(&other), "{report}");

    // The same through the API, with what the OpenAPI file requires.
    let spec: serde_json::Value = serde_saphyr::from_str(crate::openapi::SPEC).unwrap();
    let request_id = server.listed(&privacy_token, "personvern").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body: serde_json::Value = server
        .client()
        .get(format!(
            "{}/api/v1/submissions/{request_id}/subject-access",
            server.url
        ))
        .bearer_auth(&privacy_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["newsletters"]["address"], KARI_EMAIL, "{body}");
    let subscriptions = body["newsletters"]["subscriptions"].as_array().unwrap();
    assert_eq!(subscriptions.len(), 1, "{body}");
    for key in crate::openapi::required(&spec, "Subscription") {
        assert!(subscriptions[0].get(&key).is_some(), "{key} in {body}");
    }
    assert_eq!(subscriptions[0]["form"], "nyhetsbrev");
    assert_eq!(
        subscriptions[0]["topics"],
        json!([{"value": "vei", "label": "Veiarbeid og trafikk"}])
    );

    // She asks for erasure: the subscription ends, and its link no longer opens; the
    // other address's stays.
    let erasure = send(
        &server,
        &kari,
        "retting",
        &[
            ("hva", "sletting"),
            ("opplysninger", "Alt, også nyhetsbrevet"),
        ],
    )
    .await;
    let said = server.caseworker_ok(&privacy_file, &["subject-erasure", "--id", &erasure]);
    assert!(
        said.contains("1 abonnement på nyhetsbrev avsluttet og slettet")
            && said.contains("skjema nyhetsbrev: Veiarbeid og trafikk"),
        "{said}"
    );
    assert_eq!(opens(&karis).await, 404);
    assert_eq!(opens(&others).await, 200);
    let report = server.caseworker_ok(&privacy_file, &["subject-access", "--id", &erasure]);
    assert!(
        report.contains(&format!("Ingen abonnement på nyhetsbrev til {KARI_EMAIL}")),
        "{report}"
    );
    let ended = server.metrics().await;
    let erased = [("reason", "erased")];
    assert_eq!(
        ended.get("forms_newsletter_subscriptions_ended_total", &erased),
        1.0
    );

    // A citizen KRR has no address for: the report says none could be looked up, even
    // with an address typed into the form.
    let reserved = server.browser();
    let login = reserved.get(&format!("{}/skjema/innsyn", server.url)).await;
    pick(&reserved, &login, "2", SUBSTANTIAL, "none").await;
    let theirs = ask_for_access(&server, &reserved, &[("epost", &other)]).await;
    let report = server.caseworker_ok(&privacy_file, &["subject-access", "--id", &theirs]);
    assert!(
        report.contains("Ingen e-postadresse fra KRR er lagret med kravet"),
        "{report}"
    );
    assert!(!report.contains(&other), "{report}");

    // The addresses are in neither the database nor the log.
    let stored = server.sqlite_bytes();
    let log = server.log();
    for address in [KARI_EMAIL, other.as_str()] {
        assert!(
            !crate::support::contains(&stored, address),
            "{address} stored"
        );
        assert!(!log.contains(address), "{address} logged");
    }
    server.assert_audit_intact();
}
