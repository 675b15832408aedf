//! The schema language through the real server: attachments judged by their content
//! and sealed with the answers, routing rules, forms in several steps, the print view,
//! forms that need login, each form's privacy page, and schema files changed while the
//! server runs.

use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::json;

use crate::support::{
    Backend, Server, TINY_PNG, TempDir, file_with_extension, form_session, get_text,
};

const BOUNDARY: &str = "----forms-test-boundary";

/// A multipart/form-data body as a browser sends it.
fn multipart(texts: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in texts {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attachment_is_judged_by_its_content_and_sealed_with_the_answers() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let url = format!("{}/skjema/feilmelding", server.url);
    let (cookie, token) = form_session(&client, &url).await;
    let page = get_text(&client, &url).await;
    assert!(page.contains("enctype=\"multipart/form-data\""));
    assert!(page.contains("type=\"file\""));

    let texts = [
        ("_csrf", token.as_str()),
        ("hva", "vann"),
        ("sted", "Storgata 1"),
        ("beskrivelse", "Vann fosser opp av kummen"),
    ];
    let post = |body: Vec<u8>| {
        client
            .post(&url)
            .header("cookie", &cookie)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
    };
    // A PDF whose name says JPEG: refused by its content, with the citizen's text kept.
    let pdf = b"%PDF-1.7 pretending to be a photo".to_vec();
    let response = post(multipart(&texts, &[("bilde", "kum.jpg", &pdf)]))
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Vi ser på innholdet, ikke filnavnet"),
        "{page}"
    );
    assert!(page.contains("href=\"#field-bilde\""));
    assert!(page.contains("Vann fosser opp av kummen"));

    // A PNG named .jpg is a PNG: accepted.
    let png = TINY_PNG.to_vec();
    let response = post(multipart(&texts, &[("bilde", "kum.jpg", &png)]))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("Referansenummer"), "{page}");
    assert!(page.contains("Dette sendte du"), "{page}");
    assert!(
        page.contains("kum.jpg"),
        "the copy names the attached file: {page}"
    );

    // Routed by the rule for water to drift-vann; the file is inside the sealed payload.
    let (token_file, _) = server.add_caseworker("drift-vann");
    let inbox = TempDir::new("inbox");
    let report = server.pull(&token_file, "drift-vann", inbox.path());
    assert!(report.starts_with("1 new submission(s)"), "{report}");
    assert!(report.contains("1 attached file(s)"), "{report}");
    let json_path = file_with_extension(inbox.path(), "json");
    // The attached file as sent, beside the submission, readable by the caseworker only.
    let reference = json_path.file_stem().unwrap().to_str().unwrap();
    let attached = inbox.path().join(format!("{reference}-vedlegg/kum.jpg"));
    assert_eq!(std::fs::read(&attached).unwrap(), TINY_PNG);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&attached).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let payload: serde_json::Value =
        serde_json::from_slice(&std::fs::read(json_path).unwrap()).unwrap();
    let file = &payload["answers"]["bilde"][0];
    assert_eq!(file["type"], "image/png");
    assert_eq!(file["name"], "kum.jpg");
    let data = base64::engine::general_purpose::STANDARD
        .decode(file["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(data, png);
    assert_eq!(payload["queue"], "drift-vann");
    assert_eq!(payload["form"]["schema_sha256"].as_str().unwrap().len(), 64);
}

#[tokio::test(flavor = "multi_thread")]
async fn steps_print_view_and_forms_that_need_login() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let url = format!("{}/skjema/barnehage", server.url);
    let (cookie, token) = form_session(&client, &url).await;
    let post = |pairs: Vec<(&'static str, String)>| {
        let mut form: Vec<(&str, String)> = vec![("_csrf", token.clone())];
        form.extend(pairs);
        client
            .post(&url)
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    // Step 1 left empty: the error summary links to each missing answer.
    let response = post(vec![("_page", "0".into()), ("_action", "next".into())])
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("Det er et problem"));
    assert!(page.contains("href=\"#field-fnr\""));
    assert!(page.contains("Steg 1 av 3"));
    // Step 1 answered: step 2, with the answers carried along.
    let step1 = vec![
        ("_page", "0".to_string()),
        ("fnr", "01010750160".into()),
        ("navn", "Kari Nordmann".into()),
        ("epost", "kari@example.no".into()),
    ];
    let mut next = step1.clone();
    next.push(("_action", "next".into()));
    let page = post(next).await.unwrap().text().await.unwrap();
    assert!(page.contains("Steg 2 av 3"), "{page}");
    assert!(page.contains("name=\"navn\" value=\"Kari Nordmann\""));
    // Adding a child shows a second set of fields.
    let mut add = step1.clone();
    add[0] = ("_page", "1".into());
    add.push(("_action", "add:barn".into()));
    let page = post(add).await.unwrap().text().await.unwrap();
    assert!(page.contains("Barn 2"), "{page}");
    assert!(page.contains("name=\"barn.1.navn\""));

    // The print view holds every field, the conditional ones with their condition.
    let page = get_text(&client, &format!("{url}/utskrift")).await;
    for text in [
        "Om deg",
        "Barnets navn",
        "Beskriv behovene",
        "Svar bare hvis",
        "Barn 2",
        "Ønsket oppholdstid",
    ] {
        assert!(page.contains(text), "{text}");
    }

    // Without login, a form that needs it takes nothing.
    let (status, body) = server
        .submit_json(&client, "barnehage", json!({"answers": {"navn": "Kari"}}))
        .await;
    assert_eq!(status, 401, "{body}");
}

