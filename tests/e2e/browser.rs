//! Every shipped form in real headless Chromium (Debian's `chromium`), driven by
//! `tests/browser/run.mjs` with playwright-core: opened, switched between languages, sent
//! empty for the error summary, filled in and sent without JavaScript; axe-core audits
//! each of those states for WCAG 2.1 A and AA. Forms that need login are reached through
//! the ID-porten simulator, at their level, and end on "Mine innsendinger". A newsletter
//! sign-up goes on from the link in its confirmation mail (through aiosmtpd) to the
//! subscriber's page: confirmed, a save refused, unsubscribed. What the browser sent is
//! then pulled and decrypted by the queue's caseworker.
//!
//! Needs `/usr/bin/chromium` (or `FORMS_CHROMIUM`) and Node.js with npm; `.ci/run`
//! installs them. Screenshots are kept under `target/tmp/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::reply::{mail_config, start_smtp};
use crate::support::{Backend, Server, TINY_PNG, TempDir, canary, free_port};

const BROWSER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/browser");
const SCREENSHOTS: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/screenshots");
/// The site's address in the server's mails; the browser goes to the server instead.
const SITE: &str = "https://skjema.eksempel.test";

/// How a citizen answers one shipped form, and where it must arrive.
struct Walk {
    form: &'static str,
    /// The queue the answers route to.
    queue: &'static str,
    /// The level and `amr` picked at the ID-porten simulator, for forms that need login.
    login: Option<&'static str>,
    answers: Value,
    files: Value,
    /// After sending, erases the submission from "Mine innsendinger" (or, where a law
    /// keeps it, is told so).
    erase: bool,
}

fn walks(marker: &str, photo: &Path) -> Vec<Walk> {
    let none = json!({});
    let today = chrono::Local::now().date_naive();
    let born = today - chrono::Months::new(26);
    let start = today + chrono::Months::new(3);
    vec![
        Walk {
            form: "kontakt",
            queue: "servicetorget",
            login: None,
            answers: json!({ "message": format!("Når blir veien brøytet? {marker}"), "email": "ola@example.no" }),
            files: none.clone(),
            erase: false,
        },
        Walk {
            form: "feilmelding",
            queue: "drift-vann",
            login: None,
            answers: json!({
                "hva": "vann", "sted": "Storgata 1", "postnummer": "0150",
                "beskrivelse": format!("Vann fosser opp av kummen {marker}"), "epost": "ola@example.no"
            }),
            files: json!({ "bilde": [photo] }),
            erase: false,
        },
        Walk {
            form: "nyhetsbrev",
            queue: "kommunikasjon",
            login: None,
            answers: json!({ "epost": format!("{}@example.no", marker.to_lowercase()), "tema": ["kultur", "vei"], "samtykke": "true" }),
            files: none.clone(),
            erase: false,
        },
        Walk {
            form: "kontaktregister",
            queue: "frivillighet",
            login: None,
            answers: json!({
                "orgnr": "974760673", "navn": format!("Skolekorpset {marker}"), "type": "kultur",
                "medlemmer": "45", "kontaktperson": "Kari Nordmann", "epost": "kari@example.no",
                "telefon": "912 34 567", "postnummer": "0150", "samtykke": "true"
            }),
            files: none.clone(),
            erase: false,
        },
        Walk {
            form: "barnehage",
            queue: "barnehage-nord",
            login: Some("idporten-loa-high BankID"),
            answers: json!({
                "navn": "Kari Nordmann", "barn.0.navn": format!("Emil {marker}"),
                "barn.0.fodselsdato": born.to_string(), "barn.0.oppstart": start.to_string(),
                "barn.0.behov": "nei", "bydel": "nord", "heltid": "100", "samtykke": "true"
            }),
            files: none.clone(),
            erase: true,
        },
        Walk {
            form: "innsyn",
            queue: "personvern",
            login: Some("idporten-loa-substantial Minid-PIN"),
            answers: json!({
                "omrader": ["alt"], "utdyping": format!("Alt dere har om meg {marker}"),
                "levering": "digitalt"
            }),
            files: none.clone(),
            erase: false,
        },
        Walk {
            form: "sikker-melding",
            queue: "servicetorget",
            login: Some("idporten-loa-substantial Minid-PIN"),
            answers: json!({ "melding": format!("Min sønn har fått diagnosen diabetes {marker}") }),
            files: none.clone(),
            erase: true,
        },
        Walk {
            form: "retting",
            queue: "personvern",
            login: Some("idporten-loa-substantial Minid-PIN"),
            answers: json!({
                "hva": "retting", "opplysninger": format!("Feil adresse {marker}"),
                "riktig": "Storgata 1, 0150 Oslo"
            }),
            files: none,
            erase: false,
        },
    ]
}

