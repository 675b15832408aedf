//! "Mine innsendinger": what a logged-in citizen has sent, what has been done with it,
//! and erasing what they sent.
//!
//! The list shows metadata only; the answers are sealed to the caseworkers. Each
//! submission has a page of its own with its history: every audit entry on it (when
//! it was fetched, taken, forwarded, handed over, and by which caseworker). A citizen
//! finds only their own submissions, by the keyed hash of their identity number that
//! each one carries. Erasing asks first, on a page of its own (a link from the list, so
//! it works without JavaScript), then deletes through [`crate::privacy::erase`] on a POST
//! carrying the CSRF token. A submission that a law still requires keeping shows the
//! law and the day instead, and cannot be erased.
//!
//! Must never: show or erase another person's submission, or erase on a GET.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::AppState;
use super::citizen::{csrf_token, html, refused_without_csrf, request_lang};
use super::login::{citizen_at, configured, current_session, server_error, start};
use super::pages::{self, Account, Actor, Erasure, HistoryLine, SentRow};
use crate::auth::idporten::Level;
use crate::clock::Timestamp;
use crate::i18n::Lang;
use crate::privacy::{self, EraseError};
use crate::store::{SubmissionMeta, actors};

/// The address of the list.
const LIST: &str = "/mine-innsendinger";

/// The logged-in citizen's own submissions, newest first; or, when no citizen is logged
/// in, the response that sends them to log in and come back to `return_to`.
async fn own_submissions(
    app: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    return_to: String,
) -> Result<Vec<SubmissionMeta>, Response> {
    let Some(login) = configured(app) else {
        return Err(super::citizen::not_found(app, uri, headers));
    };
    let lang = request_lang(uri, headers);
    let session = current_session(app, headers).await;
    let key = citizen_at(session.as_ref(), Level::Substantial)
        .map(|citizen| login.sessions.citizen_key(&citizen.login.pid));
    let Some(key) = key else {
        return Err(start(
            app,
            login,
            session,
            Level::Substantial,
            return_to,
            lang,
            None,
        )
        .await);
    };
    app.store.submissions_of(&key).await.map_err(|err| {
        tracing::error!(error = %err, "cannot list a citizen's submissions");
        server_error(&app.site, lang)
    })
}

/// A line of the list, as the citizen reads it at `now`.
fn row<'a>(
    catalog: &'a crate::schema::Catalog,
    s: &'a SubmissionMeta,
    lang: Lang,
    now: Timestamp,
) -> SentRow<'a> {
    SentRow {
        form_title: catalog
            .form(&s.form_id)
            .map(|f| f.title.get(lang))
            .unwrap_or(&s.form_id),
        received: s.received_at,
        reference: &s.reference,
        status: s.status,
        kept: privacy::kept_by_law(catalog, s, now),
    }
}

