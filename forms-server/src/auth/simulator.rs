//! The ID-porten simulator: ID-porten and KRR as this project needs them, for `forms dev`
//! and the tests, over HTTPS on loopback only.
//!
//! It speaks the protocol of ../shared/ID-PORTEN.md and enforces what ID-porten
//! enforces: registered clients and redirect URIs, `response_type=code`, PKCE with S256,
//! `state` and `nonce`, codes that are single-use and live 60 seconds, client
//! authentication by `client_secret_basic` or `private_key_jwt`. ID tokens are RS256
//! with the claims ID-porten sends (`pid`, `acr`, `amr`, `sid`, `locale`, a pairwise
//! `sub`). The KRR person endpoint answers for the synthetic people below, among them
//! one who has reserved against digital contact and one who is not registered.
//!
//! The authorize page also offers a *fault*: the simulator then misbehaves the way a
//! broken or hostile provider would (a wrong nonce, issuer or audience, an expired
//! token, `alg: none`, HS256 keyed with the public key, an unknown key id, no or a bad
//! `pid`, a wrong `iss` in the authorization response, KRR slow or down). The client's
//! tests pick them the way a developer would, through the page.
//!
//! Everything lives in memory: a restart forgets codes and sessions, as a developer
//! expects of a simulator. Never for production: [`start`] refuses any address but
//! loopback.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use maud::{DOCTYPE, Markup, html};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{jws_input, random_token, rs256_jws, url_encode};
use crate::clock::Clock;

/// How long a code may wait for the token endpoint.
const CODE_LIFETIME_MS: i64 = 60_000;
/// How long ID and access tokens live, as at ID-porten.
const TOKEN_LIFETIME_S: i64 = 120;

/// A synthetic person (Tenor-style: month + 80) and what KRR holds about them.
#[derive(Debug, Clone)]
pub struct Person {
    pub pid: &'static str,
    pub name: &'static str,
    pub krr: Krr,
}

#[derive(Debug, Clone)]
pub enum Krr {
    Active {
        email: Option<&'static str>,
        mobile: Option<&'static str>,
    },
    Reserved,
    NotRegistered,
}

/// The people on the authorize page.
pub const PEOPLE: &[Person] = &[
    Person {
        pid: "17819010188",
        name: "Kari Nordmann",
        krr: Krr::Active {
            email: Some("kari.nordmann@example.no"),
            mobile: Some("+4791234567"),
        },
    },
    Person {
        pid: "03918510094",
        name: "Ola Nordmann",
        krr: Krr::Active {
            email: Some("ola.nordmann@example.no"),
            mobile: None,
        },
    },
    Person {
        pid: "24837510089",
        name: "Reservert Person",
        krr: Krr::Reserved,
    },
    Person {
        pid: "15920110034",
        name: "Ikke Registrert",
        krr: Krr::NotRegistered,
    },
];

/// Ways the simulator can misbehave, chosen on the authorize page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    WrongNonce,
    WrongIssuer,
    WrongAudience,
    Expired,
    AlgNone,
    Hs256PublicKey,
    UnknownKid,
    PidMissing,
    PidInvalid,
    WrongIssInResponse,
    KrrSlow,
    KrrDown,
}

impl Fault {
    /// Every fault with its name on the page's form and its label: the one table.
    pub const ALL: &[(Fault, &str, &str)] = &[
        (Fault::None, "none", "Ingen (vanlig innlogging)"),
        (Fault::WrongNonce, "wrong_nonce", "Feil nonce i ID-tokenet"),
        (
            Fault::WrongIssuer,
            "wrong_issuer",
            "Feil utsteder (iss) i ID-tokenet",
        ),
        (
            Fault::WrongAudience,
            "wrong_audience",
            "Feil mottaker (aud) i ID-tokenet",
        ),
        (Fault::Expired, "expired", "Utløpt ID-token"),
        (Fault::AlgNone, "alg_none", "Usignert ID-token (alg: none)"),
        (
            Fault::Hs256PublicKey,
            "hs256_public_key",
            "HS256 med den offentlige nøkkelen",
        ),
        (Fault::UnknownKid, "unknown_kid", "Ukjent nøkkel-id (kid)"),
        (Fault::PidMissing, "pid_missing", "Uten pid"),
        (Fault::PidInvalid, "pid_invalid", "Ugyldig pid"),
        (
            Fault::WrongIssInResponse,
            "wrong_iss_in_response",
            "Feil iss i svaret til klienten",
        ),
        (Fault::KrrSlow, "krr_slow", "KRR svarer tregt (10 s)"),
        (Fault::KrrDown, "krr_down", "KRR er nede (500)"),
    ];

