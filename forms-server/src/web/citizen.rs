//! The citizen's HTML routes: the forms, their submission and the receipt.
//!
//! A form post is checked for its CSRF token (a random value in a `__Host-` cookie that
//! the form repeats in a hidden field), decoded strictly (invalid UTF-8 is refused, not
//! replaced), and handed to [`submission::accept`]. Whatever goes wrong, the citizen
//! sees the form again with their own text and a message in their language.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{FromRequest, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use maud::Markup;

use super::AppState;
use super::error::{ApiError, BodyError, read_body};
use super::login::{self, citizen_at};
use super::pages::{self, Account, FormView, LoginView};
use super::tls::Peer;
use crate::auth::idporten::Level;
use crate::auth::session::{Citizen, Session};
use crate::config::Site;
use crate::i18n::{Lang, Msg, t};
use crate::schema::answers::{Checked, Context, FieldError, RawAnswers, RawFile, RawValue};
use crate::schema::{Auth, Catalog, Form, Prefill};
use crate::submission::{self, Accepted, SubmitError};

pub(super) const CSRF_COOKIE: &str = "__Host-csrf";
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

pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
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

/// Whether a POST carries the CSRF token of its cookie.
pub(super) fn csrf_matches(headers: &HeaderMap, sent: Option<&str>) -> bool {
    match (cookie(headers, CSRF_COOKIE), sent) {
        (Some(c), Some(s)) => super::constant_time_eq(s.as_bytes(), c.as_bytes()),
        _ => false,
    }
}

/// For a button's POST (a small urlencoded form, at `path`): `None` if it carries the
/// CSRF token of its cookie; otherwise the page that refuses it (a forgery, or a page
/// kept open across a restart of the browser).
pub(super) async fn refused_without_csrf(
    app: &AppState,
    headers: &HeaderMap,
    body: Body,
    lang: Lang,
    path: &str,
) -> Option<Response> {
    button_post(app, headers, body, lang, path).await.err()
}

/// The fields of a button's post (URL-encoded), if it carries the CSRF token of the
/// cookie; otherwise the page that says the page was too old.
pub(super) async fn button_post(
    app: &AppState,
    headers: &HeaderMap,
    body: Body,
    lang: Lang,
    path: &str,
) -> Result<Vec<(String, String)>, Response> {
    let bytes = read_body(
        headers,
        body,
        "application/x-www-form-urlencoded",
        app.max_body_bytes,
    )
    .await
    .ok();
    let fields = bytes.and_then(|bytes| parse_urlencoded(&bytes));
    let sent = fields
        .iter()
        .flatten()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.as_str());
    if csrf_matches(headers, sent) {
        return Ok(fields.unwrap_or_default());
    }
    // The access log line names the route; the path may hold a reference.
    tracing::info!("a button's POST without a valid CSRF token");
    let page = pages::message_page(
        lang,
        &app.site,
        &t(lang, Msg::BadRequestTitle),
        &t(lang, Msg::ExpiredBody),
        None,
        path,
    );
    Err(html(StatusCode::FORBIDDEN, page, None))
}

/// The CSRF token for this response, and whether it must be (re)set as a cookie.
pub(super) fn csrf_token(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, CSRF_COOKIE).filter(|t| valid_token_shape(t)) {
        Some(existing) => (existing.to_string(), false),
        None => (submission::random_id().unwrap_or_default(), true),
    }
}

pub(super) fn html(status: StatusCode, markup: Markup, set_csrf: Option<&str>) -> Response {
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
    let catalog = app.catalog();
    let forms = catalog.forms().map(|f| f.as_ref());
    let session = login::current_session(&app, &headers).await;
    let signed_in = citizen_at(session.as_ref(), Level::Substantial).is_some();
    let (csrf, set) = csrf_token(&headers);
    let account = signed_in.then_some(Account { csrf: &csrf });
    let page = pages::index_page(lang, &app.site, forms, account);
    html(
        StatusCode::OK,
        page,
        (signed_in && set).then_some(csrf.as_str()),
    )
}

/// Who is sending a form, as far as the form may know: the logged-in citizen for a
/// form that uses login, nobody for a form open to anyone.
fn sender_of<'a>(form: &Form, session: Option<&'a Session>) -> Option<&'a Citizen> {
    match form.auth {
        Auth::None => None,
        Auth::Optional => citizen_at(session, Level::Substantial),
        Auth::Substantial | Auth::High => citizen_at(session, Level::for_form(form.auth)?),
    }
}

