//! The citizen's HTML routes: the forms, their submission and the receipt.
//!
//! A form post is checked for its CSRF token (a random value in a `__Host-` cookie that
//! the form repeats in a hidden field), decoded strictly (invalid UTF-8 is refused, not
//! replaced), and handed to [`submission::accept`]. Whatever goes wrong, the citizen
//! sees the form again with their own text and a message in their language.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use maud::Markup;

use super::AppState;
use super::error::{ApiError, BodyError, read_body};
use super::pages::{self, FormState};
use crate::i18n::{Lang, Msg, t};
use crate::schema::answers::{RawAnswers, RawValue};
use crate::submission::{self, SubmitError};

const CSRF_COOKIE: &str = "__Host-csrf";
const CSRF_FIELD: &str = "_csrf";

/// Decodes `application/x-www-form-urlencoded` strictly: `None` if any name or value is
/// not valid UTF-8 after percent-decoding.
pub fn parse_urlencoded(input: &[u8]) -> Option<Vec<(String, String)>> {
    let decode = |part: &[u8]| {
        let spaced: Vec<u8> = part
            .iter()
            .map(|b| if *b == b'+' { b' ' } else { *b })
            .collect();
        let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
        String::from_utf8(bytes).ok()
    };
    input
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            Some((decode(name)?, decode(value)?))
        })
        .collect()
}