    /// The fault a form value names; an empty value is no fault.
    pub fn from_name(name: &str) -> Option<Fault> {
        if name.is_empty() {
            return Some(Fault::None);
        }
        Fault::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(f, _, _)| *f)
    }
}

/// A client registered with the simulator.
#[derive(Debug, Clone)]
pub struct SimClient {
    pub client_id: String,
    /// For `client_secret_basic`.
    pub secret: Option<String>,
    /// For `private_key_jwt`.
    pub public_key: Option<RsaPublicKey>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Loaded in an iframe with `?iss=...&sid=...` when a session is ended here.
    pub frontchannel_logout_uri: Option<String>,
}

pub struct SimulatorOptions {
    /// Must be a loopback address.
    pub listen: SocketAddr,
    pub tls: Arc<rustls::ServerConfig>,
    /// The signing key (PKCS#8 PEM file); created if missing.
    pub key_file: std::path::PathBuf,
    pub clients: Vec<SimClient>,
    pub clock: Arc<dyn Clock>,
}

struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: String,
    person: usize,
    acr: String,
    amr: String,
    locale: String,
    sid: String,
    fault: Fault,
    expires_ms: i64,
}

struct Sim {
    issuer: String,
    key: RsaPrivateKey,
    kid: String,
    /// A key no JWKS names, for the unknown-kid fault.
    stray_key: RsaPrivateKey,
    clients: Vec<SimClient>,
    clock: Arc<dyn Clock>,
    codes: Mutex<HashMap<String, Code>>,
    /// Access token → (person, fault, expiry).
    access: Mutex<HashMap<String, (usize, Fault, i64)>>,
    /// Logins not yet logged out, oldest first.
    sessions: Mutex<Vec<SsoSession>>,
}

/// One login at the simulator, until it is logged out.
struct SsoSession {
    sid: String,
    person: usize,
    acr: String,
    client_id: String,
}

/// A running simulator.
pub struct Simulator {
    pub issuer: String,
    pub addr: SocketAddr,
}

#[derive(Debug)]
pub struct SimulatorError(pub String);

impl std::fmt::Display for SimulatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SimulatorError {}

/// Binds and starts the simulator; its issuer is `https://localhost:PORT`.
pub async fn start(options: SimulatorOptions) -> Result<Simulator, SimulatorError> {
    if !options.listen.ip().is_loopback() {
        return Err(SimulatorError(format!(
            "the ID-porten simulator runs on loopback only, not on {}",
            options.listen
        )));
    }
    let key = load_or_create_key(&options.key_file)?;
    let stray_key = new_key()?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| SimulatorError(format!("cannot listen on {}: {e}", options.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| SimulatorError(e.to_string()))?;
    let issuer = format!("https://localhost:{}", addr.port());
    let kid = key_id(&key.to_public_key());
    let sim = Arc::new(Sim {
        issuer: issuer.clone(),
        key,
        kid,
        stray_key,
        clients: options.clients,
        clock: options.clock,
        codes: Mutex::new(HashMap::new()),
        access: Mutex::new(HashMap::new()),
        sessions: Mutex::new(Vec::new()),
    });
    let router = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize_page).post(authorize))
        .route("/token", axum::routing::post(token))
        .route("/endsession", get(end_session))
        .route("/sesjoner", get(sessions_page))
        .route("/sesjoner/avslutt", axum::routing::post(end_sso_session))
        .route("/kontaktregister/rest/v1/person", get(krr_person))
        .with_state(sim);
    tracing::info!(issuer = %issuer, "ID-porten simulator serving");
    tokio::spawn(crate::web::tls::serve(
        listener,
        crate::web::tls::Port::Tls(options.tls),
        router,
        crate::config::Limits::default().idle(),
        std::future::pending(),
    ));
    Ok(Simulator { issuer, addr })
}

