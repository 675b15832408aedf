//! The hourly limit on submissions from one network address: what the citizen and an
//! API client are told, that nothing is stored, that other addresses go on, that the
//! address itself is never stored, and that the limit lifts when the hour has passed.

use std::sync::Arc;

use forms_server::clock::{Clock, ManualClock, SystemClock};
use serde_json::json;

use crate::support::{Backend, Postgres, Server, canary, contains, form_session, get_text};

/// An HTTPS client of `server` whose connections come from `address` (any address of
/// 127.0.0.0/8 reaches a server on 127.0.0.1).
fn client_from(server: &Server, address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&server.cert_pem).unwrap())
        .local_address(Some(address.parse().unwrap()))
        .build()
        .unwrap()
}

/// The `Retry-After` seconds of a response, which must be there and within the hour.
fn retry_after(response: &reqwest::Response) -> u64 {
    let seconds: u64 = response
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&seconds), "{seconds}");
    seconds
}

async fn send(client: &reqwest::Client, server: &Server, message: &str) -> reqwest::Response {
    client
        .post(format!("{}/api/v1/forms/kontakt/submissions", server.url))
        .json(&json!({"answers": {"message": message}}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_that_has_sent_its_share_is_told_when_to_try_again() {
    let mut server = Server::prepare(Backend::Sqlite, None);
    server.set_limit("submissions_per_hour", 3);
    server.launch();
    let client = client_from(&server, "127.0.0.1");
    let marker = canary("LIMIT");
    for i in 0..3 {
        let response = send(&client, &server, &format!("{marker} {i}")).await;
        assert_eq!(response.status(), 201);
    }

    // The fourth, through the API: 429 as problem+json, with when to try again.
    let response = send(&client, &server, &format!("{marker} api")).await;
    assert_eq!(response.status(), 429);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let seconds = retry_after(&response);
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 429);
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("Nothing was stored"), "{detail}");
    assert!(detail.contains(&format!("{seconds} seconds")), "{detail}");

    // The fourth, through the HTML form: the form again, with the citizen's text, and
    // the reason and the wait in bokmål, in the error summary's place.
    let form_url = format!("{}/skjema/kontakt", server.url);
    let (cookie, token) = form_session(&client, &form_url).await;
    let typed = format!("{marker} html");
    let response = client
        .post(&form_url)
        .header("cookie", &cookie)
        .form(&[
            ("_csrf", token.as_str()),
            ("message", typed.as_str()),
            ("email", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let minutes = retry_after(&response).div_ceil(60);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Det er sendt mange skjemaer fra nettverksadressen din den siste timen"),
        "{page}"
    );
    assert!(
        page.contains(&format!("Prøv igjen om {minutes} minutt")),
        "{page}"
    );
    assert!(page.contains(&typed), "the citizen's text is kept");
    assert!(page.contains("role=\"alert\""), "{page}");

    // In English when asked for.
    let response = client
        .post(format!("{form_url}?lang=en"))
        .header("cookie", &cookie)
        .form(&[("_csrf", token.as_str()), ("message", typed.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let page = response.text().await.unwrap();
    assert!(page.contains("Many forms have been sent from your network address"));

    // The privacy pages say that addresses are counted, and how.
    let privacy = get_text(&client, &format!("{form_url}/personvern")).await;
    assert!(
        privacy.contains("teller vi hvor mange skjemaer som sendes fra hver nettverksadresse"),
        "{privacy}"
    );

    // Another address is not held back.
    let other = client_from(&server, "127.0.0.2");
    let response = send(&other, &server, &format!("{marker} other")).await;
    assert_eq!(response.status(), 201);

    // Four stored: nothing of the refused ones. The address is nowhere in the
    // database, and the refusals are logged without content.
    let (_, token) = server.add_caseworker("servicetorget");
    assert_eq!(server.listed(&token, "servicetorget").await.len(), 4);
    let bytes = server.sqlite_bytes();
    assert!(!contains(&bytes, "127.0.0.1") && !contains(&bytes, "127.0.0.2"));
    let log = server.log();
    assert_eq!(
        log.matches("submission refused: too many from one address")
            .count(),
        3,
        "{log}"
    );
    assert!(!log.contains(&marker));
}

/// The hour passes (a clock of the test's): the address may send again as soon as its
/// oldest submission has left the hour, and not before; on both backends.
async fn the_limit_lifts_after_an_hour(backend: Backend) {
    let clock = ManualClock::at(SystemClock.now());
    let mut server = Server::prepare(backend, None);
    server.set_limit("submissions_per_hour", 2);
    server.serve_here(Arc::new(clock.clone())).await;
    let client = client_from(&server, "127.0.0.1");
    for i in 0..2 {
        assert_eq!(
            send(&client, &server, &format!("m {i}")).await.status(),
            201
        );
        clock.advance_millis(20 * 60_000);
    }
    let response = send(&client, &server, "m 2").await;
    assert_eq!(response.status(), 429);
    // The first was sent 40 minutes ago, in a slot that began up to 10 minutes before.
    let seconds = retry_after(&response);
    assert!((600..=1200).contains(&seconds), "{seconds}");
    clock.advance_millis(i64::try_from(seconds).unwrap() * 1000);
    assert_eq!(send(&client, &server, "m 3").await.status(), 201);
    assert_eq!(send(&client, &server, "m 4").await.status(), 429);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_limit_lifts_after_an_hour_on_sqlite() {
    the_limit_lifts_after_an_hour(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_limit_lifts_after_an_hour_on_postgres() {
    let pg = Postgres::start();
    the_limit_lifts_after_an_hour(Backend::Postgres(pg.create_database("hourly"))).await;
}
