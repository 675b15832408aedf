//! Login as a citizen meets it: through the server's own pages, a cookie-keeping client
//! and the ID-porten simulator, over real TLS. A form that needs login sends the
//! citizen to ID-porten and back, prefilled from KRR; what they send carries who they
//! are; they find it under "Mine innsendinger"; sessions end on logout either way, when
//! idle and when old; a broken provider leaves no session behind.

use std::sync::Arc;
use std::time::{Duration, Instant};

use forms_server::clock::{Clock, ManualClock, SystemClock};
use serde_json::Value;

use crate::support::{Backend, Browser, Page, Postgres, Server, TempDir, contains, submit};

const KARI_PID: &str = "17819010188";
pub(crate) const KARI_EMAIL: &str = "kari.nordmann@example.no";
const KARI_MOBILE: &str = "+4791234567";
const SESSION: &str = "__Host-session";
pub(crate) const SUBSTANTIAL: &str = "idporten-loa-substantial Minid-PIN";
const HIGH: &str = "idporten-loa-high BankID";

/// At the simulator's authorize page: picks person, level and fault, and follows
/// the way back.
pub(crate) async fn pick(
    browser: &Browser,
    page: &Page,
    person: &str,
    level: &str,
    fault: &str,
) -> Page {
    assert!(
        page.url.contains("/authorize?"),
        "expected the simulator's login page, got {} ({})",
        page.url,
        page.status
    );
    submit(
        browser,
        page,
        &[("person", person), ("level", level), ("fault", fault)],
    )
    .await
}

/// Opens a form and logs in as Kari at `level`; returns the form page.
pub(crate) async fn log_in(server: &Server, browser: &Browser, form: &str, level: &str) -> Page {
    let page = browser.get(&format!("{}/skjema/{form}", server.url)).await;
    pick(browser, &page, "0", level, "none").await
}

fn issuer(server: &Server) -> &str {
    server.issuer.as_deref().unwrap()
}

/// Whether the browser still has a session: "Mine innsendinger" opens, rather than
/// sending it to log in.
pub(crate) async fn has_session(server: &Server, browser: &Browser) -> bool {
    let page = browser
        .get(&format!("{}/mine-innsendinger", server.url))
        .await;
    if page.url.starts_with(issuer(server)) {
        return false;
    }
    assert_eq!(page.status, 200, "{}", page.body);
    true
}

pub(crate) fn reference_on(receipt: &Page) -> String {
    receipt
        .body
        .split("class=\"reference\"")
        .nth(1)
        .and_then(|rest| rest.split("<strong>").nth(1))
        .and_then(|rest| rest.split("</strong>").next())
        .unwrap_or_else(|| panic!("no reference on the receipt: {}", receipt.body))
        .to_string()
}

/// Logged in already: sends the access request (innsyn) for everything, digitally,
/// with `changes` on its first page; returns the reference.
pub(crate) async fn ask_for_access(
    server: &Server,
    browser: &Browser,
    changes: &[(&str, &str)],
) -> String {
    let form = browser.get(&format!("{}/skjema/innsyn", server.url)).await;
    let first = [changes, &[("_action", "next")]].concat();
    let page2 = submit(browser, &form, &first).await;
    assert_eq!(page2.status, 200, "{}", page2.body);
    let summary = submit(
        browser,
        &page2,
        &[
            ("omrader", "alt"),
            ("levering", "digitalt"),
            ("_action", "next"),
        ],
    )
    .await;
    assert!(
        summary.body.contains("Se over før du sender"),
        "{}",
        summary.body
    );
    let receipt = submit(browser, &summary, &[("_action", "send")]).await;
    assert_eq!(receipt.status, 200, "{}", receipt.body);
    reference_on(&receipt)
}