fn new_key() -> Result<RsaPrivateKey, SimulatorError> {
    RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
        .map_err(|e| SimulatorError(format!("cannot make an RSA key: {e}")))
}

fn load_or_create_key(path: &std::path::Path) -> Result<RsaPrivateKey, SimulatorError> {
    if let Ok(pem) = std::fs::read_to_string(path) {
        return RsaPrivateKey::from_pkcs8_pem(&pem)
            .map_err(|e| SimulatorError(format!("{}: not an RSA key: {e}", path.display())));
    }
    let key = new_key()?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| SimulatorError(e.to_string()))?;
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    crate::files::write_private(path, pem.as_bytes())
        .map_err(|e| SimulatorError(format!("cannot write {}: {e}", path.display())))?;
    Ok(key)
}

/// A key id: the start of the SHA-256 of the public key.
fn key_id(key: &RsaPublicKey) -> String {
    let der = key
        .to_public_key_der()
        .map(|d| d.into_vec())
        .unwrap_or_default();
    let digest = Sha256::digest(der);
    B64URL.encode(&digest[..12])
}

fn jwk(key: &RsaPublicKey, kid: &str) -> Value {
    json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
        "n": B64URL.encode(key.n().to_bytes_be()),
        "e": B64URL.encode(key.e().to_bytes_be()),
    })
}

fn page(title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="nb" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – ID-porten-simulator" }
                style { "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\
                    fieldset{border:1px solid #767676;margin:0 0 1.5rem;padding:1rem}legend{font-weight:700}\
                    label{display:block;margin:.3rem 0}select{font:inherit}button{font:inherit;font-weight:700;padding:.5rem 1.2rem;background:#1d4f91;color:#fff;border:0}\
                    .warning{border-left:5px solid #b3261e;padding:.5rem 1rem}" }
            }
            body { main { (body) } }
        }
    };
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::response::Html(markup.into_string()),
    )
        .into_response()
}

fn error_page(status: StatusCode, what: &str) -> Response {
    let mut response = page(
        "Feil",
        html! { h1 { "ID-porten-simulatoren avviste forespørselen" } p { (what) } },
    );
    *response.status_mut() = status;
    response
}

async fn discovery(State(sim): State<Arc<Sim>>) -> Response {
    let i = &sim.issuer;
    axum::Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "end_session_endpoint": format!("{i}/endsession"),
        "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "krr:user/kontaktinformasjon.read"],
        "acr_values_supported": ["idporten-loa-substantial", "idporten-loa-high"],
        "ui_locales_supported": ["nb", "nn", "en", "se"],
        "authorization_response_iss_parameter_supported": true,
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
    }))
    .into_response()
}

async fn jwks(State(sim): State<Arc<Sim>>) -> Response {
    axum::Json(json!({ "keys": [jwk(&sim.key.to_public_key(), &sim.kid)] })).into_response()
}

#[derive(Debug, Deserialize, Default)]
struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    acr_values: Option<String>,
    ui_locales: Option<String>,
}

/// What is wrong with an authorization request, if anything. A bad client or redirect
/// URI is shown here; anything else would be sent back to the client.
fn check_authorize(sim: &Sim, p: &AuthorizeParams) -> Result<(), String> {
    let client = p
        .client_id
        .as_deref()
        .and_then(|id| sim.clients.iter().find(|c| c.client_id == id))
        .ok_or("unknown client_id")?;
    let redirect = p.redirect_uri.as_deref().ok_or("redirect_uri missing")?;
    if !client.redirect_uris.iter().any(|r| r == redirect) {
        return Err("redirect_uri is not registered for this client".into());
    }
    if p.response_type.as_deref() != Some("code") {
        return Err("response_type must be code".into());
    }
    if !p
        .scope
        .as_deref()
        .unwrap_or_default()
        .split(' ')
        .any(|s| s == "openid")
    {
        return Err("scope must include openid".into());
    }
    if p.state.as_deref().unwrap_or_default().is_empty() {
        return Err("state missing".into());
    }
    if p.nonce.as_deref().unwrap_or_default().is_empty() {
        return Err("nonce missing".into());
    }
    if p.code_challenge_method.as_deref() != Some("S256")
        || p.code_challenge.as_deref().unwrap_or_default().len() < 43
    {
        return Err("PKCE with S256 is required".into());
    }
    Ok(())
}