/// Each form links its privacy page in every language it offers, and the page says
/// what the schema declares: purpose, legal basis, the queues that read the answers,
/// the months they are kept, and the law that keeps them, if any.
#[tokio::test(flavor = "multi_thread")]
async fn every_form_has_a_privacy_page_that_says_what_its_schema_declares() {
    use forms_server::i18n::Lang;
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let catalog = forms_server::schema::Catalog::load_dir(&server.schemas()).unwrap();
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut forms = 0;
    for form in catalog.forms() {
        forms += 1;
        for lang in Lang::ALL.into_iter().filter(|l| form.offers(*l)) {
            let tag = lang.tag();
            let base = format!("{}/skjema/{}", server.url, form.id);
            let page = get_text(&client, &format!("{base}?lang={tag}")).await;
            let href = format!("/skjema/{}/personvern?lang={tag}", form.id);
            assert!(
                page.contains(&format!("href=\"{href}\"")),
                "{}: no link",
                form.id
            );
            let response = client
                .get(format!("{}{href}", server.url))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{href}");
            let page = response.text().await.unwrap();
            let what = format!("{} ({tag})", form.id);
            assert!(page.contains(&format!("<html lang=\"{tag}\"")), "{what}");
            for text in [&form.privacy.purpose, &form.privacy.legal_basis] {
                assert!(page.contains(&escape(text.get(lang))), "{what}: {page}");
            }
            for queue in form.queues() {
                let name = catalog.queue(queue.as_str()).unwrap().name.get(lang);
                assert!(page.contains(&escape(name)), "{what}: no {name}");
            }
            let months = form.retention_months.to_string();
            // A subscription is kept until the subscriber leaves, by the link in
            // every mail; the months count from the last confirmation or change.
            let kept = match (lang, &form.retention_required_by) {
                _ if form.subscription.is_some() => match lang {
                    Lang::Nb => "melder du deg av, sletter vi adressen med en gang",
                    Lang::Nn => "meldar du deg av, slettar vi adressa med ein gong",
                    Lang::En => "if you unsubscribe, we delete the address at once",
                }
                .into(),
                (_, Some(law)) => escape(law),
                (Lang::Nb, None) => "Du kan be om å få den slettet før det.".into(),
                (Lang::Nn, None) => "Du kan be om å få ho sletta før det.".into(),
                (Lang::En, None) => "You may ask us to delete it sooner.".into(),
            };
            assert!(
                page.contains(&format!(" {months} ")),
                "{what}: {months} months"
            );
            assert!(page.contains(&kept), "{what}: {kept}");
            for request in catalog.forms().filter(|f| f.privacy_request) {
                let link = format!(
                    "<a href=\"/skjema/{}?lang={tag}\">{}</a>",
                    request.id,
                    escape(request.title.get(lang))
                );
                assert!(page.contains(&link), "{what}: no {link}");
            }
        }
    }
    assert!(forms >= 9, "only {forms} forms");
    let requests: Vec<&str> = catalog
        .forms()
        .filter(|f| f.privacy_request)
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(requests, ["innsyn", "retting"]);

    // The test form's own texts, its law and its queue, in bokmål.
    let page = get_text(
        &client,
        &format!("{}/skjema/byggesak-sporsmal/personvern", server.url),
    )
    .await;
    for text in [
        "Personvern: Spørsmål om byggesak",
        "For å svare på spørsmål om byggesaker.",
        "Plan- og bygningsloven &amp; forvaltningsloven.",
        "bare saksbehandlerne i byggesak kan lese dem",
        "Vi sletter innsendingen 12 måneder etter at vi tok imot den. \
         Etter arkivlova § 6 må vi ta vare på den så lenge.",
        "Skjemaet krever ikke innlogging",
        "https://www.datatilsynet.no/",
    ] {
        assert!(page.contains(text), "{text}: {page}");
    }
    // A newsletter's: the server keeps the address to send it; nobody in the queue
    // sees it; unconfirmed sign-ups go in 48 hours.
    let page = get_text(
        &client,
        &format!("{}/skjema/nyhetsbrev/personvern", server.url),
    )
    .await;
    for text in [
        "brukes bare av serveren, som sender nyhetsbrevet",
        "Nyhetsbrevene skrives av saksbehandlerne i kommunikasjon, som ikke ser hvem som abonnerer",
        "en påmelding som ikke er bekreftet innen 48 timer, slettes",
        "24 måneder etter at du sist bekreftet eller endret abonnementet",
    ] {
        assert!(page.contains(text), "{text}: {page}");
    }
    assert!(!page.contains("bare saksbehandlerne i"), "{page}");
    let missing = client
        .get(format!("{}/skjema/finnes-ikke/personvern", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// `[site]` names the municipality in the header and the titles, gives the data
/// protection officer on the privacy pages, and links the accessibility statement at
/// the foot of every page; without it the pages say "Kommunen" and have no footer.
#[tokio::test(flavor = "multi_thread")]
async fn the_site_section_names_the_municipality_on_its_pages() {
    const STATEMENT: &str = "https://uustatus.no/nb/erklaringer/publisert/abc";
    let site = format!(
        "[site]\nname = \"Eksempel kommune\"\naccessibility_statement = \"{STATEMENT}\"\n\
         privacy_contact = \"personvernombud@eksempel.kommune.no\"\n"
    );
    let server = Server::start_with_config(Backend::Sqlite, &site);
    let plain = Server::start(Backend::Sqlite);
    // Each server has a certificate of its own, trusted by its own client.
    let fetch = |server: &Server, path: &str| {
        let url = format!("{}{path}", server.url);
        let client = server.client();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    for path in [
        "/",
        "/skjema/kontakt",
        "/skjema/kontakt/personvern",
        "/finnes-ikke",
    ] {
        let page = fetch(&server, path).await;
        assert!(
            page.contains("<p class=\"site-name\"><a href=\"/?lang=nb\">Eksempel kommune</a>"),
            "{path}: {page}"
        );
        assert!(page.contains("Eksempel kommune</title>"), "{path}");
        assert!(
            page.contains(&format!(
                "<a href=\"{STATEMENT}\">Tilgjengelighetserklæring</a>"
            )),
            "{path}"
        );
        let page = fetch(&plain, path).await;
        assert!(
            page.contains("<a href=\"/?lang=nb\">Kommunen</a>"),
            "{path}"
        );
        assert!(!page.contains("site-footer"), "{path}");
    }
    assert!(
        fetch(&server, "/")
            .await
            .contains("<title>Eksempel kommune</title>")
    );

    let privacy = fetch(&server, "/skjema/kontakt/personvern").await;
    assert!(privacy.contains("Eksempel kommune er behandlingsansvarlig"));
    assert!(privacy.contains(
        "<a href=\"mailto:personvernombud@eksempel.kommune.no\">personvernombud@eksempel.kommune.no</a>"
    ));
    let english = fetch(&server, "/skjema/kontakt/personvern?lang=en").await;
    assert!(english.contains("Eksempel kommune is the controller"));
    assert!(english.contains(">Accessibility statement</a>"));
    let privacy = fetch(&plain, "/skjema/kontakt/personvern").await;
    assert!(privacy.contains("Kommunen er behandlingsansvarlig"));
    assert!(!privacy.contains("mailto:"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_schema_is_taken_in_only_when_it_passes() {
    let server = Server::start(Backend::Sqlite);
    let client = server.client();
    let (status, _) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "før endringen"}}),
        )
        .await;
    assert_eq!(status, 201);

    let path = server.schemas().join("kontakt.yaml");
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        original.replace("nb: Din henvendelse", "nb: Ditt spørsmål"),
    )
    .unwrap();
    let url = format!("{}/skjema/kontakt", server.url);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = get_text(&client, &url).await;
        if page.contains("Ditt spørsmål") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the changed schema was not taken in"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A broken edit: logged, and the last good version keeps serving.
    std::fs::write(&path, original.replace("type: textarea", "type: txet")).unwrap();
    server.wait_for_log("form schemas not reloaded", Duration::from_secs(20));
    assert!(server.log().contains("did you mean 'text'"));
    let page = get_text(&client, &url).await;
    assert!(page.contains("Ditt spørsmål"));

    // The submission made before the change still reads with the labels it was sent with.
    std::fs::write(&path, &original).unwrap();
    let (token_file, _) = server.add_caseworker("servicetorget");
    let inbox = TempDir::new("inbox");
    server.pull(&token_file, "servicetorget", inbox.path());
    let text_path = file_with_extension(inbox.path(), "txt");
    let text = std::fs::read_to_string(text_path).unwrap();
    assert!(text.contains("Din henvendelse:\n  før endringen"), "{text}");
}
