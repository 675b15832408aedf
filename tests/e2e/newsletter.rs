//! Newsletters by topic, end to end: a citizen signs up on the shipped `nyhetsbrev`
//! form, gets one confirmation mail through a real SMTP server (aiosmtpd), confirms on
//! the page its link opens, gets the newsletters of her topics that a caseworker of
//! the form's queue sends with `forms caseworker newsletter`, changes her topics, and
//! leaves with the one-click unsubscribe of the mail's `List-Unsubscribe` header. The
//! address and the link's token stay out of the database and the log; an unconfirmed
//! sign-up and an old subscription are deleted when their time ends.

use std::time::Duration;

use serde_json::json;

use crate::reply::{mail_config, mails, start_smtp, wait_for_mail};
use crate::support::{Backend, Browser, Server, TempDir, canary, contains, free_port};

/// The address the server's links start with ([site] url); the test sends what it
/// finds there to the server it started, which listens on a port of its own.
pub(crate) const SITE: &str = "https://skjema.kommune.test";

pub(crate) fn site_config(port: u16) -> String {
    format!("{}[site]\nurl = \"{SITE}/\"\n", mail_config(port))
}

/// The subscriber's link in a mail's body, and its token.
fn link_in(body: &str) -> (String, String) {
    let start = body
        .find(&format!("{SITE}/nyhetsbrev/"))
        .unwrap_or_else(|| panic!("no link in {body}"));
    let link: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let token = link.rsplit('/').next().unwrap().to_string();
    assert_eq!(token.len(), 64, "{link}");
    (link, token)
}

/// The messages received so far to `to`, oldest first.
fn mails_to(received: &std::path::Path, to: &str) -> Vec<(String, String)> {
    mails(received)
        .into_iter()
        .filter(|(head, _)| head.lines().any(|l| l == format!("To: {to}")))
        .collect()
}

/// Sends a newsletter with `forms caseworker newsletter`, its text from the file `text`;
/// returns what the command printed.
fn send(
    server: &Server,
    token_file: &std::path::Path,
    topic: Option<&str>,
    subject: &str,
    text: &std::path::Path,
) -> String {
    let mut args = vec!["newsletter", "--form", "nyhetsbrev", "--subject", subject];
    if let Some(topic) = topic {
        args.extend(["--topic", topic]);
    }
    args.extend(["--file", text.to_str().unwrap()]);
    server.caseworker_ok(token_file, &args)
}