async fn authorize_page(State(sim): State<Arc<Sim>>, Query(p): Query<AuthorizeParams>) -> Response {
    if let Err(what) = check_authorize(&sim, &p) {
        return error_page(StatusCode::BAD_REQUEST, &what);
    }
    let wanted = p.acr_values.clone().unwrap_or_default();
    let hidden = [
        ("client_id", &p.client_id),
        ("redirect_uri", &p.redirect_uri),
        ("response_type", &p.response_type),
        ("scope", &p.scope),
        ("state", &p.state),
        ("nonce", &p.nonce),
        ("code_challenge", &p.code_challenge),
        ("code_challenge_method", &p.code_challenge_method),
        ("acr_values", &p.acr_values),
        ("ui_locales", &p.ui_locales),
    ];
    page(
        "Logg inn",
        html! {
            h1 { "ID-porten-simulator" }
            p class="warning" { "Bare for utvikling og test. Ingen ekte innlogging; personene er syntetiske." }
            form method="post" action="/authorize" {
                @for (name, value) in hidden {
                    @if let Some(value) = value { input type="hidden" name=(name) value=(value); }
                }
                fieldset {
                    legend { "Testperson" }
                    @for (i, person) in PEOPLE.iter().enumerate() {
                        label {
                            input type="radio" name="person" value=(i) checked[i == 0];
                            " " (person.name) " (" (person.pid) ")"
                            @match person.krr {
                                Krr::Reserved => " – reservert i KRR",
                                Krr::NotRegistered => " – ikke i KRR",
                                Krr::Active { mobile: None, .. } => " – uten mobilnummer i KRR",
                                Krr::Active { .. } => "",
                            }
                        }
                    }
                }
                fieldset {
                    legend { "Sikkerhetsnivå" }
                    @for (acr, amr, text) in [
                        ("idporten-loa-substantial", "Minid-PIN", "Betydelig (MinID)"),
                        ("idporten-loa-high", "BankID", "Høyt (BankID)"),
                    ] {
                        label {
                            input type="radio" name="level" value={ (acr) " " (amr) }
                                checked[wanted.contains(acr) || (wanted.is_empty() && acr.ends_with("high"))];
                            " " (text)
                        }
                    }
                }
                p {
                    label for="fault" { "Feilsimulering" }
                    select id="fault" name="fault" {
                        @for (_, value, text) in Fault::ALL { option value=(value) { (text) } }
                    }
                }
                button type="submit" { "Logg inn" }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
struct AuthorizeForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    /// An index into [`PEOPLE`] (a string: flattened forms carry strings only).
    person: String,
    level: String,
    /// A name from [`Fault::ALL`].
    #[serde(default)]
    fault: String,
}

async fn authorize(
    State(sim): State<Arc<Sim>>,
    axum::Form(form): axum::Form<AuthorizeForm>,
) -> Response {
    let p = form.params;
    if let Err(what) = check_authorize(&sim, &p) {
        return error_page(StatusCode::BAD_REQUEST, &what);
    }
    let Some(person) = form
        .person
        .parse::<usize>()
        .ok()
        .filter(|i| *i < PEOPLE.len())
    else {
        return error_page(StatusCode::BAD_REQUEST, "unknown person");
    };
    let Some(fault) = Fault::from_name(&form.fault) else {
        return error_page(StatusCode::BAD_REQUEST, "unknown fault");
    };
    let (acr, amr) = form
        .level
        .split_once(' ')
        .unwrap_or(("idporten-loa-high", "BankID"));
    let code = random_token();
    let sid = random_token();
    if let Ok(mut sessions) = sim.sessions.lock() {
        sessions.push(SsoSession {
            sid: sid.clone(),
            person,
            acr: acr.to_string(),
            client_id: p.client_id.clone().unwrap_or_default(),
        });
    }
    let redirect_uri = p.redirect_uri.clone().unwrap_or_default();
    let state = p.state.clone().unwrap_or_default();
    if let Ok(mut codes) = sim.codes.lock() {
        codes.insert(
            code.clone(),
            Code {
                client_id: p.client_id.clone().unwrap_or_default(),
                redirect_uri: redirect_uri.clone(),
                challenge: p.code_challenge.clone().unwrap_or_default(),
                nonce: p.nonce.clone().unwrap_or_default(),
                person,
                acr: acr.to_string(),
                amr: amr.to_string(),
                locale: p.ui_locales.clone().unwrap_or_else(|| "nb".into()),
                sid,
                fault,
                expires_ms: sim.clock.now().millis() + CODE_LIFETIME_MS,
            },
        );
    }
    let iss = if fault == Fault::WrongIssInResponse {
        "https://evil.example".to_string()
    } else {
        sim.issuer.clone()
    };
    let query = [("code", code.as_str()), ("state", &state), ("iss", &iss)]
        .iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{redirect_uri}{separator}{query}")).into_response()
}

fn token_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// The client that authenticated: Basic with its secret, or a `private_key_jwt`.
fn authenticate_client<'a>(
    sim: &'a Sim,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<&'a SimClient, &'static str> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .map_err(|_| "bad Basic header")?;
        let decoded = String::from_utf8(decoded).map_err(|_| "bad Basic header")?;
        let (id, secret) = decoded.split_once(':').ok_or("bad Basic header")?;
        let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
        let secret = percent_encoding::percent_decode_str(secret).decode_utf8_lossy();
        let client = sim
            .clients
            .iter()
            .find(|c| c.client_id == id)
            .ok_or("unknown client")?;
        return match &client.secret {
            Some(s) if crate::web::constant_time_eq(s.as_bytes(), secret.as_bytes()) => Ok(client),
            _ => Err("wrong client secret"),
        };
    }
    if form.get("client_assertion_type").map(String::as_str)
        == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        let assertion = form
            .get("client_assertion")
            .ok_or("client_assertion missing")?;
        let mut parts = assertion.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("client_assertion is not a JWS");
        };
        let header: Value = serde_json::from_slice(&B64URL.decode(h).map_err(|_| "bad JWS")?)
            .map_err(|_| "bad JWS")?;
        if header["alg"] != "RS256" {
            return Err("client_assertion must be RS256");
        }
        let claims: Value = serde_json::from_slice(&B64URL.decode(c).map_err(|_| "bad JWS")?)
            .map_err(|_| "bad JWS")?;
        let id = claims["iss"]
            .as_str()
            .ok_or("client_assertion without iss")?;
        let client = sim
            .clients
            .iter()
            .find(|c| c.client_id == id)
            .ok_or("unknown client")?;
        let key = client
            .public_key
            .as_ref()
            .ok_or("client has no registered key")?;
        let signature = Signature::try_from(B64URL.decode(s).map_err(|_| "bad JWS")?.as_slice())
            .map_err(|_| "bad signature")?;
        VerifyingKey::<Sha256>::new(key.clone())
            .verify(format!("{h}.{c}").as_bytes(), &signature)
            .map_err(|_| "client_assertion signature does not verify")?;
        let now = sim.clock.now().millis() / 1000;
        if claims["sub"] != claims["iss"]
            || claims["aud"].as_str() != Some(sim.issuer.as_str())
            || claims["exp"].as_i64().is_none_or(|exp| exp < now)
            || claims["jti"].as_str().is_none()
        {
            return Err("client_assertion claims are wrong or expired");
        }
        return Ok(client);
    }
    Err("client authentication missing")
}

