//! The newsletter subscriber's own page, reached by the link in every mail:
//! `GET /nyhetsbrev/{token}` shows it (confirm a sign-up; or change topics and
//! unsubscribe), `POST` with the CSRF token does what its button says, and
//! `POST /nyhetsbrev/{token}/avmeld` is the one-click unsubscribe mail programs use
//! (RFC 8058), which carries no CSRF token: the token in the address is the
//! subscriber's secret, and ending a subscription is all it can do.
//!
//! The token never reaches a log: the access log names the route, not the path.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::AppState;
use super::citizen::{button_post, csrf_token, html, request_lang};
use super::pages::{self, SubscriberNotice, SubscriberView};
use crate::i18n::{Lang, Msg, t};
use crate::newsletter::{CONFIRM_HOURS, Newsletters, Opened};

/// A page with a heading, a text and, if `back` is given, a link to that form.
fn message(
    app: &AppState,
    lang: Lang,
    status: StatusCode,
    (title, body): (Msg, Msg),
    back: Option<&str>,
    path: &str,
) -> Response {
    let page = pages::message_page(lang, &app.site, &t(lang, title), &t(lang, body), back, path);
    html(status, page, None)
}

/// What a link that opens nothing answers: gone, or never there; with a way to sign up
/// again where the server has one newsletter form.
fn gone(app: &AppState, lang: Lang, path: &str) -> Response {
    let catalog = app.catalog();
    let mut forms = catalog.forms().filter(|f| f.subscription.is_some());
    let sign_up = match (forms.next(), forms.next()) {
        (Some(form), None) => Some(format!("/skjema/{}", form.id)),
        _ => None,
    };
    message(
        app,
        lang,
        StatusCode::NOT_FOUND,
        (
            Msg::SubscriptionGoneTitle,
            Msg::SubscriptionGoneBody {
                hours: CONFIRM_HOURS,
            },
        ),
        sign_up.as_deref(),
        path,
    )
}

fn unavailable(app: &AppState, lang: Lang, path: &str) -> Response {
    message(
        app,
        lang,
        StatusCode::SERVICE_UNAVAILABLE,
        (Msg::ServerErrorTitle, Msg::ServerErrorBody),
        None,
        path,
    )
}

/// The subscription of the link, with the newsletters that keep it, or the page to
/// answer with instead.
async fn opened<'a>(
    app: &'a AppState,
    token: &str,
    lang: Lang,
    path: &str,
) -> Result<(&'a Newsletters, Opened), Response> {
    let Some(newsletters) = app.newsletters.as_deref() else {
        return Err(gone(app, lang, path));
    };
    match newsletters.open(&app.store, token).await {
        Ok(Some(opened)) => Ok((newsletters, opened)),
        Ok(None) => Err(gone(app, lang, path)),
        Err(err) => {
            tracing::error!(error = %err, "cannot read a subscription");
            Err(unavailable(app, lang, path))
        }
    }
}

/// The page of a subscription as it is now, with `notice` at the top.
fn render(
    app: &AppState,
    opened: &Opened,
    lang: Lang,
    notice: Option<SubscriberNotice>,
    status: StatusCode,
    headers: &HeaderMap,
    path: &str,
) -> Response {
    let catalog = app.catalog();
    let form = catalog.form(opened.form_id());
    let (csrf, set) = csrf_token(headers);
    let page = match form {
        Some(form) if opened.confirmed() => pages::subscriber_page(
            lang,
            &app.site,
            SubscriberView::Manage {
                form,
                address: opened.address(),
                chosen: opened.topics(),
                ends: &opened.ends().norwegian_day().display_nb(),
                notice,
            },
            path,
            &csrf,
        ),
        Some(form) => pages::subscriber_page(
            lang,
            &app.site,
            SubscriberView::Confirm {
                topics: &crate::newsletter::topic_words(form, opened.topics(), lang),
            },
            path,
            &csrf,
        ),
        // The form is gone from the catalog: nothing is sent any more.
        None => return gone(app, lang, path),
    };
    html(status, page, set.then_some(csrf.as_str()))
}

/// `GET /nyhetsbrev/{token}`, and `GET /nyhetsbrev/{token}/avmeld`: the address of
/// `List-Unsubscribe` opened in a browser by a mail program without one-click, which
/// must not unsubscribe by itself (RFC 8058) and so shows the same page, whose buttons
/// post to the page's own address.
pub async fn show(
    State(app): State<Arc<AppState>>,
    Path(token): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let lang = request_lang(&uri, &headers);
    let path = uri.path().trim_end_matches("/avmeld");
    match opened(&app, &token, lang, path).await {
        Ok((_, opened)) => render(&app, &opened, lang, None, StatusCode::OK, &headers, path),
        Err(response) => response,
    }
}