/// Acceptance 1, 3 (new id at login, CSRF, RP-initiated logout), 6 and 7 on one backend.
async fn login_prefill_send_list_and_log_out(backend: Backend, dump: impl Fn(&Server) -> Vec<u8>) {
    let server = Server::start_with_login(backend).await;
    let browser = server.browser();

    // Opening a form that needs login goes to ID-porten, asking for the form's level.
    let login_page = browser.get(&format!("{}/skjema/innsyn", server.url)).await;
    assert!(
        login_page.url.starts_with(issuer(&server)),
        "{}",
        login_page.url
    );
    assert_eq!(
        login_page.input_value("acr_values").as_deref(),
        Some("idporten-loa-substantial")
    );
    assert_eq!(login_page.input_value("ui_locales").as_deref(), Some("nb"));
    assert!(
        !login_page.url.contains("innsyn"),
        "no form data in the URL"
    );
    let before = browser
        .cookie(&server.url, SESSION)
        .expect("a session for the login");

    // Back on the form, prefilled from ID-porten and KRR, under a new session id.
    let form = pick(&browser, &login_page, "0", SUBSTANTIAL, "none").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.url
            .starts_with(&format!("{}/skjema/innsyn", server.url))
    );
    assert_eq!(form.input_value("fnr").as_deref(), Some(KARI_PID));
    assert_eq!(form.input_value("epost").as_deref(), Some(KARI_EMAIL));
    assert_eq!(form.input_value("mobil").as_deref(), Some(KARI_MOBILE));
    assert!(form.body.contains("Du er logget inn med ID-porten"));
    let after = browser
        .cookie(&server.url, SESSION)
        .expect("a session after login");
    assert_ne!(before, after, "the session id changes at login");
    let stale = Browser::new(&[&server.cert_pem]);
    stale.set_cookie(&server.url, SESSION, &before);
    assert!(
        !has_session(&server, &stale).await,
        "the id from before login is worth nothing"
    );

    // A logged-in post without the CSRF token is refused, and the session survives.
    let forged = browser
        .go(
            &form.form_action(),
            Some(&[
                ("_page".to_string(), "0".to_string()),
                ("_action".to_string(), "next".to_string()),
            ]),
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let logout_forged = browser
        .go(&format!("{}/utlogging", server.url), Some(&[]))
        .await;
    assert_eq!(logout_forged.status, 403);
    assert!(has_session(&server, &browser).await);

    // The citizen changes the mobile number, steps through and sends.
    let reference = ask_for_access(&server, &browser, &[("mobil", "+4798765432")]).await;

    // The caseworker's payload says who sent it and where each prefilled value came from.
    let (token_file, _) = server.add_caseworker("personvern");
    let inbox = TempDir::new("login-inbox");
    server.pull(&token_file, "personvern", inbox.path());
    let payload: Value = serde_json::from_slice(
        &std::fs::read(inbox.path().join(format!("{reference}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(payload["auth"]["pid"], KARI_PID);
    assert_eq!(payload["auth"]["acr"], "idporten-loa-substantial");
    assert_eq!(payload["auth"]["amr"], serde_json::json!(["Minid-PIN"]));
    let prefill = &payload["prefill"];
    assert_eq!(prefill["fnr"]["source"], "idporten.pid");
    assert_eq!(prefill["fnr"]["changed"], false);
    assert_eq!(prefill["epost"]["source"], "krr.email");
    assert_eq!(prefill["epost"]["prefilled"], true);
    assert_eq!(prefill["epost"]["changed"], false);
    assert_eq!(prefill["mobil"]["source"], "krr.mobile");
    assert_eq!(prefill["mobil"]["changed"], true);
    assert!(
        payload["answers"]["mobil"]
            .to_string()
            .contains("+4798765432")
    );

    // "Mine innsendinger" lists it.
    let mine = browser
        .get(&format!("{}/mine-innsendinger", server.url))
        .await;
    assert_eq!(mine.status, 200);
    assert!(mine.body.contains(&reference), "{}", mine.body);
    assert!(mine.body.contains("Be om innsyn i dine personopplysninger"));
    assert!(mine.body.contains("Mottatt"));

    // Logging out ends the session here and at ID-porten, and comes back to us.
    let csrf = mine.body.split("name=\"_csrf\" value=\"").nth(1).unwrap();
    let csrf = csrf.split('"').next().unwrap().to_string();
    let out = browser
        .go(
            &format!("{}/utlogging?lang=nb", server.url),
            Some(&[("_csrf".to_string(), csrf)]),
        )
        .await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(
        out.url.starts_with(&format!("{}/utlogget", server.url)),
        "{}",
        out.url
    );
    assert!(out.body.contains("Du er logget ut"));
    assert!(browser.cookie(&server.url, SESSION).is_none());
    let again = Browser::new(&[&server.cert_pem]);
    again.set_cookie(&server.url, SESSION, &after);
    assert!(!has_session(&server, &again).await);

    // Canary: the person's number, e-mail and mobile, and the session ids, are in no
    // log line and nowhere in plaintext in the database.
    let log = server.log();
    let stored = dump(&server);
    for secret in [
        KARI_PID,
        KARI_EMAIL,
        KARI_MOBILE,
        "4791234567",
        &before,
        &after,
    ] {
        assert!(!log.contains(secret), "{secret} in the log");
        assert!(!contains(&stored, secret), "{secret} in the database");
    }
    // Nor any token: a JWT (ID token, client assertion) starts with "eyJ", base64 of '{"'.
    assert!(!log.contains("eyJ"), "a token in the log");
    assert!(!contains(&stored, "eyJ"), "a token in the database");

    // The login is in the audit log, without the person's number.
    let report = server.run_forms(
        &[
            "audit",
            "export",
            "--from",
            "2000-01-01",
            "--to",
            "2999-12-31",
        ],
        None,
    );
    let report = String::from_utf8_lossy(&report.stdout).into_owned();
    assert!(
        report.contains("innbygger logget inn med ID-porten"),
        "{report}"
    );
    assert!(!report.contains(KARI_PID));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_citizen_logs_in_is_prefilled_sends_and_logs_out_on_sqlite() {
    login_prefill_send_list_and_log_out(Backend::Sqlite, Server::sqlite_bytes).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_citizen_logs_in_is_prefilled_sends_and_logs_out_on_postgres() {
    let pg = Postgres::start();
    let url = pg.url.clone();
    login_prefill_send_list_and_log_out(Backend::Postgres(url), |_| pg.dump().into_bytes()).await;
}

/// The error page of a failed login, and no session left: neither a cookie in the
/// browser nor a row behind the id it had.
async fn assert_failed(server: &Server, browser: &Browser, page: &Page, had: &str, case: &str) {
    assert_eq!(page.status, 400, "{case}: {}", page.body);
    assert!(
        page.body.contains("Innloggingen ble ikke fullført"),
        "{case}: {}",
        page.body
    );
    assert!(
        browser.cookie(&server.url, SESSION).is_none(),
        "{case}: cookie kept"
    );
    let stale = Browser::new(&[&server.cert_pem]);
    stale.set_cookie(&server.url, SESSION, had);
    assert!(!has_session(server, &stale).await, "{case}: session kept");
}

/// Starts a login at the form; returns the browser, the simulator's page and the
/// session id the login waits in.
async fn start_login(server: &Server, form: &str) -> (Browser, Page, String) {
    let browser = server.browser();
    let page = browser.get(&format!("{}/skjema/{form}", server.url)).await;
    let session = browser.cookie(&server.url, SESSION).unwrap();
    (browser, page, session)
}

/// The simulator's answer to a login, not followed: the callback address.
async fn callback_of(browser: &Browser, page: &Page, fault: &str) -> reqwest::Url {
    let values = page.form_with(&[("person", "0"), ("level", SUBSTANTIAL), ("fault", fault)]);
    let response = browser.hop(&page.form_action(), Some(&values)).await;
    assert_eq!(response.status(), 303);
    reqwest::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

fn with_state(url: &reqwest::Url, state: Option<&str>) -> String {
    let mut url = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "state")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        for (k, v) in &pairs {
            query.append_pair(k, v);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    url.to_string()
}

/// Acceptance 2, through the server's own pages.
#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_or_broken_provider_ends_on_an_error_page_without_a_session() {
    let server = Server::start_with_login(Backend::Sqlite).await;
    let faults = [
        "wrong_nonce",
        "wrong_issuer",
        "wrong_audience",
        "expired",
        "alg_none",
        "hs256_public_key",
        "unknown_kid",
        "pid_missing",
        "pid_invalid",
        "wrong_iss_in_response",
    ];
    for fault in faults {
        let (browser, page, had) = start_login(&server, "innsyn").await;
        let page = pick(&browser, &page, "0", SUBSTANTIAL, fault).await;
        assert_failed(&server, &browser, &page, &had, fault).await;
    }

    // acr below the form's level: the kindergarten form needs high.
    let (browser, page, had) = start_login(&server, "barnehage").await;
    let page = pick(&browser, &page, "0", SUBSTANTIAL, "none").await;
    assert_failed(&server, &browser, &page, &had, "acr too low").await;

    // State missing, and state forged.
    for (case, state) in [("state missing", None), ("state forged", Some("forged"))] {
        let (browser, page, had) = start_login(&server, "innsyn").await;
        let back = callback_of(&browser, &page, "none").await;
        let page = browser.get(&with_state(&back, state)).await;
        assert_failed(&server, &browser, &page, &had, case).await;
    }

    // A code used twice: a second login presents the first one's code.
    let (first, page, _) = start_login(&server, "innsyn").await;
    let used = callback_of(&first, &page, "none").await;
    assert_eq!(first.get(used.as_str()).await.status, 200);
    let (second, page, had) = start_login(&server, "innsyn").await;
    let state = reqwest::Url::parse(&page.url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let page = second.get(&with_state(&used, Some(&state))).await;
    assert_failed(&server, &second, &page, &had, "code used twice").await;

    // Nothing of the tokens in the log: failures are logged by kind.
    let log = server.log();
    assert!(log.contains("\"kind\":\"id_token_invalid\""), "{log}");
    assert!(!log.contains(KARI_PID));
}

/// Acceptance 4, and people KRR has nothing for: the form opens, without prefill.
#[tokio::test(flavor = "multi_thread")]
async fn without_krr_details_the_form_opens_in_time_to_be_filled_in_by_hand() {
    let server = Server::start_with_login(Backend::Sqlite).await;
    // KRR waits 10 s in `krr_slow`; the server gives it 1 s.
    let cases = [
        ("0", "krr_slow", KARI_PID),
        ("0", "krr_down", KARI_PID),
        ("2", "none", "24837510089"),
        ("3", "none", "15920110034"),
    ];
    for (person, fault, pid) in cases {
        let (browser, page, _) = start_login(&server, "innsyn").await;
        let started = Instant::now();
        let form = pick(&browser, &page, person, SUBSTANTIAL, fault).await;
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{fault}: the form waited for KRR"
        );
        assert_eq!(form.status, 200, "{fault}: {}", form.body);
        assert_eq!(form.input_value("fnr").as_deref(), Some(pid), "{fault}");
        for field in ["epost", "mobil"] {
            let value = form.input_value(field).unwrap_or_default();
            assert!(value.is_empty(), "{fault}: {field} is {value}");
        }
        assert!(
            form.body
                .contains("Vi fant ikke alle kontaktopplysningene dine"),
            "{fault}"
        );
    }
}

/// Acceptance 5, and what was typed kept across a login.
#[tokio::test(flavor = "multi_thread")]
async fn a_high_form_asks_a_substantial_citizen_to_log_in_again_and_typed_answers_survive() {
    let server = Server::start_with_login(Backend::Sqlite).await;
    let browser = server.browser();
    let form = log_in(&server, &browser, "innsyn", SUBSTANTIAL).await;
    assert_eq!(form.status, 200);

    let page = browser
        .get(&format!("{}/skjema/barnehage", server.url))
        .await;
    assert_eq!(
        page.input_value("acr_values").as_deref(),
        Some("idporten-loa-high")
    );
    let form = pick(&browser, &page, "0", HIGH, "none").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.url
            .starts_with(&format!("{}/skjema/barnehage", server.url))
    );
    assert_eq!(form.input_value("epost").as_deref(), Some(KARI_EMAIL));
    // High satisfies substantial.
    let innsyn = browser.get(&format!("{}/skjema/innsyn", server.url)).await;
    assert!(innsyn.url.starts_with(&server.url), "{}", innsyn.url);

    // A form open to anyone with optional login offers it, for prefill.
    let other = server.browser();
    let open = other
        .get(&format!("{}/skjema/kontaktregister", server.url))
        .await;
    assert_eq!(open.status, 200);
    assert_eq!(open.input_value("epost").unwrap_or_default(), "");
    assert!(
        open.body
            .contains("href=\"/innlogging?skjema=kontaktregister&amp;lang=nb\""),
        "{}",
        open.body
    );
    let page = other
        .get(&format!(
            "{}/innlogging?skjema=kontaktregister&lang=nb",
            server.url
        ))
        .await;
    let prefilled = pick(&other, &page, "0", SUBSTANTIAL, "none").await;
    assert!(
        prefilled
            .url
            .starts_with(&format!("{}/skjema/kontaktregister", server.url))
    );
    assert_eq!(prefilled.input_value("epost").as_deref(), Some(KARI_EMAIL));

    // The session is lost while the citizen types: the post sends them to log in,
    // and they come back to what they had typed, which was never in a URL.
    let typed = "+4741111111";
    let values = innsyn.form_with(&[("mobil", typed), ("_action", "next")]);
    browser.set_cookie(&server.url, SESSION, "gone");
    let response = browser.hop(&innsyn.form_action(), Some(&values)).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(issuer(&server)));
    assert!(!location.contains("4741111111"));
    let page = browser.get(&location).await;
    let back = pick(&browser, &page, "0", SUBSTANTIAL, "none").await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.input_value("mobil").as_deref(), Some(typed));
    // Given back once: the next visit is prefilled afresh.
    let again = browser.get(&format!("{}/skjema/innsyn", server.url)).await;
    assert_eq!(again.input_value("mobil").as_deref(), Some(KARI_MOBILE));
}

/// Acceptance 3: front-channel logout by `sid`, in ID-porten's iframe, without our cookie.
#[tokio::test(flavor = "multi_thread")]
async fn front_channel_logout_ends_the_session_of_its_sid() {
    let server = Server::start_with_login(Backend::Sqlite).await;
    let browser = server.browser();
    log_in(&server, &browser, "innsyn", SUBSTANTIAL).await;
    assert!(has_session(&server, &browser).await);

    let sessions = browser.get(&format!("{}/sesjoner", issuer(&server))).await;
    assert!(sessions.body.contains("Kari Nordmann"), "{}", sessions.body);
    let ended = submit(&browser, &sessions, &[]).await;
    let src = ended
        .body
        .split("<iframe src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an iframe towards the client")
        .replace("&amp;", "&");
    assert!(src.starts_with(&format!("{}/innlogging/frontkanal?iss=", server.url)));

    // A forged issuer ends nothing.
    let frame = Browser::new(&[&server.cert_pem]);
    let sid = reqwest::Url::parse(&src)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "sid")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let forged = frame
        .get(&format!(
            "{}/innlogging/frontkanal?iss=https%3A%2F%2Fevil.example&sid={sid}",
            server.url
        ))
        .await;
    assert_eq!(forged.status, 400);
    assert!(has_session(&server, &browser).await);

    let loaded = frame.get(&src).await;
    assert_eq!(loaded.status, 200);
    let csp = loaded.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!("frame-ancestors {}", issuer(&server))),
        "{csp}"
    );
    assert!(loaded.headers.get("x-frame-options").is_none());
    assert!(!has_session(&server, &browser).await);
}