async fn token(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let client = match authenticate_client(&sim, &headers, &form) {
        Ok(client) => client,
        Err(why) => {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({ "error": "invalid_client", "error_description": why })),
            )
                .into_response();
        }
    };
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return token_error("unsupported_grant_type", "only authorization_code");
    }
    // Single use: the code is gone whatever happens next.
    let code = form
        .get("code")
        .and_then(|c| sim.codes.lock().ok().and_then(|mut codes| codes.remove(c)));
    let Some(code) = code else {
        return token_error("invalid_grant", "unknown or used code");
    };
    let now_ms = sim.clock.now().millis();
    if now_ms > code.expires_ms {
        return token_error("invalid_grant", "the code has expired");
    }
    if code.client_id != client.client_id {
        return token_error("invalid_grant", "the code belongs to another client");
    }
    if form.get("redirect_uri") != Some(&code.redirect_uri) {
        return token_error(
            "invalid_grant",
            "redirect_uri differs from the authorize request",
        );
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if B64URL.encode(Sha256::digest(verifier.as_bytes())) != code.challenge {
        return token_error("invalid_grant", "PKCE verification failed");
    }
    let person = &PEOPLE[code.person];
    let now = now_ms / 1000;
    let (iat, exp) = if code.fault == Fault::Expired {
        (now - 900, now - 600)
    } else {
        (now, now + TOKEN_LIFETIME_S)
    };
    let sub = B64URL.encode(&Sha256::digest(format!("{}|{}", client.client_id, person.pid))[..20]);
    let mut claims = json!({
        "iss": if code.fault == Fault::WrongIssuer { "https://evil.example".to_string() } else { sim.issuer.clone() },
        "aud": if code.fault == Fault::WrongAudience { "another-client".to_string() } else { client.client_id.clone() },
        "sub": sub,
        "iat": iat, "exp": exp, "auth_time": iat,
        "jti": random_token(),
        "nonce": if code.fault == Fault::WrongNonce { random_token() } else { code.nonce.clone() },
        "acr": code.acr,
        "amr": [code.amr],
        "pid": person.pid,
        "locale": code.locale,
        "sid": code.sid,
    });
    match code.fault {
        Fault::PidMissing => {
            claims.as_object_mut().map(|c| c.remove("pid"));
        }
        Fault::PidInvalid => claims["pid"] = json!("17819010189"),
        _ => {}
    }
    let id_token = match code.fault {
        Fault::AlgNone => format!(
            "{}.",
            jws_input(&json!({"alg": "none", "typ": "JWT"}), &claims)
        ),
        Fault::Hs256PublicKey => {
            use hmac::{Hmac, Mac};
            let header = json!({"alg": "HS256", "typ": "JWT", "kid": sim.kid});
            let input = jws_input(&header, &claims);
            let public_pem = sim
                .key
                .to_public_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap_or_default();
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(public_pem.as_bytes()) else {
                return token_error("server_error", "hmac");
            };
            mac.update(input.as_bytes());
            format!("{input}.{}", B64URL.encode(mac.finalize().into_bytes()))
        }
        Fault::UnknownKid => rs256_jws(
            &json!({"alg": "RS256", "typ": "JWT", "kid": "not-in-any-jwks"}),
            &claims,
            &sim.stray_key,
        ),
        _ => rs256_jws(
            &json!({"alg": "RS256", "typ": "JWT", "kid": sim.kid}),
            &claims,
            &sim.key,
        ),
    };
    let access_token = random_token();
    if let Ok(mut access) = sim.access.lock() {
        access.insert(
            access_token.clone(),
            (code.person, code.fault, now_ms + TOKEN_LIFETIME_S * 1000),
        );
    }
    axum::Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_S,
        "id_token": id_token,
        "scope": "openid profile krr:user/kontaktinformasjon.read",
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
struct EndSessionParams {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// Every login not yet logged out, each with a button that ends it the way ID-porten
/// ends a session elsewhere: by front-channel logout towards the client.
async fn sessions_page(State(sim): State<Arc<Sim>>) -> Response {
    let sessions = match sim.sessions.lock() {
        Ok(sessions) => sessions
            .iter()
            .map(|s| {
                (
                    s.sid.clone(),
                    PEOPLE[s.person].name,
                    s.acr.clone(),
                    s.client_id.clone(),
                )
            })
            .collect::<Vec<_>>(),
        Err(_) => Vec::new(),
    };
    page(
        "Innloggede økter",
        html! {
            h1 { "Innloggede økter" }
            p { "Å logge ut en økt her er som å logge ut i en annen tjeneste: klienten får beskjed gjennom front-channel logout." }
            @if sessions.is_empty() { p { "Ingen." } }
            @for (sid, name, acr, client) in &sessions {
                form method="post" action="/sesjoner/avslutt" {
                    p { strong { (name) } " – " (acr) " – " (client) }
                    input type="hidden" name="sid" value=(sid);
                    button type="submit" { "Logg ut " (name) }
                }
            }
        },
    )
}

#[derive(Deserialize)]
struct EndSsoForm {
    sid: String,
}

/// Ends a login and tells its client, in an iframe, as ID-porten does.
async fn end_sso_session(
    State(sim): State<Arc<Sim>>,
    axum::Form(form): axum::Form<EndSsoForm>,
) -> Response {
    let ended = sim.sessions.lock().ok().and_then(|mut sessions| {
        let i = sessions.iter().position(|s| s.sid == form.sid)?;
        Some(sessions.remove(i))
    });
    let Some(ended) = ended else {
        return error_page(StatusCode::NOT_FOUND, "no such session");
    };
    let frame = sim
        .clients
        .iter()
        .find(|c| c.client_id == ended.client_id)
        .and_then(|c| c.frontchannel_logout_uri.as_ref())
        .map(|uri| {
            format!(
                "{uri}?iss={}&sid={}",
                url_encode(&sim.issuer),
                url_encode(&ended.sid)
            )
        });
    page(
        "Logget ut",
        html! {
            h1 { "Logget ut" }
            @if let Some(src) = frame {
                iframe src=(src) title="Utlogging hos tjenesten" width="300" height="60" {}
            }
            p { a href="/sesjoner" { "Tilbake til øktene" } }
        },
    )
}

/// RP-initiated logout: back to a registered post-logout address, with `state`.
async fn end_session(State(sim): State<Arc<Sim>>, Query(p): Query<EndSessionParams>) -> Response {
    let claims = p
        .id_token_hint
        .as_deref()
        .and_then(|t| t.split('.').nth(1))
        .and_then(|c| B64URL.decode(c).ok())
        .and_then(|c| serde_json::from_slice::<Value>(&c).ok());
    let client_id = claims
        .as_ref()
        .and_then(|c| c["aud"].as_str().map(str::to_string));
    if let Some(sid) = claims.as_ref().and_then(|c| c["sid"].as_str())
        && let Ok(mut sessions) = sim.sessions.lock()
    {
        sessions.retain(|s| s.sid != sid);
    }
    let Some(client) = client_id.and_then(|id| sim.clients.iter().find(|c| c.client_id == id))
    else {
        return error_page(StatusCode::BAD_REQUEST, "id_token_hint missing or unknown");
    };
    let Some(uri) = p.post_logout_redirect_uri else {
        return page(
            "Logget ut",
            html! { h1 { "Du er logget ut av ID-porten-simulatoren" } },
        );
    };
    if !client.post_logout_redirect_uris.contains(&uri) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "post_logout_redirect_uri is not registered",
        );
    }
    let state = p
        .state
        .map(|s| format!("?state={}", url_encode(&s)))
        .unwrap_or_default();
    Redirect::to(&format!("{uri}{state}")).into_response()
}