/// The first value of a query parameter; `None` if absent or the query is malformed.
pub fn query_param(uri: &Uri, name: &str) -> Option<String> {
    parse_urlencoded(uri.query()?.as_bytes())?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The language of this request: `?lang=`, then `Accept-Language`, then bokmål.
pub fn request_lang(uri: &Uri, headers: &HeaderMap) -> Lang {
    let explicit = query_param(uri, "lang");
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(explicit.as_deref(), accept)
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

fn valid_token_shape(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The CSRF token for this response, and whether it must be (re)set as a cookie.
fn csrf_token(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, CSRF_COOKIE).filter(|t| valid_token_shape(t)) {
        Some(existing) => (existing.to_string(), false),
        None => (submission::random_id().unwrap_or_default(), true),
    }
}

fn html(status: StatusCode, markup: Markup, set_csrf: Option<&str>) -> Response {
    let mut response = (status, markup).into_response();
    if let Some(token) = set_csrf {
        let cookie = format!("{CSRF_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Lax");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

pub async fn index(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let lang = request_lang(&uri, &headers);
    let forms = app.catalog.forms().map(|f| f.as_ref());
    html(StatusCode::OK, pages::index_page(lang, forms), None)
}

pub async fn stylesheet() -> Response {
    let mut response = pages::STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

pub async fn not_found(uri: Uri, headers: HeaderMap) -> Response {
    if uri.path().starts_with("/api/") {
        return ApiError::not_found("There is nothing at this address.").into_response();
    }
    let lang = request_lang(&uri, &headers);
    let page = pages::message_page(
        lang,
        &t(lang, Msg::NotFoundTitle),
        &t(lang, Msg::NotFoundBody),
        None,
        "/",
    );
    html(StatusCode::NOT_FOUND, page, None)
}

pub async fn show_form(
    State(app): State<Arc<AppState>>,
    Path(form_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some(form) = app.catalog.form(&form_id).cloned() else {
        return not_found(uri, headers).await;
    };
    let lang = request_lang(&uri, &headers);
    let (csrf, set) = csrf_token(&headers);
    let page = pages::form_page(&form, lang, &csrf, FormState::default());
    html(StatusCode::OK, page, set.then_some(csrf.as_str()))
}

pub async fn submit_form(
    State(app): State<Arc<AppState>>,
    Path(form_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(form) = app.catalog.form(&form_id).cloned() else {
        return not_found(uri, headers).await;
    };
    let lang = request_lang(&uri, &headers);
    let back = format!("/skjema/{}", form.id);
    let message = |status: StatusCode, title: Msg<'_>, body: Msg<'_>| {
        let page = pages::message_page(lang, &t(lang, title), &t(lang, body), Some(&back), &back);
        html(status, page, None)
    };
    let bytes = match read_body(
        &headers,
        body,
        "application/x-www-form-urlencoded",
        app.max_body_bytes,
    )
    .await
    {
        Ok(bytes) => bytes,
        Err(BodyError::WrongContentType) => {
            return message(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Msg::BadRequestTitle,
                Msg::WrongContentTypeBody,
            );
        }
        Err(BodyError::TooLarge) => {
            let max_kib = app.max_body_bytes / 1024;
            return message(
                StatusCode::PAYLOAD_TOO_LARGE,
                Msg::TooLargeTitle,
                Msg::TooLargeBody { max_kib },
            );
        }
    };
    let Some(pairs) = parse_urlencoded(&bytes) else {
        return message(
            StatusCode::BAD_REQUEST,
            Msg::BadRequestTitle,
            Msg::BadEncodingBody,
        );
    };
    let mut sent_csrf = None;
    let mut raw = RawAnswers::default();
    for (name, value) in pairs {
        if name == CSRF_FIELD {
            sent_csrf = Some(value);
        } else {
            raw.0.push((name, RawValue::Text(value)));
        }
    }
    let csrf = cookie(&headers, CSRF_COOKIE)
        .filter(|c| {
            sent_csrf
                .as_deref()
                .is_some_and(|s| constant_time_eq(s.as_bytes(), c.as_bytes()))
        })
        .map(str::to_string);
    let Some(csrf) = csrf else {
        tracing::info!(form = %form.id, "form post without a valid CSRF token");
        let fresh = submission::random_id().unwrap_or_default();
        let state = FormState {
            values: Some(&raw),
            errors: &[],
            notice: Some(t(lang, Msg::ExpiredBody)),
        };
        let page = pages::form_page(&form, lang, &fresh, state);
        return html(StatusCode::FORBIDDEN, page, Some(&fresh));
    };

    let now = app.clock.now();
    match submission::accept(&app.catalog, &app.store, &form, &raw, now).await {
        Ok(receipt) => {
            // A new token: reloading the receipt cannot send the same answers twice.
            let fresh = submission::random_id().unwrap_or_default();
            let page = pages::receipt_page(&form, lang, &receipt.reference, receipt.received_at);
            html(StatusCode::OK, page, Some(&fresh))
        }
        Err(SubmitError::Invalid(errors)) => {
            let state = FormState {
                values: Some(&raw),
                errors: &errors,
                notice: None,
            };
            let page = pages::form_page(&form, lang, &csrf, state);
            html(StatusCode::UNPROCESSABLE_ENTITY, page, None)
        }
        Err(err) => {
            tracing::error!(form = %form.id, error = %err, "submission failed");
            let state = FormState {
                values: Some(&raw),
                errors: &[],
                notice: Some(format!(
                    "{} {}",
                    t(lang, Msg::ServerErrorTitle),
                    t(lang, Msg::ServerErrorBody)
                )),
            };
            let page = pages::form_page(&form, lang, &csrf, state);
            html(StatusCode::SERVICE_UNAVAILABLE, page, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs<'a> = Option<Vec<(&'a str, &'a str)>>;

    #[test]
    fn urlencoded_is_decoded_strictly() {
        let cases: &[(&[u8], Pairs)] = &[
            (b"a=1&b=x+y", Some(vec![("a", "1"), ("b", "x y")])),
            (
                b"message=bl%C3%A5b%C3%A6r&&flag",
                Some(vec![("message", "blåbær"), ("flag", "")]),
            ),
            (b"a=%2B%26%3D", Some(vec![("a", "+&=")])),
            (b"a=%FF%FE", None),
            (b"%C3=1", None),
            (b"", Some(vec![])),
        ];
        for (input, expected) in cases {
            let expected = expected.as_ref().map(|v| {
                v.iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect::<Vec<_>>()
            });
            assert_eq!(
                parse_urlencoded(input),
                expected,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn finds_the_csrf_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; __Host-csrf=0123456789abcdef0123456789abcdef; c=d"),
        );
        let (token, set) = csrf_token(&headers);
        assert_eq!(token, "0123456789abcdef0123456789abcdef");
        assert!(!set);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("__Host-csrf=short"),
        );
        let (token, set) = csrf_token(&headers);
        assert!(set && valid_token_shape(&token));
    }
}