/// A reference as the server makes them (`2026-7K3F-9QXA`): anything else is not one
/// of the citizen's, and does not go into a return address.
fn plausible_reference(reference: &str) -> bool {
    reference.len() <= 32
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A page for the logged-in citizen, with the CSRF token its buttons carry.
fn page(
    headers: &HeaderMap,
    status: StatusCode,
    render: impl FnOnce(Account<'_>) -> maud::Markup,
) -> Response {
    let (csrf, set) = csrf_token(headers);
    let markup = render(Account { csrf: &csrf });
    html(status, markup, set.then_some(csrf.as_str()))
}

/// `GET /mine-innsendinger`: the logged-in citizen's own submissions, metadata only.
pub async fn list(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let lang = request_lang(&uri, &headers);
    let sent = match own_submissions(&app, &uri, &headers, LIST.to_string()).await {
        Ok(sent) => sent,
        Err(response) => return response,
    };
    let catalog = app.catalog();
    let now = app.clock.now();
    let rows: Vec<SentRow<'_>> = sent.iter().map(|s| row(&catalog, s, lang, now)).collect();
    page(&headers, StatusCode::OK, |account| {
        pages::my_submissions_page(lang, &app.site, &rows, account)
    })
}

/// `GET /mine-innsendinger/{reference}`: one of the citizen's submissions, with what has
/// been done with it: every audit entry on it, with the caseworker's name where one
/// acted.
pub async fn detail(
    State(app): State<Arc<AppState>>,
    Path(reference): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let lang = request_lang(&uri, &headers);
    let path = uri.path();
    let missing = |headers: &HeaderMap| {
        page(headers, StatusCode::NOT_FOUND, |account| {
            pages::erase_page(lang, &app.site, Erasure::Missing, LIST, account)
        })
    };
    if !plausible_reference(&reference) {
        return missing(&headers);
    }
    let sent = match own_submissions(&app, &uri, &headers, path.to_string()).await {
        Ok(sent) => sent,
        Err(response) => return response,
    };
    let Some(meta) = sent.iter().find(|s| s.reference == reference) else {
        return missing(&headers);
    };
    let (entries, names) = match (
        app.store.audit_of(&meta.id).await,
        app.store.caseworker_names().await,
    ) {
        (Ok(entries), Ok(names)) => (entries, names),
        (Err(err), _) | (_, Err(err)) => {
            tracing::error!(error = %err, "cannot read a submission's history");
            return server_error(&app.site, lang);
        }
    };
    let history: Vec<HistoryLine> = entries
        .into_iter()
        .map(|entry| HistoryLine {
            at: entry.at,
            action: entry.action,
            actor: match entry.actor.as_str() {
                actors::CITIZEN => Actor::You,
                other => match actors::caseworker_id(other) {
                    Some(id) => Actor::Caseworker(names.get(id).cloned()),
                    None => Actor::Municipality,
                },
            },
        })
        .collect();
    let (catalog, now) = (app.catalog(), app.clock.now());
    let row = row(&catalog, meta, lang, now);
    page(&headers, StatusCode::OK, |account| {
        pages::submission_page(
            lang,
            &app.site,
            &row,
            meta.retain_until,
            &history,
            path,
            account,
        )
    })
}

/// `GET /mine-innsendinger/{reference}/slett`: asks before erasing, or says which law
/// keeps the submission.
pub async fn confirm_erase(
    State(app): State<Arc<AppState>>,
    Path(reference): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    erasure(&app, &reference, &uri, &headers, false).await
}

/// `POST /mine-innsendinger/{reference}/slett`: erases the submission.
pub async fn erase(
    State(app): State<Arc<AppState>>,
    Path(reference): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let lang = request_lang(&uri, &headers);
    if let Some(refused) = refused_without_csrf(&app, &headers, body, lang, uri.path()).await {
        return refused;
    }
    erasure(&app, &reference, &uri, &headers, true).await
}

/// Both steps of an erasure: the question, and on `confirmed` the deed.
async fn erasure(
    app: &AppState,
    reference: &str,
    uri: &Uri,
    headers: &HeaderMap,
    confirmed: bool,
) -> Response {
    let lang = request_lang(uri, headers);
    let path = uri.path();
    let missing = |headers: &HeaderMap| {
        page(headers, StatusCode::NOT_FOUND, |account| {
            pages::erase_page(lang, &app.site, Erasure::Missing, path, account)
        })
    };
    if !plausible_reference(reference) {
        return missing(headers);
    }
    let sent = match own_submissions(app, uri, headers, path.to_string()).await {
        Ok(sent) => sent,
        Err(response) => return response,
    };
    let Some(meta) = sent.iter().find(|s| s.reference == reference) else {
        return missing(headers);
    };
    let (catalog, now) = (app.catalog(), app.clock.now());
    let row = row(&catalog, meta, lang, now);
    if !confirmed || row.kept.is_some() {
        // Asked, or told why not; refused if it was a confirmation.
        let status = if confirmed {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        };
        return page(headers, status, |account| {
            pages::erase_page(lang, &app.site, Erasure::Confirm(&row), path, account)
        });
    }
    match privacy::erase(&app.store, &catalog, meta, actors::CITIZEN.into(), now).await {
        // Its language switch leads to the list: the erasure's own address is gone.
        Ok(()) => page(headers, StatusCode::OK, |account| {
            pages::erase_page(
                lang,
                &app.site,
                Erasure::Erased { reference },
                LIST,
                account,
            )
        }),
        Err(EraseError::Gone) => missing(headers),
        Err(err) => {
            tracing::error!(error = %err, "cannot erase a citizen's submission");
            server_error(&app.site, lang)
        }
    }
}