/// KRR's person endpoint, with the citizen's access token.
async fn krr_person(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let found = token.and_then(|t| sim.access.lock().ok().and_then(|a| a.get(t).copied()));
    let Some((person, fault, expires)) = found else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    if sim.clock.now().millis() > expires {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match fault {
        Fault::KrrSlow => tokio::time::sleep(Duration::from_secs(10)).await,
        Fault::KrrDown => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        _ => {}
    }
    let person = &PEOPLE[person];
    let body = match &person.krr {
        Krr::Active { email, mobile } => json!({
            "personidentifikator": person.pid,
            "reservasjon": "NEI",
            "status": "AKTIV",
            "varslingsstatus": "KAN_VARSLES",
            "kontaktinformasjon": {
                "epostadresse": email,
                "epostadresse_oppdatert": "2025-06-01T10:00:00Z",
                "mobiltelefonnummer": mobile,
                "mobiltelefonnummer_oppdatert": "2025-06-01T10:00:00Z",
            },
            "spraak": "nb",
        }),
        Krr::Reserved => json!({
            "personidentifikator": person.pid,
            "reservasjon": "JA",
            "status": "AKTIV",
            "varslingsstatus": "KAN_IKKE_VARSLES",
        }),
        Krr::NotRegistered => json!({
            "personidentifikator": person.pid,
            "status": "IKKE_REGISTRERT",
            "varslingsstatus": "KAN_IKKE_VARSLES",
        }),
    };
    axum::Json(body).into_response()
}