fn chromium() -> PathBuf {
    let path = PathBuf::from(
        std::env::var("FORMS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    );
    assert!(
        path.exists(),
        "the browser test needs Debian's Chromium at {} (apt-get install chromium; .ci/run does this)",
        path.display()
    );
    path
}

/// playwright-core and axe-core, as pinned in tests/browser/package-lock.json.
fn node_modules() {
    let dir = Path::new(BROWSER_DIR);
    if dir.join("node_modules/playwright-core").exists()
        && dir.join("node_modules/axe-core").exists()
    {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .expect("the browser test needs Node.js and npm (apt-get install nodejs npm)");
    assert!(status.success(), "npm ci in tests/browser failed");
}

fn run_browser(plan: &Path) {
    let mut child = Command::new("node")
        .arg(Path::new(BROWSER_DIR).join("run.mjs"))
        .arg(plan)
        .env("FORMS_CHROMIUM", chromium())
        .stdin(Stdio::null())
        .spawn()
        .expect("node");
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the browser run failed: {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the browser run took more than 15 minutes");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_shipped_form_works_in_chromium_without_javascript_and_passes_axe() {
    chromium();
    node_modules();
    // With [site], so that the name and the footer are audited too.
    // With [mail] and the site's address, so that a newsletter sign-up is confirmed.
    let mut server = Server::prepare_with_login(Backend::Sqlite).await;
    let smtp_port = free_port();
    server.append_config(&format!(
        "{}[site]\nname = \"Eksempel kommune\"\n\
         accessibility_statement = \"https://uustatus.no/nb/erklaringer/publisert/eksempel\"\n\
         privacy_contact = \"personvernombud@eksempel.kommune.no\"\n\
         url = \"{SITE}\"\n",
        mail_config(smtp_port)
    ));
    let work = TempDir::new("browser");
    let (_smtp, mailbox) = start_smtp(&server, smtp_port, &work);
    tokio::task::block_in_place(|| server.launch());
    let photo = work.path().join("kum.png");
    std::fs::write(&photo, TINY_PNG).unwrap();
    let marker = canary("browser");
    let walks = walks(&marker, &photo);
    let shipped_forms = forms_server::schema::Catalog::load_dir(&server.schemas()).unwrap();
    let subscribes = |walk: &Walk| {
        shipped_forms
            .form(walk.form)
            .is_some_and(|form| form.subscription.is_some())
    };

    // Every shipped form has a walk: a new form without one fails here, not silently.
    let shipped = forms_server::schema::Catalog::load_dir(&server.schemas()).unwrap();
    for form in shipped.forms() {
        let id = form.id.to_string();
        if id == "byggesak-sporsmal" {
            continue; // the harness's own extra form
        }
        assert!(
            walks.iter().any(|w| w.form == id),
            "add how a citizen answers '{id}' to tests/e2e/browser.rs"
        );
    }

    let _ = std::fs::remove_dir_all(SCREENSHOTS);
    let plan = json!({
        "base": server.url,
        "issuer": server.issuer,
        "cert": server.dir.path().join("cert.pem"),
        "out": SCREENSHOTS,
        "site": SITE,
        "mailbox": mailbox,
        "forms": walks.iter().map(|w| json!({
            "id": w.form, "send": true, "login": w.login, "answers": w.answers, "files": w.files,
            "erase": w.erase, "subscription": subscribes(w),
        })).collect::<Vec<_>>(),
    });
    let plan_path = work.path().join("plan.json");
    std::fs::write(&plan_path, serde_json::to_vec_pretty(&plan).unwrap()).unwrap();
    run_browser(&plan_path);

    let report: Value =
        serde_json::from_slice(&std::fs::read(Path::new(SCREENSHOTS).join("report.json")).unwrap())
            .unwrap();
    // A walk that erases, on a form no law keeps: the erasure goes through.
    let erasable = |walk: &Walk| {
        walk.erase
            && shipped
                .form(walk.form)
                .is_some_and(|form| form.retention_required_by.is_none())
    };
    let mut problems = Vec::new();
    for walk in walks.iter().filter(|w| subscribes(w)) {
        let subscribed = report["forms"][walk.form]["subscribed"].as_array().unwrap();
        if subscribed.len() != 2 {
            problems.push(format!(
                "{}: {} of 2 walks subscribed",
                walk.form,
                subscribed.len()
            ));
        }
    }
    for walk in &walks {
        let result = &report["forms"][walk.form];
        for failure in result["failures"].as_array().unwrap() {
            problems.push(format!("{}: {}", walk.form, failure.as_str().unwrap()));
        }
        for v in result["violations"].as_array().unwrap() {
            problems.push(format!(
                "{} ({}): axe {} [{}] {}: {}",
                walk.form, v["state"], v["rule"], v["impact"], v["help"], v["nodes"]
            ));
        }
        let audited: Vec<&str> = result["audited"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        let mut expected = vec!["skjema", "skjema-en", "utskrift", "feil", "kvittering"];
        if shipped.form(walk.form).unwrap().is_multi_page() {
            expected.push("oppsummering");
        }
        if walk.login.is_some() {
            expected.extend(["mine-innsendinger", "innsending"]);
        }
        if subscribes(walk) {
            expected.extend(["bekreft", "abonnement", "abonnement-feil", "avmeldt"]);
        }
        if walk.erase {
            expected.push("slett");
        }
        if erasable(walk) {
            expected.push("slettet");
        }
        for state in expected {
            if !audited.contains(&state) {
                problems.push(format!("{}: state '{state}' was not audited", walk.form));
            }
            let shot = Path::new(SCREENSHOTS).join(format!("{}-{state}.png", walk.form));
            if !state.ends_with("-en") && !shot.exists() {
                problems.push(format!("{}: no screenshot {}", walk.form, shot.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // What the browser sent arrived, sealed, in the right queue: both walks of each form.
    // What it erased is gone; what a law keeps is not. (A sign-up is kept by the server
    // to send the news, not sealed to a queue, and was ended above.)
    for walk in walks.iter().filter(|w| !subscribes(w)) {
        let queue = walk.queue;
        let strings = |key: &str| -> Vec<String> {
            report["forms"][walk.form][key]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect()
        };
        let (references, erased) = (strings("references"), strings("erased"));
        assert_eq!(references.len(), 2, "{}: {references:?}", walk.form);
        let (token_file, _) = server.add_caseworker(queue);
        let inbox = TempDir::new("browser-inbox");
        server.pull(&token_file, queue, inbox.path());
        if erasable(walk) {
            assert_eq!(erased, references, "{}: both walks erase", walk.form);
        } else {
            assert!(erased.is_empty(), "{}: erased {erased:?}", walk.form);
        }
        for reference in &erased {
            let path = inbox.path().join(format!("{reference}.json"));
            assert!(
                !path.exists(),
                "{}: {reference} erased, yet pulled",
                walk.form
            );
        }
        for reference in references.iter().filter(|r| !erased.contains(r)) {
            let path = inbox.path().join(format!("{reference}.json"));
            let payload: Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| {
                    panic!("{}: {reference} not in queue {queue}: {e}", walk.form)
                }))
                .unwrap();
            assert_eq!(payload["form"]["id"], walk.form);
            let text = payload["answers"].to_string().to_lowercase();
            assert!(
                text.contains(&marker.to_lowercase()),
                "{}: the answers lack what the browser typed: {text}",
                walk.form
            );
            if walk.files["bilde"].is_array() {
                assert_eq!(payload["answers"]["bilde"][0]["type"], "image/png");
                assert_eq!(payload["answers"]["bilde"][0]["name"], "kum.png");
            }
        }
    }
    eprintln!("screenshots: {SCREENSHOTS}");
}