/// `POST /nyhetsbrev/{token}`: `handling` is `bekreft` (confirm), `lagre` (save the
/// ticked `tema`s) or `avmeld` (unsubscribe).
pub async fn act(
    State(app): State<Arc<AppState>>,
    Path(token): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let lang = request_lang(&uri, &headers);
    let path = uri.path();
    let fields = match button_post(&app, &headers, body, lang, path).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let (newsletters, opened) = match opened(&app, &token, lang, path).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let catalog = app.catalog();
    let Some(form) = catalog.form(opened.form_id()) else {
        return gone(&app, lang, path);
    };
    let now = app.clock.now();
    let handling = fields
        .iter()
        .find(|(k, _)| k == "handling")
        .map(|(_, v)| v.as_str());
    let failed = |err: &dyn std::fmt::Display| {
        tracing::error!(error = %err, "cannot change a subscription");
        unavailable(&app, lang, path)
    };
    match handling {
        Some("avmeld") => end(&app, newsletters, &opened, lang, path).await,
        Some("bekreft") if !opened.confirmed() => {
            match newsletters.confirm(&app.store, form, &opened, now).await {
                Ok(()) => {
                    reopened(
                        &app,
                        &token,
                        lang,
                        SubscriberNotice::Confirmed,
                        &headers,
                        path,
                    )
                    .await
                }
                Err(crate::store::StoreError::Gone) => gone(&app, lang, path),
                Err(err) => failed(&err),
            }
        }
        Some("lagre") if opened.confirmed() => {
            let topics: Vec<String> = fields
                .iter()
                .filter(|(k, _)| k == "tema")
                .map(|(_, v)| v.clone())
                .collect();
            match newsletters
                .change_topics(&app.store, form, &opened, topics, now)
                .await
            {
                Ok(()) => {
                    reopened(&app, &token, lang, SubscriberNotice::Saved, &headers, path).await
                }
                Err(None) => render(
                    &app,
                    &opened,
                    lang,
                    Some(SubscriberNotice::NoTopic),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &headers,
                    path,
                ),
                Err(Some(err)) => failed(&err),
            }
        }
        // A confirmation of a confirmed subscription (a second click), or a button
        // that does not fit: the page as it is.
        _ => render(&app, &opened, lang, None, StatusCode::OK, &headers, path),
    }
}

/// The page after a change, read again from the store.
async fn reopened(
    app: &AppState,
    token: &str,
    lang: Lang,
    notice: SubscriberNotice,
    headers: &HeaderMap,
    path: &str,
) -> Response {
    match opened(app, token, lang, path).await {
        Ok((_, opened)) => render(
            app,
            &opened,
            lang,
            Some(notice),
            StatusCode::OK,
            headers,
            path,
        ),
        Err(response) => response,
    }
}

/// Ends the subscription, and says so.
async fn end(
    app: &AppState,
    newsletters: &Newsletters,
    opened: &Opened,
    lang: Lang,
    path: &str,
) -> Response {
    match newsletters.end(&app.store, opened).await {
        Ok(()) => ended(app, lang, path),
        Err(err) => {
            tracing::error!(error = %err, "cannot end a subscription");
            unavailable(app, lang, path)
        }
    }
}

fn ended(app: &AppState, lang: Lang, path: &str) -> Response {
    message(
        app,
        lang,
        StatusCode::OK,
        (Msg::SubscriptionEndedTitle, Msg::SubscriptionEndedBody),
        None,
        path,
    )
}

/// `POST /nyhetsbrev/{token}/avmeld`: one-click unsubscribe (RFC 8058), from the
/// `List-Unsubscribe` header of every newsletter. A link already ended answers the
/// same, so that a retry is harmless.
pub async fn one_click(
    State(app): State<Arc<AppState>>,
    Path(token): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let lang = request_lang(&uri, &headers);
    let path = uri.path();
    let Some(newsletters) = app.newsletters.as_deref() else {
        return ended(&app, lang, path);
    };
    match newsletters.open(&app.store, &token).await {
        Ok(Some(opened)) => end(&app, newsletters, &opened, lang, path).await,
        Ok(None) => ended(&app, lang, path),
        Err(err) => {
            tracing::error!(error = %err, "cannot read a subscription");
            unavailable(&app, lang, path)
        }
    }
}