/// Acceptance 3: 30 minutes idle and 120 minutes in all, on the server's clock.
#[tokio::test(flavor = "multi_thread")]
async fn sessions_end_after_thirty_idle_minutes_and_two_hours_in_all() {
    const MINUTE: i64 = 60_000;
    let mut server = Server::prepare_with_login(Backend::Sqlite).await;
    let clock = ManualClock::at(SystemClock.now());
    server.serve_here(Arc::new(clock.clone())).await;

    let browser = server.browser();
    log_in(&server, &browser, "innsyn", SUBSTANTIAL).await;
    clock.advance_millis(29 * MINUTE);
    assert!(has_session(&server, &browser).await, "29 minutes idle");
    clock.advance_millis(31 * MINUTE);
    assert!(!has_session(&server, &browser).await, "31 minutes idle");

    // Back to now, or the new ID token would look old.
    clock.set(SystemClock.now());
    let browser = server.browser();
    log_in(&server, &browser, "innsyn", SUBSTANTIAL).await;
    for step in 1..=4 {
        clock.advance_millis(29 * MINUTE);
        assert!(
            has_session(&server, &browser).await,
            "used every 29 minutes, {} minutes in",
            29 * step
        );
    }
    clock.advance_millis(5 * MINUTE);
    assert!(
        !has_session(&server, &browser).await,
        "121 minutes after login"
    );

    // The form says so, and keeps its word: Kari types for 31 minutes before she moves
    // on, logs in again, and finds what she typed.
    clock.set(SystemClock.now());
    let browser = server.browser();
    let form = log_in(&server, &browser, "innsyn", SUBSTANTIAL).await;
    assert!(
        form.body
            .contains("blir du logget ut etter 30 minutter uten at du går videre"),
        "{}",
        form.body
    );
    clock.advance_millis(31 * MINUTE);
    let login = submit(
        &browser,
        &form,
        &[("mobil", "+4791234567"), ("_action", "next")],
    )
    .await;
    assert!(!login.url.starts_with(&server.url), "{}", login.url);
    clock.set(SystemClock.now());
    let back = pick(&browser, &login, "0", SUBSTANTIAL, "none").await;
    assert_eq!(back.input_value("mobil").as_deref(), Some("+4791234567"));
}