/// Signs up on the HTML form, as a browser does, in `lang`.
async fn sign_up(
    browser: &Browser,
    server: &Server,
    address: &str,
    topics: &[&str],
    lang: &str,
) -> String {
    let url = format!("{}/skjema/nyhetsbrev?lang={lang}", server.url);
    let form = browser.get(&url).await;
    assert_eq!(form.status, 200);
    let mut pairs: Vec<(String, String)> = form
        .form_values()
        .into_iter()
        .filter(|(name, _)| name.starts_with('_'))
        .collect();
    pairs.push(("epost".into(), address.into()));
    for topic in topics {
        pairs.push(("tema".into(), (*topic).into()));
    }
    pairs.push(("samtykke".into(), "true".into()));
    let page = browser.go(&form.form_action(), Some(&pairs)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.body
}

#[tokio::test(flavor = "multi_thread")]
async fn a_citizen_confirms_gets_her_topics_changes_them_and_unsubscribes_in_one_click() {
    let work = TempDir::new("newsletter");
    let port = free_port();
    let server = Server::start_with_config(Backend::Sqlite, &site_config(port));
    let (_smtp, received) = start_smtp(&server, port, &work);
    let browser = Browser::new(&[&server.cert_pem]);
    let to_site = |link: &str| link.replace(SITE, &server.url);
    let kari = format!("{}@example.no", canary("kari").to_lowercase());
    let ola = format!("{}@example.no", canary("ola").to_lowercase());

    // Kari signs up for roadworks and culture: the page tells her to look in her mail.
    let page = sign_up(&browser, &server, &kari, &["vei", "kultur"], "nb").await;
    assert!(page.contains("Sjekk e-posten din"), "{page}");
    assert!(page.contains("48 timer"), "{page}");
    wait_for_mail(&received, &format!("To: {kari}"));
    // Again at once: the same page, and no second mail the same day.
    let page = sign_up(&browser, &server, &kari, &["skole"], "nb").await;
    assert!(page.contains("Sjekk e-posten din"), "{page}");
    // Ola signs up over the JSON API, in English, for culture only.
    let response = server
        .client()
        .post(format!(
            "{}/api/v1/forms/nyhetsbrev/submissions?lang=en",
            server.url
        ))
        .json(&json!({"answers": {"epost": ola, "tema": ["kultur"], "samtykke": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "awaits_confirmation");
    wait_for_mail(&received, &format!("To: {ola}"));
    let kari_mails = mails_to(&received, &kari);
    assert_eq!(
        kari_mails.len(),
        1,
        "one confirmation a day: {kari_mails:?}"
    );
    let (head, confirmation) = &kari_mails[0];
    assert!(head.contains("Subject: "), "{head}");
    assert!(
        confirmation.contains("Veiarbeid og trafikk") && confirmation.contains("Kultur og fritid"),
        "{confirmation}"
    );
    assert!(confirmation.contains("48 timer"), "{confirmation}");
    let (kari_link, kari_token) = link_in(confirmation);
    let (ola_head, ola_mail) = &mails_to(&received, &ola)[0];
    assert!(
        ola_head
            .contains("Subject: Confirm your subscription to the newsletter from the municipality"),
        "{ola_head}"
    );
    assert!(
        ola_mail.contains("Open the link within 48 hours"),
        "{ola_mail}"
    );
    let (ola_link, ola_token) = link_in(ola_mail);

    // Before anyone confirms, a newsletter reaches nobody.
    let (kommunikasjon, _) = server.add_caseworker("kommunikasjon");
    let text = work.path().join("nyheter.txt");
    std::fs::write(&text, "Fylkesveien stenges mandag.\nMvh kommunen\n").unwrap();
    let text_arg = text.to_str().unwrap();
    let said = send(&server, &kommunikasjon, Some("vei"), "Veiarbeid", &text);
    assert!(said.contains("mailed to 0 of 0 subscriber(s)"), "{said}");

    // Kari's link asks her to confirm, naming her topics; GET alone confirms nothing.
    let confirm = browser.get(&to_site(&kari_link)).await;
    assert_eq!(confirm.status, 200);
    assert!(
        confirm.body.contains("Bekreft påmeldingen"),
        "{}",
        confirm.body
    );
    assert!(
        confirm.body.contains("Veiarbeid og trafikk"),
        "{}",
        confirm.body
    );
    let confirmed = browser
        .go(
            &confirm.form_action(),
            Some(&confirm.form_with(&[("handling", "bekreft")])),
        )
        .await;
    assert_eq!(confirmed.status, 200);
    assert!(
        confirmed.body.contains("Du er påmeldt"),
        "{}",
        confirmed.body
    );
    assert!(confirmed.body.contains("Meld meg av"), "{}", confirmed.body);
    assert!(
        confirmed
            .body
            .contains(&format!("Nyhetsbrevet går til <strong>{kari}</strong>")),
        "{}",
        confirmed.body
    );
    let ola_page = browser
        .get(&format!("{}?lang=en", to_site(&ola_link)))
        .await;
    let ola_confirmed = browser
        .go(
            &ola_page.form_action(),
            Some(&ola_page.form_with(&[("handling", "bekreft")])),
        )
        .await;
    assert!(
        ola_confirmed.body.contains("You are signed up"),
        "{}",
        ola_confirmed.body
    );

    // The communications staff see how many subscribe, by topic, never who.
    let overview = server.caseworker_ok(&kommunikasjon, &["newsletters", "--form", "nyhetsbrev"]);
    assert!(
        overview.contains("nyhetsbrev: 2 subscriber(s); by topic: kultur 2, vei 1"),
        "{overview}"
    );
    assert!(overview.contains("0/0  Veiarbeid"), "{overview}");
    assert!(
        !overview.contains(&kari) && !overview.contains(&ola),
        "{overview}"
    );

    // A test to the writer's own address first: as a subscriber gets it, to nobody else,
    // and stored nowhere (the overview at the end counts five newsletters).
    let draft = work.path().join("utkast.txt");
    std::fs::write(&draft, "Utkast til nyheter om veiene.\n").unwrap();
    let said = server.caseworker_ok(
        &kommunikasjon,
        &[
            "newsletter",
            "--form",
            "nyhetsbrev",
            "--topic",
            "vei",
            "--subject",
            "Veiarbeid",
            "--file",
            draft.to_str().unwrap(),
            "--test-to",
            "redaksjon@kommune.example",
        ],
    );
    assert!(said.contains("no subscriber got it"), "{said}");
    wait_for_mail(&received, "To: redaksjon@kommune.example");
    let tests: Vec<_> = mails(&received)
        .into_iter()
        .filter(|(_, body)| body.contains("Utkast til nyheter"))
        .collect();
    assert_eq!(tests.len(), 1, "{tests:?}");
    assert!(
        tests[0].0.contains("To: redaksjon@kommune.example"),
        "{}",
        tests[0].0
    );
    assert!(
        tests[0].1.contains(&format!("{SITE}/nyhetsbrev/…")),
        "{}",
        tests[0].1
    );
    assert!(!tests[0].0.contains("List-Unsubscribe"), "{}", tests[0].0);

    // A newsletter on roadworks: Kari gets it, with her link and the one-click header;
    // Ola, who chose culture, does not.
    let said = send(&server, &kommunikasjon, Some("vei"), "Veiarbeid", &text);
    assert!(said.contains("mailed to 1 of 1 subscriber(s)"), "{said}");
    assert!(said.contains("sent: 1 mail(s)"), "{said}");
    let text_now = wait_for_mail(&received, "Fylkesveien stenges");
    let letters: Vec<_> = mails(&received)
        .into_iter()
        .filter(|(_, body)| body.contains("Fylkesveien stenges"))
        .collect();
    assert_eq!(letters.len(), 1, "{text_now}");
    let (head, body) = &letters[0];
    assert!(head.contains(&format!("To: {kari}")), "{head}");
    assert!(head.contains("Subject: Veiarbeid"), "{head}");
    assert!(
        head.contains(&format!("List-Unsubscribe: <{kari_link}/avmeld>")),
        "{head}"
    );
    assert!(
        head.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{head}"
    );
    assert!(
        body.contains(&kari_link),
        "the footer links her page: {body}"
    );
    assert!(
        body.contains("Du får denne e-posten fordi du abonnerer på nyhetsbrevet fra kommunen"),
        "{body}"
    );

    // To everyone: both, each with their own footer and language.
    std::fs::write(&text, "Kulturnatt på fredag.\n").unwrap();
    let said = send(&server, &kommunikasjon, None, "Kulturnatt", &text);
    assert!(said.contains("mailed to 2 of 2 subscriber(s)"), "{said}");
    wait_for_mail(&received, "Kulturnatt p");
    let to_ola: Vec<_> = mails_to(&received, &ola)
        .into_iter()
        .filter(|(_, body)| body.contains("Kulturnatt"))
        .collect();
    assert_eq!(to_ola.len(), 1);
    assert!(
        to_ola[0]
            .1
            .contains("You get this e-mail because you subscribe"),
        "{}",
        to_ola[0].1
    );
    assert!(to_ola[0].1.contains(&ola_link), "{}", to_ola[0].1);

    // Only the form's own queue may send; a bad topic or an empty subject sends nothing.
    let (servicetorget, servicetorget_token) = server.add_caseworker("servicetorget");
    let out = server.caseworker(
        &servicetorget,
        &[
            "newsletter",
            "--form",
            "nyhetsbrev",
            "--subject",
            "Hei",
            "--file",
            text_arg,
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("404"),
        "{out:?}"
    );
    let kommunikasjon_token = std::fs::read_to_string(&kommunikasjon).unwrap();
    for (request, field) in [
        (
            json!({"subject": "Hei", "body": "Tekst", "topic": "fotball"}),
            "topic",
        ),
        (json!({"subject": " ", "body": "Tekst"}), "subject"),
        (json!({"subject": "Hei", "body": "Tekst\u{1b}[2J"}), "body"),
        (
            json!({"subject": "Hei", "body": "Tekst", "test_to": "ikke en adresse"}),
            "test_to",
        ),
    ] {
        let response = server
            .client()
            .post(format!(
                "{}/api/v1/forms/nyhetsbrev/newsletters",
                server.url
            ))
            .bearer_auth(kommunikasjon_token.trim())
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{request}");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let response = server
        .client()
        .post(format!("{}/api/v1/forms/kontakt/newsletters", server.url))
        .bearer_auth(servicetorget_token.trim())
        .json(&json!({"subject": "Hei", "body": "Tekst"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404, "not a subscription form");

    // Kari moves to schools only; saving with no topic is refused with an error summary.
    let manage = browser.get(&to_site(&kari_link)).await;
    assert!(
        manage.body.contains("Temaer du får nyheter om"),
        "{}",
        manage.body
    );
    let csrf = manage.input_value("_csrf").unwrap();
    let action = manage.form_action();
    let none = browser
        .go(
            &action,
            Some(&[
                ("_csrf".into(), csrf.clone()),
                ("handling".into(), "lagre".into()),
            ]),
        )
        .await;
    assert_eq!(none.status, 422);
    assert!(
        none.body.contains("class=\"error-summary\""),
        "{}",
        none.body
    );
    assert!(none.body.contains("href=\"#tema\""), "{}", none.body);
    let saved = browser
        .go(
            &action,
            Some(&[
                ("_csrf".into(), csrf.clone()),
                ("tema".into(), "skole".into()),
                ("handling".into(), "lagre".into()),
            ]),
        )
        .await;
    assert!(saved.body.contains("Temaene er lagret"), "{}", saved.body);
    assert!(
        saved.body.contains("value=\"skole\" checked"),
        "{}",
        saved.body
    );
    assert!(
        !saved.body.contains("value=\"vei\" checked"),
        "{}",
        saved.body
    );
    // A post without the page's CSRF token changes nothing.
    let forged = browser
        .go(&action, Some(&[("handling".into(), "avmeld".into())]))
        .await;
    assert_eq!(forged.status, 403);
    std::fs::write(&text, "Ny skolerute.\n").unwrap();
    let said = send(
        &server,
        &kommunikasjon,
        Some("vei"),
        "Veiarbeid igjen",
        &text,
    );
    assert!(
        said.contains("mailed to 0 of 0"),
        "she left roadworks: {said}"
    );

    // Her mail program's unsubscribe address, opened in a browser, only shows her page,
    // whose buttons post to the page itself.
    let opened = browser
        .get(&format!("{}/avmeld", to_site(&kari_link)))
        .await;
    assert_eq!(opened.status, 200);
    assert!(opened.body.contains("Meld meg av"), "{}", opened.body);
    assert!(!opened.form_action().contains("/avmeld"), "{}", opened.body);
    assert_eq!(
        browser.get(&to_site(&kari_link)).await.status,
        200,
        "still there"
    );
    // One click in her mail program (RFC 8058): gone, and her link opens nothing.
    let one_click = server
        .client()
        .post(format!("{}/avmeld", to_site(&kari_link)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status(), 200);
    assert!(one_click.text().await.unwrap().contains("Du er meldt av"));
    let after = browser.get(&to_site(&kari_link)).await;
    assert_eq!(after.status, 404);
    assert!(
        after.body.contains("Lenken virker ikke lenger"),
        "{}",
        after.body
    );
    assert!(
        after.body.contains("href=\"/skjema/nyhetsbrev?lang=nb\""),
        "a way to sign up again: {}",
        after.body
    );
    let said = send(&server, &kommunikasjon, None, "Siste nytt", &text);
    assert!(said.contains("mailed to 1 of 1"), "only Ola now: {said}");
    // Ola leaves from his page's button.
    let page = browser.get(&to_site(&ola_link)).await;
    let csrf = page.input_value("_csrf").unwrap();
    let left = browser
        .go(
            &page.form_action(),
            Some(&[("_csrf".into(), csrf), ("handling".into(), "avmeld".into())]),
        )
        .await;
    assert!(left.body.contains("Du er meldt av"), "{}", left.body);

    let overview = server.caseworker_ok(&kommunikasjon, &["newsletters", "--form", "nyhetsbrev"]);
    assert!(
        overview.starts_with("nyhetsbrev: 0 subscriber(s)\n"),
        "{overview}"
    );
    let lines: Vec<&str> = overview.lines().skip(1).collect();
    assert_eq!(lines.len(), 5, "{overview}");
    assert!(
        lines[0].contains("all") && lines[0].ends_with("1/1  Siste nytt"),
        "{overview}"
    );
    assert!(
        lines[3].contains("vei") && lines[3].ends_with("1/1  Veiarbeid"),
        "newest first: {overview}"
    );

    // Every sign-up, confirmation, letter and departure left no address, topic list or
    // token behind in the database or the log; the audit log names each newsletter.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stored = server.sqlite_bytes();
    let log = server.log();
    assert!(
        log.contains("newsletter delivered"),
        "the log is being written"
    );
    for secret in [&kari, &ola, &kari_token, &ola_token] {
        assert!(!contains(&stored, secret), "{secret} in the database");
        assert!(!log.contains(secret.as_str()), "{secret} in the log");
    }
    let export = server.audit_report();
    assert_eq!(
        export.matches("nyhetsbrev sendt til abonnentene").count(),
        5,
        "{export}"
    );
    server.assert_audit_intact();
}

/// Signs `address` up for roadworks on the HTML form and confirms from the link in its
/// mail; returns the link.
pub(crate) async fn subscribed(
    server: &Server,
    browser: &Browser,
    received: &std::path::Path,
    address: &str,
) -> String {
    let before = mails_to(received, address).len();
    sign_up(browser, server, address, &["vei"], "nb").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while mails_to(received, address).len() == before {
        assert!(std::time::Instant::now() < deadline, "no confirmation mail");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (link, _) = link_in(&mails_to(received, address)[before].1);
    let page = browser.get(&link.replace(SITE, &server.url)).await;
    let confirm = page.form_with(&[("handling", "bekreft")]);
    let confirmed = browser.go(&page.form_action(), Some(&confirm)).await;
    assert!(
        confirmed.body.contains("Du er påmeldt"),
        "{}",
        confirmed.body
    );
    link
}

/// A mailbox that is gone stops getting newsletters: after the mail server has refused
/// three in a row at its address for good, the subscription ends. One taken between
/// starts the count over, and a mail server that refuses every address of a delivery
/// is taken to be at fault itself, so nobody loses a subscription for it.
#[tokio::test(flavor = "multi_thread")]
async fn an_address_refused_three_newsletters_in_a_row_is_unsubscribed() {
    let work = TempDir::new("newsletter-refused");
    let port = free_port();
    let server = Server::start_with_config(Backend::Sqlite, &site_config(port));
    let refused = work.path().join("refused.txt");
    let (_smtp, received) = crate::reply::start_smtp_refusing(&server, port, &work, &refused);
    let browser = Browser::new(&[&server.cert_pem]);
    let address = |who: &str| format!("{}@example.no", canary(who).to_lowercase());
    let (kari, gone, flaky) = (address("kari"), address("gone"), address("flaky"));
    let mut links = Vec::new();
    for who in [&kari, &gone, &flaky] {
        links.push(subscribed(&server, &browser, &received, who).await);
    }
    let (kommunikasjon, _) = server.add_caseworker("kommunikasjon");
    let text = work.path().join("nyheter.txt");
    std::fs::write(&text, "Fylkesveien stenges mandag.\n").unwrap();
    let refuse = |who: &[&String]| {
        let list: Vec<&str> = who.iter().map(|a| a.as_str()).collect();
        std::fs::write(&refused, list.join("\n")).unwrap();
    };
    let mail = |n: usize| {
        let subject = format!("Veiarbeid {n}");
        let args = [
            "newsletter",
            "--form",
            "nyhetsbrev",
            "--subject",
            &subject,
            "--file",
            text.to_str().unwrap(),
        ];
        let out = server.caseworker(&kommunikasjon, &args);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    refuse(&[&gone, &flaky]);
    for n in 1..=2 {
        let said = mail(n);
        assert!(
            said.contains("mailed to 1 of 3 subscriber(s), 2 not taken"),
            "{said}"
        );
        assert!(!said.contains("ended"), "{said}");
    }
    // Flaky's mailbox takes the third: its count starts over. Gone's refuses it too.
    refuse(&[&gone]);
    let said = mail(3);
    assert!(
        said.contains("mailed to 2 of 3 subscriber(s), 1 not taken"),
        "{said}"
    );
    assert!(said.contains("1 subscription(s) ended"), "{said}");
    let page = browser.get(&links[1].replace(SITE, &server.url)).await;
    assert_eq!(page.status, 404, "gone's subscription has ended");
    refuse(&[&flaky]);
    let said = mail(4);
    assert!(
        said.contains("mailed to 1 of 2 subscriber(s), 1 not taken"),
        "{said}"
    );
    refuse(&[]);
    assert!(mail(5).contains("mailed to 2 of 2 subscriber(s)"));

    // The mail server refuses everyone, three times: that is its fault, not theirs.
    refuse(&[&kari, &flaky]);
    for n in 6..=8 {
        let said = mail(n);
        assert!(
            said.contains("mailed to 0 of 2 subscriber(s), 2 not taken"),
            "{said}"
        );
        assert!(!said.contains("ended"), "{said}");
    }
    refuse(&[]);
    let said = mail(9);
    assert!(said.contains("mailed to 2 of 2 subscriber(s)"), "{said}");
    for who in [&kari, &flaky] {
        let got = mails_to(&received, who);
        assert!(
            got.iter().any(|(head, _)| head.contains("Veiarbeid 9")),
            "{who}"
        );
    }

    // The overview says which newsletter ended a subscription; the metrics count it.
    let overview = server.caseworker_ok(&kommunikasjon, &["newsletters", "--form", "nyhetsbrev"]);
    assert!(
        overview.contains("nyhetsbrev: 2 subscriber(s)"),
        "{overview}"
    );
    let third = overview
        .lines()
        .find(|l| l.ends_with("Veiarbeid 3"))
        .unwrap();
    assert!(third.contains("(1 subscription(s) ended)"), "{overview}");
    let metrics = server.metrics().await;
    let ended = [("reason", "refused")];
    assert_eq!(
        metrics.get("forms_newsletter_subscriptions_ended_total", &ended),
        1.0
    );
    let newsletters = |outcome| {
        metrics.get(
            "forms_mail_messages_total",
            &[("kind", "newsletter"), ("outcome", outcome)],
        )
    };
    assert_eq!((newsletters("sent"), newsletters("refused")), (9.0, 12.0));
    let log = server.log();
    for secret in [&kari, &gone, &flaky] {
        assert!(!log.contains(secret.as_str()), "{secret} in the log");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unconfirmed_sign_ups_go_after_48_hours_and_subscriptions_after_their_retention() {
    use forms_server::clock::{Clock, ManualClock, Timestamp};
    let work = TempDir::new("newsletter-time");
    let port = free_port();
    let mut server = Server::prepare(Backend::Sqlite, None);
    server.append_config(&format!(
        "{}[housekeeping]\nevery_seconds = 1\n",
        site_config(port)
    ));
    let (_smtp, received) = start_smtp(&server, port, &work);
    let start = Timestamp::parse_rfc3339("2026-12-01T09:00:00Z").unwrap();
    let clock = std::sync::Arc::new(ManualClock::at(start));
    server.serve_here(clock.clone()).await;
    let browser = Browser::new(&[&server.cert_pem]);
    let to_site = |link: &str| link.replace(SITE, &server.url);

    let late = format!("{}@example.no", canary("late").to_lowercase());
    let keen = format!("{}@example.no", canary("keen").to_lowercase());
    sign_up(&browser, &server, &late, &["vei"], "nb").await;
    sign_up(&browser, &server, &keen, &["vei"], "nb").await;
    wait_for_mail(&received, &format!("To: {late}"));
    wait_for_mail(&received, &format!("To: {keen}"));
    let (late_link, _) = link_in(&mails_to(&received, &late)[0].1);
    let (keen_link, _) = link_in(&mails_to(&received, &keen)[0].1);
    let page = browser.get(&to_site(&keen_link)).await;
    let confirmed = browser
        .go(
            &page.form_action(),
            Some(&page.form_with(&[("handling", "bekreft")])),
        )
        .await;
    assert!(
        confirmed.body.contains("Du er påmeldt"),
        "{}",
        confirmed.body
    );
    // The form keeps a subscription 24 months after its last confirmation or change.
    assert!(
        confirmed.body.contains("varer til 01.12.2028"),
        "{}",
        confirmed.body
    );

    // 47 hours on, the unconfirmed link still works; past 48, housekeeping deletes it.
    clock.set(Timestamp(start.millis() + 47 * 3600 * 1000));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(browser.get(&to_site(&late_link)).await.status, 200);
    clock.set(Timestamp(start.millis() + 49 * 3600 * 1000));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while browser.get(&to_site(&late_link)).await.status != 404 {
        assert!(
            std::time::Instant::now() < deadline,
            "the unconfirmed sign-up stayed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The confirmed one stays until its 24 months are over, then goes too.
    assert_eq!(browser.get(&to_site(&keen_link)).await.status, 200);
    clock.set(start.plus_months(24));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while browser.get(&to_site(&keen_link)).await.status != 404 {
        assert!(
            std::time::Instant::now() < deadline,
            "the old subscription stayed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = clock.now();
}

/// A bounce mail as a recipient's mail system sends it back to the envelope sender
/// `to`, later: a multipart/report whose delivery status gives `action` for the
/// recipient (RFC 3464), then the returned mail's header.
fn bounce_mail(to: &str, action: &str) -> String {
    let status = if action == "failed" { "5.1.1" } else { "4.4.7" };
    format!(
        "Return-Path: <>\nX-Original-To: {to}\nDelivered-To: {to}\n\
         From: Mail Delivery System <MAILER-DAEMON@mx.example.no>\nTo: {to}\n\
         Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n\
         --R\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n\
         --R\nContent-Type: message/delivery-status\n\n\
         Reporting-MTA: dns; mx.example.no\n\n\
         Final-Recipient: rfc822; mailbox@example.no\nAction: {action}\nStatus: {status}\n\n\
         --R\nContent-Type: text/rfc822-headers\n\nSubject: Veiarbeid\n\n--R--\n"
    )
}

/// `forms admin bounce` with `message` on its standard input, as a mail system runs it;
/// on `database_url` if given. Returns the exit code and what it printed.
fn take_bounce(
    server: &Server,
    message: &str,
    recipient: Option<&str>,
    database_url: Option<&str>,
) -> (i32, String) {
    let mut args = vec!["admin", "bounce"];
    if let Some(recipient) = recipient {
        args.extend(["--recipient", recipient]);
    }
    let out = server.run_forms_with_input(&args, database_url, message.as_bytes());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), said)
}

/// The envelope sender of the last mail to `to` whose subject has `subject`.
fn return_path(received: &std::path::Path, to: &str, subject: &str) -> String {
    let (head, _) = mails_to(received, to)
        .into_iter()
        .rfind(|(head, _)| head.contains(subject))
        .unwrap_or_else(|| panic!("no mail \"{subject}\""));
    let line = head
        .lines()
        .find_map(|l| l.strip_prefix("Return-Path: <"))
        .unwrap_or_else(|| panic!("no Return-Path in {head}"));
    line.trim_end_matches('>').to_string()
}

/// With `[mail] bounce_address`, each newsletter mail leaves from an envelope sender of
/// its own, and a bounce mail that comes back there later, handed to `forms admin
/// bounce`, counts as if the mail server had refused the newsletter: three newsletters
/// in a row end the subscription. Only a report that the mail failed counts, once, and
/// only for the newsletter mailed last; one that arrives between starts the count over.
#[tokio::test(flavor = "multi_thread")]
async fn bounce_mails_that_come_back_later_end_a_subscription_like_refusals() {
    let work = TempDir::new("newsletter-bounce");
    let port = free_port();
    let config = format!(
        "{}bounce_address = \"retur@kommune.example\"\n[site]\nurl = \"{SITE}/\"\n",
        mail_config(port)
    );
    let server = Server::start_with_config(Backend::Sqlite, &config);
    let nobody = work.path().join("refused.txt");
    let (_smtp, received) = crate::reply::start_smtp_refusing(&server, port, &work, &nobody);
    let browser = Browser::new(&[&server.cert_pem]);
    let address = |who: &str| format!("{}@example.no", canary(who).to_lowercase());
    let (kari, gone) = (address("kari"), address("gone"));
    let kari_link = subscribed(&server, &browser, &received, &kari).await;
    let gone_link = subscribed(&server, &browser, &received, &gone).await;
    let (kommunikasjon, _) = server.add_caseworker("kommunikasjon");
    let text = work.path().join("nyheter.txt");
    std::fs::write(&text, "Fylkesveien stenges mandag.\n").unwrap();
    // Newsletter `n`, taken for all of `subscribers`.
    let mail = |n: usize, subscribers: usize| {
        let said = send(
            &server,
            &kommunikasjon,
            None,
            &format!("Veiarbeid {n}"),
            &text,
        );
        let all = format!("mailed to {subscribers} of {subscribers} subscriber(s)");
        assert!(said.contains(&all), "{said}");
    };
    let counted = "Counted: the newsletter did not arrive.";
    let stale = "Ignored: it is not about the newsletter last mailed";
    let mut said_all = String::new();
    let mut bounce = |to: &str, action: &str, recipient: Option<&str>| {
        let (code, said) = take_bounce(&server, &bounce_mail(to, action), recipient, None);
        assert_eq!(code, 0, "{said}");
        said_all.push_str(&said);
        said
    };

    mail(1, 2);
    let (kari_1, gone_1) = (
        return_path(&received, &kari, "Veiarbeid 1"),
        return_path(&received, &gone, "Veiarbeid 1"),
    );
    // retur+<the subscription's id>.<an HMAC>@…: nothing of the address.
    for sender in [&kari_1, &gone_1] {
        let (local, domain) = sender.split_once('@').unwrap();
        assert_eq!(domain, "kommune.example");
        let tag = local.strip_prefix("retur+").unwrap();
        assert_eq!(tag.len(), 45, "{sender}");
        assert!(
            tag.chars().all(|c| c.is_ascii_hexdigit() || c == '.'),
            "{sender}"
        );
    }
    assert_ne!(kari_1, gone_1);
    // Confirmations, receipts and the like keep the ordinary sender.
    let confirmation = &mails_to(&received, &kari)[0].0;
    assert!(
        confirmation.contains("Return-Path: <postmottak@kommune.example>"),
        "{confirmation}"
    );

    // Gone's mailbox has gone: its bounce counts, once.
    assert!(bounce(&gone_1, "failed", None).contains(counted));
    assert!(
        bounce(&gone_1, "failed", None).contains(stale),
        "counted before"
    );
    // Kari's mail is only late, an out-of-office answer is no report, a tag made up
    // or sent elsewhere is not the server's: none counts.
    let said = bounce(&kari_1, "delayed", None);
    assert!(
        said.contains("the report does not say the mail failed"),
        "{said}"
    );
    let auto_reply = format!("To: {kari_1}\nSubject: Fravær\n\nAction: failed\n");
    let (code, said) = take_bounce(&server, &auto_reply, None, None);
    assert_eq!(code, 0);
    assert!(
        said.contains("not a delivery status notification"),
        "{said}"
    );
    let mut forged = kari_1.clone();
    let at = forged.find('@').unwrap() - 1;
    let last = if forged.as_bytes()[at] == b'0' {
        "1"
    } else {
        "0"
    };
    forged.replace_range(at..at + 1, last);
    assert!(bounce(&forged, "failed", None).contains(stale));
    let said = bounce(&kari_1, "failed", Some("postmottak@kommune.example"));
    assert!(
        said.contains("not addressed to a tagged bounce address"),
        "{said}"
    );

    // The second newsletter: gone's bounces again; kari's first newsletter bounces only
    // now, after the next has gone out, and that no longer counts.
    mail(2, 2);
    let gone_2 = return_path(&received, &gone, "Veiarbeid 2");
    assert_ne!(gone_2, gone_1, "each newsletter has a tag of its own");
    assert!(bounce(&gone_2, "failed", Some(&gone_2)).contains(counted));
    assert!(bounce(&kari_1, "failed", None).contains(stale), "late");
    let kari_2 = return_path(&received, &kari, "Veiarbeid 2");
    assert!(bounce(&kari_2, "failed", None).contains(counted));

    // The third: gone's subscription ends. Kari's third arrives (no bounce), so her
    // count starts over: two more bounces do not end hers.
    mail(3, 2);
    let said = bounce(
        &return_path(&received, &gone, "Veiarbeid 3"),
        "failed",
        None,
    );
    assert!(said.contains("The subscription has ended"), "{said}");
    let page = browser.get(&gone_link.replace(SITE, &server.url)).await;
    assert_eq!(page.status, 404, "gone's subscription has ended");
    for n in [4, 5] {
        mail(n, 1);
        let sender = return_path(&received, &kari, &format!("Veiarbeid {n}"));
        let said = bounce(&sender, "failed", None);
        assert!(said.contains(counted) && !said.contains("ended"), "{said}");
    }
    let page = browser.get(&kari_link.replace(SITE, &server.url)).await;
    assert_eq!(page.status, 200, "kari's subscription goes on");

    // The sender's overview counts the subscription the third newsletter ended.
    let overview = server.caseworker_ok(&kommunikasjon, &["newsletters", "--form", "nyhetsbrev"]);
    let third = overview
        .lines()
        .find(|l| l.ends_with("Veiarbeid 3"))
        .unwrap();
    assert!(third.contains("(1 subscription(s) ended)"), "{overview}");

    // With the database out of reach the mail system is told to try again later.
    let (code, said) = take_bounce(
        &server,
        &bounce_mail(&kari_1, "failed"),
        None,
        Some("postgres://forms@127.0.0.1:9/forms"),
    );
    assert_eq!(code, 75, "{said}");

    let log = server.log();
    for secret in [&kari, &gone] {
        assert!(!log.contains(secret.as_str()), "{secret} in the log");
        assert!(
            !said_all.contains(secret.as_str()),
            "{secret} in the command's output"
        );
        assert!(
            !contains(&server.sqlite_bytes(), secret),
            "{secret} in the database"
        );
    }
}
