//! The citizen's login routes: off to ID-porten and back, and logout both ways.
//!
//! A session starts when a login does: the `__Host-session` cookie then holds a random
//! id, and the login under way (state, nonce, PKCE verifier, where to return, and what
//! the citizen had typed) waits in the session, encrypted, never in a URL. Coming back,
//! the session gets a new id, so an id planted before login is worth nothing after it.
//! Anything wrong with the answer from ID-porten ends the session and shows one clear
//! page; the log names the kind of failure and nothing from the tokens.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::citizen::{cookie, html, query_param, refused_without_csrf, request_lang};
use super::pages;
use super::{AppState, FramedBy};
use crate::auth::idporten::{IdPorten, Level, LoginError};
use crate::auth::session::{self, Citizen, Pending, Session, Sessions};
use crate::config::Site;
use crate::i18n::{Lang, Msg, t};

/// Login through ID-porten, on a server configured for it.
pub struct Login {
    pub idporten: IdPorten,
    pub sessions: Sessions,
}

/// A draft of answers to keep across a login: the form and its answers.
pub type Draft = (String, Vec<(String, String)>);

fn session_cookie(id: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{}={id}; Path=/; Secure; HttpOnly; SameSite=Lax",
        session::COOKIE
    ))
    .ok()
}

fn cleared_session_cookie() -> HeaderValue {
    HeaderValue::from_static("__Host-session=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The citizen's session of this request, if login is configured and the session has
/// not expired; marked as used now.
pub async fn current_session(app: &AppState, headers: &HeaderMap) -> Option<Session> {
    let login = app.login.as_ref()?;
    let id = cookie(headers, session::COOKIE)?;
    let now = app.clock.now();
    let session = login.sessions.load(id, now).await?;
    if let Err(err) = login.sessions.save(&session, now).await {
        tracing::warn!(error = %err, "could not mark a session as used");
    }
    Some(session)
}

/// The citizen of a session, if logged in at `level` or higher.
pub fn citizen_at(session: Option<&Session>, level: Level) -> Option<&Citizen> {
    session
        .and_then(|s| s.data.citizen.as_ref())
        .filter(|c| c.login.level >= level)
}

/// Sends the citizen to ID-porten to log in at `level`, to come back to `return_to`,
/// keeping `draft` in the session until then.
pub async fn start(
    app: &AppState,
    login: &Login,
    session: Option<Session>,
    level: Level,
    return_to: String,
    lang: Lang,
    draft: Option<Draft>,
) -> Response {
    let now = app.clock.now();
    let (url, pending) = match login.idporten.begin(level, lang.tag()).await {
        Ok(begun) => begun,
        Err(err) => {
            tracing::warn!(kind = err.kind(), "cannot start a login");
            return failed(&app.site, lang, &return_to, &err, false);
        }
    };
    let mut session = session.unwrap_or_else(|| login.sessions.create(now));
    session.data.pending = Some(Pending {
        login: pending,
        return_to,
        lang,
    });
    if let Some((form, answers)) = draft {
        session.data.drafts.insert(form, answers);
    }
    if let Err(err) = login.sessions.save(&session, now).await {
        tracing::error!(error = %err, "cannot save a session");
        return server_error(&app.site, lang);
    }
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response();
    if let Some(value) = session_cookie(&session.id) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub(super) fn server_error(site: &Site, lang: Lang) -> Response {
    let page = pages::message_page(
        lang,
        site,
        &t(lang, Msg::ServerErrorTitle),
        &t(lang, Msg::ServerErrorBody),
        None,
        "/",
    );
    html(StatusCode::SERVICE_UNAVAILABLE, page, None)
}

/// The page for a login that did not work out; `ended` when a session was ended.
fn failed(site: &Site, lang: Lang, return_to: &str, err: &LoginError, ended: bool) -> Response {
    let (status, body) = match err {
        LoginError::Provider(_) => (StatusCode::SERVICE_UNAVAILABLE, Msg::LoginUnreachableBody),
        _ => (StatusCode::BAD_REQUEST, Msg::LoginFailedBody),
    };
    let page = pages::message_page(
        lang,
        site,
        &t(lang, Msg::LoginFailedTitle),
        &t(lang, body),
        Some(return_to),
        "/innlogging/tilbake",
    );
    let mut response = html(status, page, None);
    if ended {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cleared_session_cookie());
    }
    response
}

pub(super) fn configured(app: &AppState) -> Option<&Login> {
    app.login.as_ref()
}

/// `GET /innlogging?skjema=FORM`: log in to have a form prefilled.
pub async fn begin(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let catalog = app.catalog();
    let form = query_param(&uri, "skjema").and_then(|id| catalog.form(&id).cloned());
    let (Some(login), Some(form)) = (configured(&app), form) else {
        return super::citizen::not_found(&app, &uri, &headers);
    };
    let lang = form.lang_or_default(request_lang(&uri, &headers));
    let level = Level::for_form(form.auth).unwrap_or(Level::Substantial);
    let session = current_session(&app, &headers).await;
    start(
        &app,
        login,
        session,
        level,
        format!("/skjema/{}", form.id),
        lang,
        None,
    )
    .await
}

/// `GET /innlogging/tilbake`: the authorization response.
pub async fn callback(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let Some(login) = configured(&app) else {
        return super::citizen::not_found(&app, &uri, &headers);
    };
    let mut session = current_session(&app, &headers).await;
    let pending = session.as_mut().and_then(|s| s.data.pending.take());
    let lang = pending
        .as_ref()
        .map(|p| p.lang)
        .unwrap_or_else(|| request_lang(&uri, &headers));
    let end = |session: Option<Session>| async move {
        if let Some(session) = session
            && let Err(err) = login.sessions.end(&session.id).await
        {
            tracing::error!(error = %err, "cannot end a session");
        }
    };
    let Some(pending) = pending else {
        tracing::warn!(kind = "no_login_under_way", "login failed");
        crate::metrics::count(crate::metrics::LOGINS, &[("outcome", "no_login_under_way")]);
        end(session).await;
        return failed(&app.site, lang, "/", &LoginError::StateMismatch, true);
    };
    let param = |name: &str| query_param(&uri, name);
    let (code, state, iss, error) = (param("code"), param("state"), param("iss"), param("error"));
    let result = login
        .idporten
        .finish(
            &pending.login,
            code.as_deref(),
            state.as_deref(),
            iss.as_deref(),
            error.as_deref(),
        )
        .await;
    let mut logged_in = match result {
        Ok(logged_in) => logged_in,
        Err(err) => {
            tracing::warn!(kind = err.kind(), "login failed");
            crate::metrics::count(crate::metrics::LOGINS, &[("outcome", err.kind())]);
            end(session).await;
            return failed(&app.site, lang, &pending.return_to, &err, true);
        }
    };
    let contact = match logged_in.access_token.take() {
        Some(token) => login.idporten.krr_contact(&token).await,
        None => None,
    };
    tracing::info!(
        level = logged_in.level.acr(),
        krr = contact.is_some(),
        "citizen logged in"
    );
    crate::metrics::count(crate::metrics::LOGINS, &[("outcome", "ok")]);
    let Some(mut session) = session else {
        return server_error(&app.site, lang);
    };
    session.data.citizen = Some(Citizen {
        login: logged_in,
        contact,
    });
    let now = app.clock.now();
    let fresh = match login.sessions.renew(session, now).await {
        Ok(fresh) => fresh,
        Err(err) => {
            tracing::error!(error = %err, "cannot save a session");
            return server_error(&app.site, lang);
        }
    };
    let audit = crate::store::Op::Audit(crate::store::AuditEntry {
        at: now,
        actor: crate::store::actors::CITIZEN.into(),
        action: crate::store::actions::CITIZEN_LOGIN,
        submission_id: None,
        queue: None,
    });
    if let Err(err) = app.store.write(vec![audit]).await {
        tracing::error!(error = %err, "cannot write a login to the audit log");
    }
    let location = format!("{}?lang={}", pending.return_to, lang.tag());
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    if let Some(value) = session_cookie(&fresh.id) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `POST /utlogging`: ends the session here, then at ID-porten (RP-initiated logout).
pub async fn logout(
    State(app): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let lang = request_lang(&uri, &headers);
    let Some(login) = configured(&app) else {
        return super::citizen::not_found(&app, &uri, &headers);
    };
    if let Some(refused) = refused_without_csrf(&app, &headers, body, lang, "/utlogging").await {
        return refused;
    }
    let session = current_session(&app, &headers).await;
    let mut location = format!("/utlogget?lang={}", lang.tag());
    if let Some(session) = session {
        if let Err(err) = login.sessions.end(&session.id).await {
            tracing::error!(error = %err, "cannot end a session");
            return server_error(&app.site, lang);
        }
        if let Some(citizen) = &session.data.citizen {
            // The state brings the language back to /utlogget.
            let state = format!("{}-{}", lang.tag(), crate::auth::random_token());
            if let Some(url) = login
                .idporten
                .end_session_url(&citizen.login.id_token, &state)
                .await
            {
                location = url;
            }
        }
        tracing::info!("citizen logged out");
    }
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, cleared_session_cookie());
    response
}

/// `GET /utlogget`: where ID-porten sends the citizen after logout.
pub async fn logged_out(
    State(app): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let from_state = query_param(&uri, "state")
        .and_then(|s| s.split_once('-').and_then(|(tag, _)| Lang::from_tag(tag)));
    let lang = from_state.unwrap_or_else(|| request_lang(&uri, &headers));
    let page = pages::message_page(
        lang,
        &app.site,
        &t(lang, Msg::LoggedOutTitle),
        &t(lang, Msg::LoggedOutBody),
        None,
        "/utlogget",
    );
    html(StatusCode::OK, page, None)
}

/// `GET /innlogging/frontkanal?iss=...&sid=...`: ID-porten, in an iframe, ends the
/// session of `sid`. Our cookie may not come along, so the session is found by `sid`.
pub async fn front_channel(State(app): State<Arc<AppState>>, uri: Uri) -> Response {
    let Some(login) = configured(&app) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let issuer = &login.idporten.settings().issuer;
    let iss = query_param(&uri, "iss");
    let sid = query_param(&uri, "sid").filter(|s| !s.is_empty());
    let (Some(iss), Some(sid)) = (iss, sid) else {
        return (StatusCode::BAD_REQUEST, "iss and sid are required").into_response();
    };
    if &iss != issuer {
        tracing::warn!("front-channel logout from an unknown issuer");
        return (StatusCode::BAD_REQUEST, "unknown issuer").into_response();
    }
    if let Err(err) = login.sessions.end_by_sid(&sid).await {
        tracing::error!(error = %err, "cannot end sessions by sid");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    tracing::info!("front-channel logout");
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html><html lang=\"nb\"><title>Logget ut</title><p>Logget ut.</p></html>",
    )
        .into_response();
    response
        .extensions_mut()
        .insert(FramedBy(origin_of(issuer)));
    response
}

/// `https://host:port` of a URL.
fn origin_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => u.origin().ascii_serialization(),
        Err(_) => String::new(),
    }
}