/// Kills `forms dev` when the test ends, however it ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Acceptance 7: `forms dev` alone gives the whole flow, its simulator included.
#[tokio::test(flavor = "multi_thread")]
async fn forms_dev_lets_a_newcomer_log_in_send_and_find_the_submission() {
    let dir = TempDir::new("dev-flow");
    let port = crate::support::free_port();
    let out = dir.path().join("dev.out");
    let child = std::process::Command::new(crate::support::FORMS)
        .args(["dev", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--schemas")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../form-schemas"))
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _running = Running(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let banner = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.contains("Caseworkers:") {
            break text;
        }
        assert!(Instant::now() < deadline, "forms dev did not start: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let url = format!("https://localhost:{port}");
    let issuer = format!("https://localhost:{}", port + 1);
    assert!(banner.contains(&issuer), "{banner}");
    assert!(
        banner.contains(KARI_PID),
        "the banner names the test people"
    );

    let cert = std::fs::read(dir.path().join("data/tls/cert.pem")).unwrap();
    let browser = Browser::new(&[&cert]);
    let page = browser.get(&format!("{url}/skjema/innsyn")).await;
    assert!(page.url.starts_with(&issuer), "{}", page.url);
    let form = pick(&browser, &page, "0", SUBSTANTIAL, "none").await;
    assert_eq!(form.input_value("epost").as_deref(), Some(KARI_EMAIL));
    let page2 = submit(&browser, &form, &[("_action", "next")]).await;
    let summary = submit(
        &browser,
        &page2,
        &[
            ("omrader", "alt"),
            ("levering", "post"),
            ("_action", "next"),
        ],
    )
    .await;
    let receipt = submit(&browser, &summary, &[("_action", "send")]).await;
    let reference = reference_on(&receipt);
    let mine = browser.get(&format!("{url}/mine-innsendinger")).await;
    assert_eq!(mine.status, 200);
    assert!(mine.body.contains(&reference), "{}", mine.body);

    // Every queue has its development caseworker and key, and the request waits in
    // the privacy queue.
    let overview = std::process::Command::new(crate::support::FORMS)
        .args(["admin", "queues", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--schemas")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../form-schemas"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&overview.stdout);
    assert!(overview.status.success(), "{text}");
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert!(rows.len() >= 8, "{text}");
    for row in &rows {
        assert_eq!(
            row[row.len() - 2..],
            ["1", "1"],
            "one caseworker, one key: {text}"
        );
    }
    let privacy = rows.iter().find(|r| r[0] == "personvern").unwrap();
    assert_eq!(privacy[1], "1", "{text}");

    // Mail stays on the machine: Kari's receipt, and the confirmation of a newsletter
    // sign-up, whose link (to this server) confirms it.
    assert!(banner.contains("data/mail"), "{banner}");
    let form = browser.get(&format!("{url}/skjema/nyhetsbrev")).await;
    let mut pairs: Vec<(String, String)> = form
        .form_values()
        .into_iter()
        .filter(|(name, _)| name.starts_with('_'))
        .collect();
    pairs.extend([
        ("epost".to_string(), "ola@example.no".to_string()),
        ("tema".to_string(), "vei".to_string()),
        ("samtykke".to_string(), "true".to_string()),
    ]);
    let sent = browser.go(&form.form_action(), Some(&pairs)).await;
    assert!(sent.body.contains("Sjekk e-posten din"), "{}", sent.body);
    let mail_dir = dir.path().join("data/mail");
    let deadline = Instant::now() + Duration::from_secs(20);
    let link = loop {
        let found = std::fs::read_dir(&mail_dir)
            .into_iter()
            .flatten()
            .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
            .find_map(|mail| {
                let joined = mail.replace("=\r\n", "").replace("=\n", "");
                let start = joined.find(&format!("{url}/nyhetsbrev/"))?;
                Some(joined[start..start + url.len() + 76].to_string())
            });
        if let Some(link) = found {
            break link;
        }
        assert!(
            Instant::now() < deadline,
            "no confirmation in {}",
            mail_dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let page = browser.get(&link).await;
    let confirmed = submit(&browser, &page, &[("handling", "bekreft")]).await;
    assert!(
        confirmed.body.contains("Du er påmeldt"),
        "{}",
        confirmed.body
    );

    // The metrics, with the token forms dev made, tell what happened.
    assert!(banner.contains(&format!("{url}/metrics")), "{banner}");
    let token = std::fs::read_to_string(dir.path().join("data/keys/metrics.token")).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&cert).unwrap())
        .build()
        .unwrap();
    let response = client
        .get(format!("{url}/metrics"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let metrics = crate::support::Metrics::parse(&response.text().await.unwrap());
    assert_eq!(metrics.get("forms_logins_total", &[("outcome", "ok")]), 1.0);
    let sent = |form, outcome| {
        metrics.get(
            "forms_submissions_total",
            &[("form", form), ("outcome", outcome)],
        )
    };
    assert_eq!(sent("innsyn", "stored"), 1.0);
    assert_eq!(sent("nyhetsbrev", "awaits_confirmation"), 1.0);
    let waiting = [("queue", "personvern"), ("status", "new")];
    assert_eq!(metrics.get("forms_queue_submissions", &waiting), 1.0);
}
