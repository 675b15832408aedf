//! The OIDC client against the ID-porten simulator over real HTTPS: a good login with
//! KRR contact details, and every way a hostile or broken provider can go wrong.
//! The flow through the server's own pages is in `citizen_login.rs`.

use std::sync::Arc;
use std::time::Duration;

use forms_server::auth::idporten::{ClientAuth, ClientSettings, IdPorten, Level, LoginError};
use forms_server::auth::simulator::{self, SimClient, SimulatorOptions};
use forms_server::clock::SystemClock;

use crate::support::TempDir;

const REDIRECT: &str = "https://localhost:1/innlogging/tilbake";

struct Setup {
    client: IdPorten,
    http: reqwest::Client,
    _dir: TempDir,
}

async fn setup() -> Setup {
    let dir = TempDir::new("login");
    let (cert_pem, _, tls) = crate::support::localhost_tls(dir.path());
    let sim = simulator::start(SimulatorOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        tls,
        key_file: dir.path().join("sim-key.pem"),
        clients: vec![SimClient {
            client_id: "forms-test".into(),
            secret: Some("s3cret".into()),
            public_key: None,
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![],
            frontchannel_logout_uri: None,
        }],
        clock: Arc::new(SystemClock),
    })
    .await
    .unwrap();
    let client = IdPorten::new(
        ClientSettings {
            issuer: sim.issuer.clone(),
            client_id: "forms-test".into(),
            auth: ClientAuth::Secret(zeroize::Zeroizing::new("s3cret".into())),
            redirect_uri: REDIRECT.into(),
            post_logout_redirect_uri: "https://localhost:1/utlogget".into(),
            krr_url: format!("{}/kontaktregister/rest/v1/person", sim.issuer),
            extra_root_pem: Some(cert_pem.clone().into_bytes()),
            krr_timeout: Duration::from_secs(2),
        },
        Arc::new(SystemClock),
        true,
    )
    .unwrap();
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Setup {
        client,
        http,
        _dir: dir,
    }
}

/// Logs in at the simulator as a citizen would: the authorize page, then its form.
/// Returns the callback's code, state and iss.
async fn authorize(s: &Setup, url: &str, level: &str, fault: &str) -> (String, String, String) {
    let page = s.http.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200, "{}", page.text().await.unwrap());
    let parsed = reqwest::Url::parse(url).unwrap();
    let mut form: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    form.push(("person".into(), "0".into()));
    form.push(("level".into(), level.into()));
    form.push(("fault".into(), fault.into()));
    let mut action = parsed.clone();
    action.set_query(None);
    let response = s.http.post(action).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(REDIRECT), "{location}");
    let back = reqwest::Url::parse(&location).unwrap();
    let get = |k: &str| {
        back.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    (get("code"), get("state"), get("iss"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_at_the_simulator_gives_the_person_their_level_and_krr_details() {
    let s = setup().await;
    let (url, pending) = s.client.begin(Level::Substantial, "nb").await.unwrap();
    assert!(url.contains("code_challenge_method=S256"));
    assert!(url.contains("acr_values=idporten-loa-substantial"));
    let (code, state, iss) =
        authorize(&s, &url, "idporten-loa-substantial Minid-PIN", "none").await;
    let login = s
        .client
        .finish(&pending, Some(&code), Some(&state), Some(&iss), None)
        .await
        .unwrap();
    assert_eq!(login.pid, "17819010188");
    assert_eq!(login.level, Level::Substantial);
    assert_eq!(login.amr, vec!["Minid-PIN".to_string()]);
    assert!(login.sid.is_some());
    let contact = s
        .client
        .krr_contact(login.access_token.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(contact.email.as_deref(), Some("kari.nordmann@example.no"));
    assert_eq!(contact.mobile.as_deref(), Some("+4791234567"));

    // The code was used: a second exchange fails at the provider.
    let again = s
        .client
        .finish(&pending, Some(&code), Some(&state), Some(&iss), None)
        .await
        .unwrap_err();
    assert_eq!(again.kind(), "token_request_failed", "{again:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_or_broken_provider_never_logs_anyone_in() {
    let s = setup().await;
    let substantial = "idporten-loa-substantial Minid-PIN";
    let high = "idporten-loa-high BankID";
    // (what goes wrong, level picked, fault, the form's level, the error's kind)
    let cases: &[(&str, &str, &str, Level, &str)] = &[
        (
            "wrong nonce",
            high,
            "wrong_nonce",
            Level::High,
            "id_token_invalid",
        ),
        (
            "wrong issuer",
            high,
            "wrong_issuer",
            Level::High,
            "id_token_invalid",
        ),
        (
            "wrong audience",
            high,
            "wrong_audience",
            Level::High,
            "id_token_invalid",
        ),
        (
            "expired ID token",
            high,
            "expired",
            Level::High,
            "id_token_invalid",
        ),
        (
            "alg none",
            high,
            "alg_none",
            Level::High,
            "id_token_invalid",
        ),
        (
            "HS256 keyed with the RSA public key",
            high,
            "hs256_public_key",
            Level::High,
            "id_token_invalid",
        ),
        (
            "unknown kid, still unknown after refetching",
            high,
            "unknown_kid",
            Level::High,
            "id_token_invalid",
        ),
        (
            "acr below the form's level",
            substantial,
            "none",
            Level::High,
            "level_too_low",
        ),
        (
            "pid missing",
            high,
            "pid_missing",
            Level::High,
            "pid_missing",
        ),
        (
            "pid invalid",
            high,
            "pid_invalid",
            Level::High,
            "pid_invalid",
        ),
        (
            "iss of the response differs",
            high,
            "wrong_iss_in_response",
            Level::High,
            "issuer_mismatch",
        ),
    ];
    for (what, level, fault, form_level, kind) in cases {
        let (url, pending) = s.client.begin(*form_level, "nb").await.unwrap();
        let (code, state, iss) = authorize(&s, &url, level, fault).await;
        let result = s
            .client
            .finish(&pending, Some(&code), Some(&state), Some(&iss), None)
            .await;
        match result {
            Err(e) => assert_eq!(e.kind(), *kind, "{what}: {e:?}"),
            Ok(_) => panic!("{what}: logged in"),
        }
    }
    // State missing or wrong: refused before the code is even used.
    let (url, pending) = s.client.begin(Level::High, "nb").await.unwrap();
    let (code, _, iss) = authorize(&s, &url, high, "none").await;
    for state in [None, Some("forged")] {
        let e = s
            .client
            .finish(&pending, Some(&code), state, Some(&iss), None)
            .await
            .unwrap_err();
        assert_eq!(e, LoginError::StateMismatch);
    }
}