/// How a form page shows login, for this citizen.
fn login_view(app: &AppState, form: &Form, citizen: Option<&Citizen>) -> LoginView {
    match citizen {
        Some(citizen) => LoginView::In {
            krr_missing: form.fields().any(|f| {
                f.prefill
                    .is_some_and(|p| p != Prefill::IdportenPid && citizen.offered(p).is_none())
            }),
        },
        None if app.login.is_none() && form.auth.requires_login() => LoginView::Unavailable,
        None if app.login.is_some() && form.auth == Auth::Optional => LoginView::Offered,
        None => LoginView::NotNeeded,
    }
}

/// Fills in what ID-porten and KRR offer for the form's prefilled fields.
fn prefill(form: &Form, citizen: &Citizen, raw: &mut RawAnswers) {
    for field in form.fields() {
        let offered = field.prefill.and_then(|source| citizen.offered(source));
        if let Some(value) = offered
            && raw.text(&field.id).is_none()
        {
            raw.0
                .push((field.id.clone(), RawValue::Text(value.to_string())));
        }
    }
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

/// The router's fallback: nothing at this address.
pub async fn fallback(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    not_found(&app, &uri, &headers)
}

pub fn not_found(app: &AppState, uri: &Uri, headers: &HeaderMap) -> Response {
    if uri.path().starts_with("/api/") {
        return ApiError::not_found("There is nothing at this address.").into_response();
    }
    let lang = request_lang(uri, headers);
    let page = pages::message_page(
        lang,
        &app.site,
        &t(lang, Msg::NotFoundTitle),
        &t(lang, Msg::NotFoundBody),
        None,
        "/",
    );
    html(StatusCode::NOT_FOUND, page, None)
}

/// The form a request names, with the catalog it came from and the language to answer
/// in; `None` if there is no such form.
fn find_form(
    app: &AppState,
    form_id: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<(Arc<Catalog>, Arc<Form>, Lang)> {
    let catalog = app.catalog();
    let form = catalog.form(form_id)?.clone();
    let lang = form.lang_or_default(request_lang(uri, headers));
    Some((catalog, form, lang))
}

/// What to show of a form after a request: a page (`None`: the summary), the problems
/// on it, a notice about the whole form, and the status.
struct Screen {
    page: Option<usize>,
    errors: Vec<FieldError>,
    notice: Option<String>,
    status: StatusCode,
}

impl Screen {
    fn page(page: Option<usize>) -> Screen {
        Screen {
            page,
            errors: Vec::new(),
            notice: None,
            status: StatusCode::OK,
        }
    }

    fn notice(page: Option<usize>, notice: String, status: StatusCode) -> Screen {
        Screen {
            notice: Some(notice),
            status,
            ..Screen::page(page)
        }
    }

    /// The page of the first problem, showing the problems that belong on it and those
    /// that belong to no page (unknown names).
    fn first_problem(form: &Form, errors: &[FieldError], fallback: usize) -> Screen {
        let first = errors
            .iter()
            .filter_map(|e| form.page_of(&e.field))
            .min()
            .unwrap_or(fallback);
        Screen::problems(form, errors, first)
    }

    /// Page `page` with its problems, if it has any.
    fn problems(form: &Form, errors: &[FieldError], page: usize) -> Screen {
        Screen {
            errors: errors
                .iter()
                .filter(|e| form.page_of(&e.field).is_none_or(|p| p == page))
                .cloned()
                .collect(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..Screen::page(Some(page))
        }
    }
}

/// Renders `screen` of `form` for the answers in `post`.
#[allow(clippy::too_many_arguments)]
fn render(
    form: &Form,
    lang: Lang,
    site: &Site,
    ctx: &Context,
    csrf: &str,
    post: &Post,
    checked: &Checked,
    screen: Screen,
    set_cookie: bool,
    login: (LoginView, bool),
) -> Response {
    let view = FormView {
        form,
        lang,
        csrf,
        raw: &post.raw,
        checked,
        page: screen.page.unwrap_or(0),
        errors: &screen.errors,
        notice: screen.notice,
        item_counts: &post.item_counts,
        today: ctx.today,
        print: false,
        login: login.0,
        signed_in: login.1,
        site,
    };
    let markup = match screen.page {
        Some(_) => pages::form_page(&view),
        None => pages::summary_page(&view),
    };
    html(screen.status, markup, set_cookie.then_some(csrf))
}

pub async fn show_form(
    State(app): State<Arc<AppState>>,
    Path(form_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some((_, form, lang)) = find_form(&app, &form_id, &uri, &headers) else {
        return not_found(&app, &uri, &headers);
    };
    let mut session = login::current_session(&app, &headers).await;
    if let (Some(level), Some(login)) = (Level::for_form(form.auth), app.login.as_ref())
        && citizen_at(session.as_ref(), level).is_none()
    {
        let path = format!("/skjema/{}", form.id);
        return login::start(&app, login, session, level, path, lang, None).await;
    }
    // What the citizen typed before logging in, given back once.
    let draft = session
        .as_mut()
        .and_then(|s| s.data.drafts.remove(form.id.as_str()));
    if draft.is_some()
        && let (Some(login), Some(session)) = (app.login.as_ref(), session.as_ref())
        && let Err(err) = login.sessions.save(session, app.clock.now()).await
    {
        tracing::warn!(error = %err, "cannot save a session");
    }
    let citizen = sender_of(&form, session.as_ref());
    let post = match draft {
        Some(pairs) => Post::from_pairs(
            pairs
                .into_iter()
                .map(|(k, v)| (k, RawValue::Text(v)))
                .collect(),
        )
        .unwrap_or_default(),
        None => {
            let mut post = Post::default();
            if let Some(citizen) = citizen {
                prefill(&form, citizen, &mut post.raw);
            }
            post
        }
    };
    let (csrf, set) = csrf_token(&headers);
    let ctx = app.context();
    let checked = form.check(&post.raw, &ctx);
    let first = checked.shown_pages.first().copied().unwrap_or(0);
    let page = post
        .page
        .as_deref()
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| checked.shown_pages.contains(p))
        .unwrap_or(first);
    let signed_in = citizen_at(session.as_ref(), Level::Substantial).is_some();
    render(
        &form,
        lang,
        &app.site,
        &ctx,
        &csrf,
        &post,
        &checked,
        Screen::page(Some(page)),
        set,
        (login_view(&app, &form, citizen), signed_in),
    )
}

pub async fn print_form(
    State(app): State<Arc<AppState>>,
    Path(form_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some((_, form, lang)) = find_form(&app, &form_id, &uri, &headers) else {
        return not_found(&app, &uri, &headers);
    };
    let page = pages::print_page(&form, lang, &app.site, app.context().today);
    html(StatusCode::OK, page, None)
}

/// The form's privacy page: why its answers are collected, who reads them, how long
/// they are kept, and the citizen's rights.
pub async fn privacy_notice(
    State(app): State<Arc<AppState>>,
    Path(form_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some((catalog, form, lang)) = find_form(&app, &form_id, &uri, &headers) else {
        return not_found(&app, &uri, &headers);
    };
    let mut context = pages::PrivacyContext {
        queues: Vec::new(),
        request_forms: catalog
            .forms()
            .filter(|f| f.privacy_request)
            .map(|f| (f.id.as_str(), f.title.get(lang)))
            .collect(),
        counts_addresses: app.limiter.is_some(),
        sends_mail: app.mailer.is_some(),
    };
    for id in form.queues() {
        let name = catalog
            .queue(id.as_str())
            .map_or(id.as_str(), |queue| queue.name.get(lang));
        if !context.queues.contains(&name) {
            context.queues.push(name);
        }
    }
    html(
        StatusCode::OK,
        pages::privacy_page(&form, lang, &app.site, &context),
        None,
    )
}

/// What a button on a form page asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Send,
    Step(Step),
}

/// Moving about a form in several steps, or changing a repeating group's items.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Next,
    Back,
    Goto(usize),
    Add(String),
    Remove(String, usize),
}

impl Action {
    fn parse(text: &str) -> Option<Action> {
        let step = match text {
            "send" => return Some(Action::Send),
            "next" => Step::Next,
            "back" => Step::Back,
            _ => {
                if let Some(page) = text.strip_prefix("goto:") {
                    Step::Goto(page.parse().ok()?)
                } else if let Some(group) = text.strip_prefix("add:") {
                    Step::Add(group.to_string())
                } else {
                    let (group, n) = text.strip_prefix("remove:")?.rsplit_once(':')?;
                    Step::Remove(group.to_string(), n.parse().ok()?)
                }
            }
        };
        Some(Action::Step(step))
    }
}

/// A form post, decoded: the answers, and the controls of the page.
#[derive(Default)]
struct Post {
    raw: RawAnswers,
    csrf: Option<String>,
    action: Option<String>,
    page: Option<String>,
    item_counts: BTreeMap<String, usize>,
}

impl Post {
    /// Sorts decoded pairs into answers and controls. Files carried in hidden inputs
    /// are restored, unless a new file came for the same answer.
    fn from_pairs(pairs: Vec<(String, RawValue)>) -> Option<Post> {
        let mut post = Post::default();
        let mut carried = Vec::new();
        for (name, value) in pairs {
            let text = match &value {
                RawValue::Text(t) => Some(t.as_str()),
                _ => None,
            };
            match (name.as_str(), text) {
                (CSRF_FIELD, Some(t)) => post.csrf = Some(t.to_string()),
                ("_action", Some(t)) => post.action = Some(t.to_string()),
                ("_page", Some(t)) => post.page = Some(t.to_string()),
                (n, Some(t)) if n.starts_with("_items.") => {
                    let count = t.parse::<usize>().ok().filter(|c| *c <= 50)?;
                    post.item_counts
                        .insert(n["_items.".len()..].to_string(), count);
                }
                (n, Some(t)) if n.starts_with(pages::CARRY_PREFIX) => {
                    let file = pages::decode_carried_file(t)?;
                    carried.push((n[pages::CARRY_PREFIX.len()..].to_string(), file));
                }
                _ => post.raw.0.push((name, value)),
            }
        }
        for (name, file) in carried {
            if post.raw.files(&name).next().is_none() {
                post.raw.0.push((name, RawValue::File(file)));
            }
        }
        Some(post)
    }

    /// The text answers and the page's controls, to keep across a login. Files are
    /// left out: a session is read on every request and must stay small.
    fn to_draft(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .raw
            .0
            .iter()
            .filter_map(|(name, value)| match value {
                RawValue::Text(text) => Some((name.clone(), text.clone())),
                _ => None,
            })
            .collect();
        for (group, count) in &self.item_counts {
            pairs.push((format!("_items.{group}"), count.to_string()));
        }
        if let Some(page) = &self.page {
            pairs.push(("_page".into(), page.clone()));
        }
        pairs
    }

    /// Removes item `n` of `group` and renumbers the items after it.
    fn remove_item(&mut self, group: &str, n: usize) {
        let prefix = format!("{group}.");
        let mut kept = Vec::new();
        for (name, value) in std::mem::take(&mut self.raw.0) {
            let item = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.split_once('.'))
                .and_then(|(i, sub)| Some((i.parse::<usize>().ok()?, sub.to_string())));
            match item {
                Some((i, _)) if i == n => {}
                Some((i, sub)) if i > n => kept.push((format!("{group}.{}.{sub}", i - 1), value)),
                _ => kept.push((name, value)),
            }
        }
        self.raw.0 = kept;
        if let Some(count) = self.item_counts.get_mut(group) {
            *count = count.saturating_sub(1).max(1);
        }
    }
}

/// Decodes a form post: urlencoded, or multipart for forms with attachments.
async fn decode_post(headers: &HeaderMap, body: Body, max: usize) -> Result<Post, PostError> {
    let multipart = super::error::media_type(headers).as_deref() == Some("multipart/form-data");
    if !multipart {
        let bytes = read_body(headers, body, "application/x-www-form-urlencoded", max).await?;
        let pairs = parse_urlencoded(&bytes).ok_or(PostError::Encoding)?;
        return Post::from_pairs(
            pairs
                .into_iter()
                .map(|(k, v)| (k, RawValue::Text(v)))
                .collect(),
        )
        .ok_or(PostError::Encoding);
    }
    let bytes = read_body(headers, body, "multipart/form-data", max).await?;
    let content_type = headers.get(header::CONTENT_TYPE).cloned();
    let mut request = axum::extract::Request::new(Body::from(bytes));
    if let Some(ct) = content_type {
        request.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    let mut multipart = axum::extract::Multipart::from_request(request, &())
        .await
        .map_err(|_| PostError::Encoding)?;
    let mut pairs = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| PostError::Encoding)?
    {
        let name = field.name().ok_or(PostError::Encoding)?.to_string();
        let file_name = field.file_name().map(str::to_string);
        let data = field.bytes().await.map_err(|_| PostError::Encoding)?;
        match file_name {
            // A file input left empty sends an empty part without a name.
            Some(file_name) if file_name.is_empty() && data.is_empty() => {}
            Some(file_name) => pairs.push((
                name,
                RawValue::File(RawFile {
                    name: file_name,
                    bytes: data.to_vec(),
                }),
            )),
            None => {
                let text = String::from_utf8(data.to_vec()).map_err(|_| PostError::Encoding)?;
                pairs.push((name, RawValue::Text(text)));
            }
        }
    }
    Post::from_pairs(pairs).ok_or(PostError::Encoding)
}

enum PostError {
    Body(BodyError),
    Encoding,
}

impl From<BodyError> for PostError {
    fn from(err: BodyError) -> Self {
        PostError::Body(err)
    }
}

pub async fn submit_form(
    State(app): State<Arc<AppState>>,
    Path(form_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    peer: Option<Extension<Peer>>,
    body: Body,
) -> Response {
    let Some((catalog, form, lang)) = find_form(&app, &form_id, &uri, &headers) else {
        return not_found(&app, &uri, &headers);
    };
    let back = format!("/skjema/{}", form.id);
    let message = |status: StatusCode, title: Msg<'_>, body: Msg<'_>| {
        let page = pages::message_page(
            lang,
            &app.site,
            &t(lang, title),
            &t(lang, body),
            Some(&back),
            &back,
        );
        html(status, page, None)
    };
    let limit = app.body_limit(&form);
    let mut post = match decode_post(&headers, body, limit).await {
        Ok(post) => post,
        Err(PostError::Body(BodyError::WrongContentType)) => {
            return message(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Msg::BadRequestTitle,
                Msg::WrongContentTypeBody,
            );
        }
        Err(PostError::Body(BodyError::TooLarge)) => {
            return message(
                StatusCode::PAYLOAD_TOO_LARGE,
                Msg::TooLargeTitle,
                Msg::TooLargeBody {
                    max_kib: limit / 1024,
                },
            );
        }
        Err(PostError::Encoding) => {
            return message(
                StatusCode::BAD_REQUEST,
                Msg::BadRequestTitle,
                Msg::BadEncodingBody,
            );
        }
    };
    let ctx = app.context();
    let session = login::current_session(&app, &headers).await;
    let citizen: Option<Citizen> = sender_of(&form, session.as_ref()).cloned();
    let signed_in = citizen_at(session.as_ref(), Level::Substantial).is_some();
    let shown_login = (login_view(&app, &form, citizen.as_ref()), signed_in);
    let cookie_token = cookie(&headers, CSRF_COOKIE).map(str::to_string);
    let csrf_ok = csrf_matches(&headers, post.csrf.as_deref());
    let page_sent = match post.page.as_deref() {
        Some("summary") => None,
        Some(p) => p.parse::<usize>().ok().filter(|p| *p < form.pages.len()),
        None => Some(0),
    };
    let action = match post.action.as_deref() {
        Some(a) => Action::parse(a),
        None if form.is_multi_page() && page_sent.is_some() => Some(Action::Step(Step::Next)),
        None => Some(Action::Send),
    };
    let Some(action) = action else {
        return message(
            StatusCode::BAD_REQUEST,
            Msg::BadRequestTitle,
            Msg::BadEncodingBody,
        );
    };
    let show = |csrf: &str, post: &Post, checked: &Checked, screen: Screen| {
        render(
            &form,
            lang,
            &app.site,
            &ctx,
            csrf,
            post,
            checked,
            screen,
            false,
            shown_login,
        )
    };
    // The page the citizen was on; from the summary, the last page shown.
    let current = |checked: &Checked| {
        page_sent.unwrap_or_else(|| checked.shown_pages.last().copied().unwrap_or(0))
    };

    if !csrf_ok {
        tracing::info!(form = %form.id, "form post without a valid CSRF token");
        let fresh = submission::random_id().unwrap_or_default();
        let checked = form.check(&post.raw, &ctx);
        let screen = Screen::notice(
            page_sent.or(Some(0)),
            t(lang, Msg::ExpiredBody),
            StatusCode::FORBIDDEN,
        );
        return render(
            &form,
            lang,
            &app.site,
            &ctx,
            &fresh,
            &post,
            &checked,
            screen,
            true,
            shown_login,
        );
    }
    let csrf = cookie_token.unwrap_or_default();

    // Not logged in (any more) at the form's level: log in, and keep what was typed.
    if let (Some(level), Some(login)) = (Level::for_form(form.auth), app.login.as_ref())
        && citizen.is_none()
    {
        let path = format!("/skjema/{}", form.id);
        let draft = Some((form.id.to_string(), post.to_draft()));
        return login::start(&app, login, session, level, path, lang, draft).await;
    }

    let step = match action {
        Action::Step(step) => step,
        Action::Send => {
            let sender = match (&citizen, app.login.as_ref()) {
                (Some(citizen), Some(login)) => Some(submission::Sender {
                    citizen,
                    key: login.sessions.citizen_key(&citizen.login.pid),
                    lang,
                }),
                _ => None,
            };
            let mut intake = app.intake(&catalog, peer.map(|Extension(p)| p));
            intake.lang = lang;
            let result = submission::accept(&intake, &form, &post.raw, sender.as_ref()).await;
            let mut retry_after = None;
            let screen = match result {
                Ok(Accepted::AwaitsConfirmation) => {
                    let fresh = submission::random_id().unwrap_or_default();
                    let page = pages::subscription_sent_page(&form, lang, &app.site);
                    return html(StatusCode::OK, page, Some(&fresh));
                }
                Ok(Accepted::Stored(receipt)) => {
                    // A new token: reloading the receipt cannot send the same answers twice.
                    let fresh = submission::random_id().unwrap_or_default();
                    let account = signed_in.then_some(Account { csrf: &fresh });
                    let page = pages::receipt_page(&form, lang, &app.site, &receipt, account);
                    return html(StatusCode::OK, page, Some(&fresh));
                }
                Err(SubmitError::Invalid(errors) | SubmitError::Sensitive(errors)) => {
                    let checked = form.check(&post.raw, &ctx);
                    let screen = Screen::first_problem(&form, &errors, current(&checked));
                    return show(&csrf, &post, &checked, screen);
                }
                Err(SubmitError::LoginRequired) => Screen::notice(
                    page_sent,
                    t(lang, Msg::LoginUnavailable),
                    StatusCode::UNAUTHORIZED,
                ),
                Err(SubmitError::NoSubscriptions(_)) => Screen::notice(
                    page_sent,
                    t(lang, Msg::SubscriptionUnavailable),
                    StatusCode::SERVICE_UNAVAILABLE,
                ),
                Err(SubmitError::TooMany {
                    retry_after: seconds,
                }) => {
                    retry_after = Some(seconds);
                    let minutes = seconds.div_ceil(60);
                    Screen::notice(
                        page_sent,
                        t(lang, Msg::TooManySubmissions { minutes }),
                        StatusCode::TOO_MANY_REQUESTS,
                    )
                }
                Err(err) => {
                    tracing::error!(form = %form.id, error = %err, "submission failed");
                    let notice = format!(
                        "{} {}",
                        t(lang, Msg::ServerErrorTitle),
                        t(lang, Msg::ServerErrorBody)
                    );
                    Screen::notice(page_sent, notice, StatusCode::SERVICE_UNAVAILABLE)
                }
            };
            let checked = form.check(&post.raw, &ctx);
            let mut response = show(&csrf, &post, &checked, screen);
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            return response;
        }
    };

    match &step {
        Step::Add(group) => {
            let count = post.item_counts.get(group).copied().unwrap_or(1);
            post.item_counts.insert(group.clone(), count + 1);
        }
        Step::Remove(group, n) => post.remove_item(group, *n),
        Step::Next | Step::Back | Step::Goto(_) => {}
    }
    let checked = form.check(&post.raw, &ctx);
    let shown = &checked.shown_pages;
    let current = current(&checked);
    let screen = match step {
        Step::Add(_) | Step::Remove(..) => Screen::page(Some(current)),
        Step::Back => {
            let previous = shown.iter().rev().find(|p| **p < current);
            Screen::page(Some(previous.copied().unwrap_or(current)))
        }
        Step::Goto(page) if shown.contains(&page) => Screen::page(Some(page)),
        Step::Goto(_) => Screen::page(Some(current)),
        Step::Next => {
            let on_page = Screen::problems(&form, &checked.errors, current);
            match shown.iter().find(|p| **p > current) {
                _ if !on_page.errors.is_empty() => on_page,
                Some(next) => Screen::page(Some(*next)),
                None if checked.errors.is_empty() => Screen::page(None),
                // A problem on an earlier page (a tampered post): show that page.
                None => Screen::first_problem(&form, &checked.errors, 0),
            }
        }
    };
    show(&csrf, &post, &checked, screen)
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
