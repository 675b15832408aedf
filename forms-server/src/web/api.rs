//! The JSON API: submitting a form, and the caseworker's queue.
//!
//! Caseworker routes authenticate with `Authorization: Bearer <token>`. A submission
//! in another queue answers 404 exactly like one that does not exist.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::citizen::{query_param, request_lang};
use super::error::{ApiError, ProblemField, read_body};
use super::pages::problem_text;
use super::tls::Peer;
use crate::caseworker::{self, CaseworkerError};
use crate::clock::Timestamp;
use crate::i18n::Lang;
use crate::schema::Form;
use crate::schema::answers::{FieldError, Problem, RawAnswers, RawFile, RawValue};
use crate::store::{Caseworker, Status, SubmissionMeta};
use crate::submission::{self, Accepted, SubmitError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionRequest {
    answers: BTreeMap<String, serde_json::Value>,
}

#[derive(Serialize)]
struct SubmissionCreated {
    reference: String,
    received: String,
}

pub async fn submit(
    State(app): State<Arc<AppState>>,
    Path(form_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    peer: Option<Extension<Peer>>,
    body: Body,
) -> Result<Response, ApiError> {
    let catalog = app.catalog();
    let form = catalog
        .form(&form_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("There is no form with this id."))?;
    let bytes = read_body(&headers, body, "application/json", app.body_limit(&form)).await?;
    let request: SubmissionRequest = serde_json::from_slice(&bytes).map_err(|err| {
        // serde_json's message names a position or a key, never a value.
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Malformed JSON",
            format!("The body must be UTF-8 JSON of the form {{\"answers\": {{…}}}}: {err}"),
        )
    })?;
    let mut raw = RawAnswers::default();
    for (name, value) in request.answers {
        flatten(&mut raw, name, value, true);
    }
    let mut intake = app.intake(&catalog, peer.map(|Extension(p)| p));
    intake.lang = request_lang(&uri, &headers);
    match submission::accept(&intake, &form, &raw, None).await {
        Ok(Accepted::Stored(receipt)) => {
            let body = SubmissionCreated {
                reference: receipt.reference,
                received: receipt.received_at.rfc3339(),
            };
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        Ok(Accepted::AwaitsConfirmation) => {
            let body = serde_json::json!({
                "status": "awaits_confirmation",
                "detail": "A link to confirm the subscription is mailed to the address; \
                           nothing is sent to it before it is confirmed.",
            });
            Ok((StatusCode::ACCEPTED, Json(body)).into_response())
        }
        Err(SubmitError::Invalid(errors)) => Err(field_problem(
            &form,
            request_lang(&uri, &headers),
            &errors,
            "Invalid answers",
            "One or more answers do not fit the form. Nothing was stored.".into(),
        )),
        Err(SubmitError::Sensitive(errors)) => {
            let secure = form
                .secure_form
                .as_deref()
                .map(|id| format!(" Send it through the form behind login instead: /skjema/{id}."))
                .unwrap_or_default();
            Err(field_problem(
                &form,
                request_lang(&uri, &headers),
                &errors,
                "Sensitive personal data",
                format!(
                    "This form is open to anyone and does not take sensitive personal data. \
                     Nothing was stored.{secure}"
                ),
            ))
        }
        Err(SubmitError::NoSubscriptions(missing)) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Subscriptions unavailable",
            format!(
                "This server cannot take subscriptions: it needs {missing}. Nothing was stored."
            ),
        )),
        Err(SubmitError::LoginRequired) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Login required",
            "This form needs login through ID-porten. Nothing was stored.",
        )),
        Err(SubmitError::TooMany { retry_after }) => {
            let mut problem = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many submissions",
                format!(
                    "This network address has sent as many submissions as it may in an hour. \
                     Nothing was stored. Try again in {retry_after} seconds."
                ),
            );
            problem.retry_after = Some(retry_after);
            Err(problem)
        }
        Err(SubmitError::Store(err)) => Err(ApiError::store("submission failed", &err)),
        Err(err) => Err(ApiError::internal("submission failed", &err)),
    }
}

/// A 422 problem naming each failing answer, in the citizen's language.
fn field_problem(
    form: &Form,
    lang: Lang,
    errors: &[FieldError],
    title: &'static str,
    detail: String,
) -> ApiError {
    let mut problem = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, title, detail);
    problem.errors = errors
        .iter()
        .map(|e| ProblemField {
            field: e.field.clone(),
            code: e.problem.code(),
            message: problem_text(lang, form, e),
            kinds: match &e.problem {
                Problem::Sensitive { kinds } => kinds.iter().map(|k| k.name()).collect(),
                _ => Vec::new(),
            },
        })
        .collect();
    problem
}

/// Turns a JSON answer into the flat names of [`RawAnswers`]: a list of values gives
/// the name once a value (a multiple choice), a list of objects gives group items
/// (`children.0.name`), `{"name", "content_base64"}` is a file. Numbers and booleans
/// are kept apart from text (only number and consent fields take them); `null` is no
/// answer.
fn flatten(raw: &mut RawAnswers, name: String, value: serde_json::Value, top: bool) {
    use serde_json::Value as J;
    match value {
        J::Null => {}
        J::String(s) => raw.0.push((name, RawValue::Text(s))),
        J::Number(n) => raw.0.push((name, RawValue::Json(n.to_string()))),
        J::Bool(b) => raw.0.push((name, RawValue::Json(b.to_string()))),
        J::Object(object) => match json_file(&object) {
            Some(file) => raw.0.push((name, RawValue::File(file))),
            None => raw.0.push((name, RawValue::NotText)),
        },
        J::Array(items) => {
            for (n, item) in items.into_iter().enumerate() {
                match item {
                    J::Object(object) if top && json_file(&object).is_none() => {
                        for (sub, v) in object {
                            flatten(raw, format!("{name}.{n}.{sub}"), v, false);
                        }
                    }
                    J::Array(_) => raw.0.push((name.clone(), RawValue::NotText)),
                    other => flatten(raw, name.clone(), other, false),
                }
            }
        }
    }
}

/// `{"name": "photo.jpg", "content_base64": "..."}` as a file.
fn json_file(object: &serde_json::Map<String, serde_json::Value>) -> Option<RawFile> {
    use base64::Engine;
    if object.len() != 2 {
        return None;
    }
    let name = object.get("name")?.as_str()?;
    let content = object.get("content_base64")?.as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content)
        .ok()?;
    Some(RawFile {
        name: name.to_string(),
        bytes,
    })
}

/// Liveness: the process answers. A fixed body, no database.
pub async fn live() -> &'static str {
    "ok"
}

/// Readiness: the database answers too.
pub async fn health(State(app): State<Arc<AppState>>) -> Response {
    match app.store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(err) => ApiError::store("health check: database unreachable", &err).into_response(),
    }
}

/// The metrics, for the monitoring that shows the metrics token; 404 where none is
/// configured, 401 for a wrong or missing token.
pub async fn metrics(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    use sha2::{Digest, Sha256};
    let Some(expected) = app.metrics_token else {
        return ApiError::not_found("No such address.").into_response();
    };
    let shown = bearer(&headers).map(|token| Sha256::digest(token.trim().as_bytes()));
    if !shown.is_some_and(|digest| super::constant_time_eq(&digest, &expected)) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthenticated",
            "Send the metrics token as 'Authorization: Bearer …'.",
        )
        .into_response();
    }
    let now = app.clock.now();
    let catalog = app.catalog();
    let mut scraped = Vec::new();
    let up = match crate::caseworker::workload(&app.store, &catalog, now).await {
        Ok(workload) => {
            scraped.extend(workload.iter().flat_map(workload_samples));
            1.0
        }
        Err(err) => {
            tracing::warn!(error = %err, "metrics: cannot read the queues' workload");
            0.0
        }
    };
    scraped.push(crate::metrics::Sample::new(
        crate::metrics::DATABASE_UP,
        &[],
        up,
    ));
    let forms = catalog.forms().count();
    scraped.push(crate::metrics::Sample::new(
        crate::metrics::FORMS_LOADED,
        &[],
        forms as f64,
    ));
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        crate::metrics::render(&scraped),
    )
        .into_response()
}

/// One queue's workload as metrics.
fn workload_samples(queue: &crate::caseworker::Workload) -> Vec<crate::metrics::Sample> {
    use crate::metrics::{
        QUEUE_CASEWORKERS, QUEUE_KEYS, QUEUE_OLDEST_NEW, QUEUE_SUBMISSIONS, Sample,
    };
    let id = ("queue", queue.queue.as_str());
    let mut samples: Vec<Sample> = [
        ("new", queue.new),
        ("in_progress", queue.in_progress),
        ("done", queue.done),
    ]
    .into_iter()
    .map(|(status, n)| Sample::new(QUEUE_SUBMISSIONS, &[id, ("status", status)], n as f64))
    .collect();
    if let Some(oldest) = queue.oldest_new {
        let at = crate::metrics::seconds(oldest);
        samples.push(Sample::new(QUEUE_OLDEST_NEW, &[id], at));
    }
    samples.push(Sample::new(QUEUE_CASEWORKERS, &[id], queue.readers as f64));
    samples.push(Sample::new(QUEUE_KEYS, &[id], queue.keys as f64));
    samples
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn caseworker_error(err: CaseworkerError) -> ApiError {
    match err {
        CaseworkerError::Unauthenticated => ApiError::unauthenticated(),
        CaseworkerError::Forbidden => ApiError::forbidden(),
        CaseworkerError::NotFound => ApiError::not_found("No such submission in your queues."),
        CaseworkerError::NoReplyAddress => ApiError::new(
            StatusCode::CONFLICT,
            "No address",
            "The citizen gave no e-mail address, or it was deleted after an earlier reply.",
        ),
        CaseworkerError::MailNotConfigured => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Mail not configured",
            "This server has no [mail] section, so it cannot send replies.",
        ),
        CaseworkerError::Mail(_) => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "Mail not sent",
            "The mail server did not take the reply; the address is kept, try again later.",
        ),
        CaseworkerError::NoConsent => ApiError::new(
            StatusCode::CONFLICT,
            "No consent",
            "The citizen has not consented to handing this case to another public body: the \
             form's consent was not given and none is recorded. Ask the citizen, then record \
             their consent (forms caseworker consent).",
        ),
        CaseworkerError::NotAgeFile => ApiError::new(
            StatusCode::BAD_REQUEST,
            "Not an age file",
            "The body must be the submission sealed with age, in age's binary format.",
        ),
        CaseworkerError::KeptByLaw(crate::privacy::KeptByLaw { law, until }) => ApiError::new(
            StatusCode::CONFLICT,
            "Kept by law",
            format!(
                "{law} requires keeping this submission until {}; it is deleted then. Tell \
                 the citizen why it cannot be erased now.",
                until.norwegian_day()
            ),
        ),
        CaseworkerError::NotPrivacyRequest => ApiError::new(
            StatusCode::CONFLICT,
            "Not a privacy request",
            "Only a request sent on a privacy request form (such as innsyn or retting) \
             links to what is held about its sender.",
        ),
        CaseworkerError::SentWithoutLogin => ApiError::new(
            StatusCode::CONFLICT,
            "Sent without login",
            "This request was sent without login, so nothing links it to its sender's \
             other submissions. Ask the citizen to send it again after logging in.",
        ),
        CaseworkerError::NotHeld(names) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not the sender's",
            format!(
                "Nothing was erased: {} is none of the request's sender's other \
                 submissions. Name them as the subject access report does.",
                names.join(", ")
            ),
        ),
        CaseworkerError::Store(err) => ApiError::store("caseworker request failed", &err),
        other => ApiError::internal("caseworker request failed", &other),
    }
}

async fn authenticated(app: &AppState, headers: &HeaderMap) -> Result<Caseworker, ApiError> {
    let token = bearer(headers).ok_or_else(ApiError::unauthenticated)?;
    caseworker::authenticate(&app.store, token, app.clock.now())
        .await
        .map_err(caseworker_error)
}

#[derive(Serialize)]
pub struct Me {
    id: String,
    name: String,
    queues: Vec<String>,
}

pub async fn me(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Me>, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    Ok(Json(Me {
        id: cw.id,
        name: cw.name,
        queues: cw.queues,
    }))
}

#[derive(Serialize)]
pub struct ListItem {
    id: String,
    reference: String,
    form: String,
    received: String,
    status: &'static str,
    /// The id of the caseworker who took the case.
    #[serde(skip_serializing_if = "Option::is_none")]
    taken_by: Option<String>,
    /// Their name, for colleagues to read.
    #[serde(skip_serializing_if = "Option::is_none")]
    taken_by_name: Option<String>,
}

impl ListItem {
    fn new(meta: SubmissionMeta, names: &BTreeMap<String, String>) -> Self {
        let taken_by_name = meta.taken_by.as_ref().and_then(|id| names.get(id)).cloned();
        ListItem {
            id: meta.id,
            reference: meta.reference,
            form: meta.form_id,
            received: meta.received_at.rfc3339(),
            status: meta.status.as_str(),
            taken_by: meta.taken_by,
            taken_by_name,
        }
    }
}

/// Every caseworker's name by id (a short table), when `needed`.
async fn caseworker_names(
    app: &AppState,
    needed: bool,
) -> Result<BTreeMap<String, String>, ApiError> {
    if !needed {
        return Ok(BTreeMap::new());
    }
    app.store
        .caseworker_names()
        .await
        .map_err(|e| ApiError::internal("cannot read caseworkers", &e))
}

pub async fn list_queue(
    State(app): State<Arc<AppState>>,
    Path(queue): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<Vec<ListItem>>, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    let status = match query_param(&uri, "status").as_deref() {
        None | Some("") => None,
        Some(text) => match text.parse::<Status>() {
            Ok(status) => Some(status),
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "Bad status",
                    "status must be 'new', 'in_progress' or 'done'.",
                ));
            }
        },
    };
    let items = caseworker::list(&app.store, &cw, &queue, status, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    let names = caseworker_names(&app, items.iter().any(|i| i.taken_by.is_some())).await?;
    Ok(Json(
        items
            .into_iter()
            .map(|meta| ListItem::new(meta, &names))
            .collect(),
    ))
}

/// A submission that has left a queue: deleted (retention or erasure) or forwarded
/// to a queue the caller is not in.
#[derive(Serialize)]
pub struct DeletedItem {
    reference: String,
    /// When it left the queue.
    deleted: String,
    /// `deleted` or `forwarded`.
    reason: &'static str,
}

/// The submissions that have left a queue and are no longer the caller's, for the
/// caseworker's machine to delete its copies of: with `since` (RFC 3339), only those
/// that left then or later, so that a pull need not fetch the queue's whole history.
pub async fn deleted_from_queue(
    State(app): State<Arc<AppState>>,
    Path(queue): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<Vec<DeletedItem>>, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    let since = match query_param(&uri, "since").as_deref() {
        None | Some("") => None,
        Some(text) => Some(Timestamp::parse_rfc3339(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "Bad time",
                "since must be a time in RFC 3339, such as 2026-12-01T08:00:00Z.",
            )
        })?),
    };
    let gone = caseworker::gone(&app.store, &cw, &queue, since, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    Ok(Json(
        gone.into_iter()
            .map(|item| DeletedItem {
                reference: item.reference,
                deleted: item.at.rfc3339(),
                reason: if item.forwarded {
                    "forwarded"
                } else {
                    "deleted"
                },
            })
            .collect(),
    ))
}

#[derive(Serialize)]
pub struct QueueRecipients {
    queue: String,
    recipients: Vec<String>,
}

/// The age recipients a queue's submissions are sealed to now: for `reseal` of one's
/// own queue, and for `forward` to another (public keys, no secret).
pub async fn queue_recipients(
    State(app): State<Arc<AppState>>,
    Path(queue): Path<String>,
    headers: HeaderMap,
) -> Result<Json<QueueRecipients>, ApiError> {
    authenticated(&app, &headers).await?;
    let catalog = app.catalog();
    let Some(found) = catalog.queue(&queue) else {
        return Err(ApiError::not_found("There is no such queue."));
    };
    let recipients = found.recipients().iter().map(ToString::to_string).collect();
    Ok(Json(QueueRecipients { queue, recipients }))
}

/// Moves a submission to the queue `?to=`, with the ciphertext the caseworker sealed
/// to that queue's recipients as the body.
pub async fn forward(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    let Some(to) = query_param(&uri, "to").filter(|q| app.catalog().queue(q).is_some()) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Unknown queue",
            "Name the queue to forward to as ?to=QUEUE.",
        ));
    };
    let bytes = sealed_body(&app, &headers, body).await?;
    caseworker::forward(&app.store, &cw, &id, &to, bytes, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    tracing::info!(submission = %id, queue = %to, caseworker = %cw.id, "submission forwarded");
    Ok(StatusCode::NO_CONTENT)
}

/// Sends the body (plain text, UTF-8) by e-mail to the citizen of submission `id`.
pub async fn reply(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    let bytes = read_body(&headers, body, "text/plain", app.max_body_bytes)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "Bad body",
                "Send the reply as text/plain, within the body limit.",
            )
        })?;
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Bad body",
            "The reply must be UTF-8.",
        )
    })?;
    if text.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Empty reply",
            "The reply has no text.",
        ));
    }
    let result = caseworker::reply(
        &app.store,
        app.vault.as_deref(),
        app.mailer.as_deref(),
        &cw,
        &id,
        &text,
        app.clock.now(),
    )
    .await;
    if let Err(CaseworkerError::Mail(_)) = &result {
        // Not the mail server's words: they may echo the address.
        tracing::warn!(submission = %id, "reply not sent: the mail server did not take it");
    }
    result.map_err(caseworker_error)?;
    tracing::info!(submission = %id, caseworker = %cw.id, "reply sent");
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a case: in progress, by the caller.
pub async fn take(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    caseworker::take(&app.store, &cw, &id, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub struct NoteCreated {
    id: String,
}

/// Adds a note (an age file sealed to the queue's recipients) to a case.
pub async fn add_note(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<NoteCreated>), ApiError> {
    let cw = authenticated(&app, &headers).await?;
    let sealed = sealed_body(&app, &headers, body).await?;
    let note = caseworker::add_note(&app.store, &cw, &id, sealed, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    Ok((StatusCode::CREATED, Json(NoteCreated { id: note })))
}

#[derive(Serialize)]
pub struct NoteItem {
    id: String,
    at: String,
    author: String,
    /// Their name; left out when the caseworker is unknown, as a listing's
    /// `taken_by_name` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    author_name: Option<String>,
    /// The age file, in standard base64.
    sealed_base64: String,
}

/// The sealed notes on a case, oldest first.
pub async fn notes(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Vec<NoteItem>>, ApiError> {
    use base64::Engine;
    let cw = authenticated(&app, &headers).await?;
    let notes = caseworker::notes(&app.store, &cw, &id, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    let names = caseworker_names(&app, !notes.is_empty()).await?;
    Ok(Json(
        notes
            .into_iter()
            .map(|n| NoteItem {
                id: n.id,
                at: n.at.rfc3339(),
                author_name: names.get(&n.author).cloned(),
                author: n.author,
                sealed_base64: base64::engine::general_purpose::STANDARD.encode(&n.sealed),
            })
            .collect(),
    ))
}

#[derive(Serialize)]
pub struct SubjectAccessReport {
    /// The reference of the privacy request.
    request: String,
    submissions: Vec<HeldItem>,
    /// Absent where the server takes no newsletter subscriptions.
    #[serde(skip_serializing_if = "Option::is_none")]
    newsletters: Option<HeldNewsletters>,
}

/// The newsletter subscriptions of the address KRR had for a privacy request's sender.
#[derive(Serialize)]
pub struct HeldNewsletters {
    /// The address looked for; null when none is kept with the request.
    address: Option<String>,
    subscriptions: Vec<SubscriptionItem>,
}

/// A newsletter subscription, as an access report shows it and an erasure ends it.
#[derive(Serialize)]
pub struct SubscriptionItem {
    id: String,
    form: String,
    topics: Vec<TopicItem>,
    created: String,
    /// Absent while the sign-up awaits confirmation.
    #[serde(skip_serializing_if = "Option::is_none")]
    confirmed: Option<String>,
    retain_until: String,
}

#[derive(Serialize)]
pub struct TopicItem {
    value: String,
    /// In bokmål, as the form shows it.
    label: String,
}

impl From<crate::newsletter::Subscribed> for SubscriptionItem {
    fn from(s: crate::newsletter::Subscribed) -> Self {
        SubscriptionItem {
            id: s.id,
            form: s.form_id,
            topics: s
                .topics
                .into_iter()
                .map(|(value, label)| TopicItem { value, label })
                .collect(),
            created: s.created.rfc3339(),
            confirmed: s.confirmed.map(Timestamp::rfc3339),
            retain_until: s.ends.rfc3339(),
        }
    }
}

/// A submission as its sender's access request reports it.
#[derive(Serialize)]
pub struct HeldItem {
    #[serde(flatten)]
    item: ListItem,
    queue: String,
    retain_until: String,
    /// The law that requires keeping it until `retain_until`, if its form names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    kept_by: Option<String>,
    reply_address: bool,
    handover_consent: bool,
    notes: i64,
    events: Vec<HeldEvent>,
}

#[derive(Serialize)]
pub struct HeldEvent {
    at: String,
    action: &'static str,
    actor: String,
    /// The caseworker's name, where the actor is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    actor_name: Option<String>,
}

/// What the server holds about the citizen who sent privacy request `id`, in every
/// queue: metadata and history, never answers.
pub async fn subject_access(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<SubjectAccessReport>, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    let catalog = app.catalog();
    let now = app.clock.now();
    let newsletters = app.newsletters.as_deref();
    let report = caseworker::subject_access(&app.store, &catalog, newsletters, &cw, &id, now)
        .await
        .map_err(caseworker_error)?;
    let names = caseworker_names(&app, true).await?;
    let mut events: BTreeMap<String, Vec<HeldEvent>> = BTreeMap::new();
    for entry in report.events {
        let Some(submission) = entry.submission_id else {
            continue;
        };
        events.entry(submission).or_default().push(HeldEvent {
            at: entry.at.rfc3339(),
            action: entry.action,
            actor_name: crate::store::actors::name_of(&entry.actor, &names).map(String::from),
            actor: entry.actor,
        });
    }
    let submissions = report
        .held
        .into_iter()
        .map(|held| {
            let meta = held.meta;
            HeldItem {
                kept_by: crate::privacy::kept_by_law(&catalog, &meta, now).map(|k| k.law),
                queue: meta.queue.clone(),
                retain_until: meta.retain_until.rfc3339(),
                reply_address: held.reply_address,
                handover_consent: held.handover_consent,
                notes: held.notes,
                events: events.remove(&meta.id).unwrap_or_default(),
                item: ListItem::new(meta, &names),
            }
        })
        .collect();
    tracing::info!(submission = %report.request.id, caseworker = %cw.id, "subject access report given");
    let newsletters = report.subscriptions.map(|held| HeldNewsletters {
        address: held.address.map(|address| address.to_string()),
        subscriptions: held.subscriptions.into_iter().map(Into::into).collect(),
    });
    Ok(Json(SubjectAccessReport {
        request: report.request.reference,
        submissions,
        newsletters,
    }))
}

#[derive(Serialize)]
pub struct SubjectErasureReport {
    /// The reference of the privacy request, which is kept.
    request: String,
    submissions: Vec<ErasedItem>,
    /// The newsletter subscriptions ended.
    subscriptions: Vec<SubscriptionItem>,
}

/// What became of one of the sender's submissions.
#[derive(Serialize)]
pub struct ErasedItem {
    reference: String,
    form: String,
    queue: String,
    /// `erased`, `kept_by_law` or `already_deleted`.
    outcome: &'static str,
    /// The law that keeps it, and until when (`kept_by_law` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    kept_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kept_until: Option<String>,
}

/// Erases, on privacy request `id`, its sender's submissions in every queue (or those
/// named in `?only=`, comma-separated ids or references) that no law keeps.
pub async fn subject_erasure(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<SubjectErasureReport>, ApiError> {
    use crate::caseworker::Erasure;
    let cw = authenticated(&app, &headers).await?;
    let only: Vec<String> = match query_param(&uri, "only") {
        None => Vec::new(),
        Some(list) => {
            let names: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(String::from)
                .collect();
            // An empty list must not read as "all".
            if names.is_empty() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "No submission named",
                    "?only= names no submission; nothing was erased. Name references or \
                     ids separated by commas, or leave out only= to erase all.",
                ));
            }
            names
        }
    };
    let caseworker::SubjectErasure {
        request,
        submissions: outcomes,
        subscriptions,
    } = caseworker::subject_erasure(
        &app.store,
        &app.catalog(),
        app.newsletters.as_deref(),
        &cw,
        &id,
        &only,
        app.clock.now(),
    )
    .await
    .map_err(caseworker_error)?;
    let erased = outcomes
        .iter()
        .filter(|(_, outcome)| *outcome == Erasure::Erased)
        .count();
    tracing::info!(submission = %request.id, caseworker = %cw.id, erased, "erasure on request carried out");
    let submissions = outcomes
        .into_iter()
        .map(|(meta, outcome)| {
            let (outcome, kept_by, kept_until) = match outcome {
                Erasure::Erased => ("erased", None, None),
                Erasure::Gone => ("already_deleted", None, None),
                Erasure::KeptByLaw(kept) => {
                    ("kept_by_law", Some(kept.law), Some(kept.until.rfc3339()))
                }
            };
            ErasedItem {
                reference: meta.reference,
                form: meta.form_id,
                queue: meta.queue,
                outcome,
                kept_by,
                kept_until,
            }
        })
        .collect();
    Ok(Json(SubjectErasureReport {
        request: request.reference,
        submissions,
        subscriptions: subscriptions.into_iter().map(Into::into).collect(),
    }))
}

/// Records the citizen's consent to a handover.
pub async fn record_consent(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    caseworker::record_consent(&app.store, &cw, &id, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records a handover to another public body, if the citizen consented.
pub async fn hand_over(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    caseworker::hand_over(&app.store, &cw, &id, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Erases a submission on the citizen's request, unless the law its form names still
/// requires keeping it.
pub async fn erase(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    caseworker::erase(&app.store, &app.catalog(), &cw, &id, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A sealed submission as a request body.
async fn sealed_body(app: &AppState, headers: &HeaderMap, body: Body) -> Result<Vec<u8>, ApiError> {
    let limit = app.max_upload_bytes.max(app.max_body_bytes) + 64 * 1024;
    read_body(headers, body, "application/octet-stream", limit)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "Bad body",
                "Send the age file as application/octet-stream, within the upload limit.",
            )
        })
}

/// Replaces a submission's ciphertext with one re-sealed by a caseworker of its queue.
pub async fn replace_sealed(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    let bytes = sealed_body(&app, &headers, body).await?;
    caseworker::replace_sealed(&app.store, &cw, &id, bytes, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    tracing::info!(submission = %id, caseworker = %cw.id, "submission re-sealed");
    Ok(StatusCode::NO_CONTENT)
}

pub async fn sealed(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    let (meta, sealed) = caseworker::fetch_sealed(&app.store, &cw, &id, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    tracing::info!(submission = %meta.id, queue = %meta.queue, caseworker = %cw.id, "sealed submission fetched");
    let mut response = sealed.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(value) = HeaderValue::from_str(&meta.reference) {
        headers.insert("x-forms-reference", value);
    }
    Ok(response)
}

pub async fn done(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    caseworker::mark_done(&app.store, &cw, &id, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    tracing::info!(submission = %id, caseworker = %cw.id, "submission marked done");
    Ok(StatusCode::NO_CONTENT)
}

/// A newsletter as a caseworker sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewsletterRequest {
    subject: String,
    body: String,
    /// One of the form's topics; without it, every subscriber gets it.
    #[serde(default)]
    topic: Option<String>,
    /// Mail it once to this address instead, as a test, and store nothing.
    #[serde(default)]
    test_to: Option<String>,
}

/// A newsletter and how far its delivery has come.
#[derive(Serialize)]
pub struct NewsletterStatus {
    id: String,
    form: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<String>,
    subject: String,
    created: String,
    /// Subscribers it was meant for when it was sent.
    recipients: i64,
    sent: i64,
    failed: i64,
    /// Subscriptions it ended: their address refused the third newsletter in a row.
    ended: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished: Option<String>,
}

impl From<crate::store::Newsletter> for NewsletterStatus {
    fn from(n: crate::store::Newsletter) -> Self {
        NewsletterStatus {
            id: n.id,
            form: n.form_id,
            topic: n.topic,
            subject: n.subject,
            created: n.created_at.rfc3339(),
            recipients: n.recipients,
            sent: n.sent,
            failed: n.failed,
            ended: n.ended,
            finished: n.finished_at.map(|t| t.rfc3339()),
        }
    }
}

fn newsletter_error(err: crate::newsletter::NewsletterError) -> ApiError {
    use crate::newsletter::NewsletterError;
    match err {
        NewsletterError::NotFound => ApiError::not_found(
            "There is no such newsletter, or no subscription form of that id routed to your queues.",
        ),
        NewsletterError::Invalid(field, why) => {
            let mut problem = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid newsletter",
                format!("{field} {why}. Nothing was sent."),
            );
            problem.errors.push(ProblemField {
                field: field.to_string(),
                code: "invalid",
                message: why,
                kinds: Vec::new(),
            });
            problem
        }
        NewsletterError::Mail => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "Not mailed",
            "The mail server did not take the test mail.",
        ),
        NewsletterError::Store(err) => ApiError::store("newsletter", &err),
        err => ApiError::internal("newsletter", &err),
    }
}

/// `POST /api/v1/forms/{form}/newsletters`: a newsletter to the form's subscribers (or
/// one topic's), by a caseworker of the form's queue; it is mailed in the background.
pub async fn send_newsletter(
    State(app): State<Arc<AppState>>,
    Path(form_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    let bytes = read_body(&headers, body, "application/json", app.max_body_bytes).await?;
    let request: NewsletterRequest = serde_json::from_slice(&bytes).map_err(|err| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Malformed JSON",
            format!(
                "The body must be UTF-8 JSON of the form {{\"subject\": …, \"body\": …, \
                 \"topic\": …}}: {err}"
            ),
        )
    })?;
    let catalog = app.catalog();
    let newsletters = newsletters_for(&app, &catalog, &cw, &form_id)?;
    let draft = crate::newsletter::Draft {
        topic: request.topic,
        subject: request.subject,
        body: request.body,
    };
    if let Some(to) = request.test_to {
        newsletters
            .test_send(&catalog, &cw, &form_id, draft, &to)
            .await
            .map_err(newsletter_error)?;
        let body = serde_json::json!({ "tested": "mailed" });
        return Ok((StatusCode::OK, Json(body)).into_response());
    }
    let letter = crate::newsletter::create(
        newsletters,
        &app.store,
        &catalog,
        &cw,
        &form_id,
        draft,
        app.clock.now(),
    )
    .await
    .map_err(newsletter_error)?;
    app.wake_delivery.notify_one();
    let location = format!("/api/v1/newsletters/{}", letter.id);
    let mut response = (StatusCode::ACCEPTED, Json(NewsletterStatus::from(letter))).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// A subscription form as its queue's caseworkers see it.
#[derive(Serialize)]
pub struct NewsletterOverview {
    subscribers: crate::newsletter::SubscriberCounts,
    newsletters: Vec<NewsletterStatus>,
}

/// `GET /api/v1/forms/{form}/newsletters`: how many subscribe to a subscription form of
/// the caller's queues, in all and by topic (counts only), and its newsletters, newest
/// first.
pub async fn newsletters(
    State(app): State<Arc<AppState>>,
    Path(form_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<NewsletterOverview>, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    let catalog = app.catalog();
    let newsletters = newsletters_for(&app, &catalog, &cw, &form_id)?;
    let (subscribers, sent) =
        crate::newsletter::overview(newsletters, &app.store, &catalog, &cw, &form_id)
            .await
            .map_err(newsletter_error)?;
    Ok(Json(NewsletterOverview {
        subscribers,
        newsletters: sent.into_iter().map(NewsletterStatus::from).collect(),
    }))
}

/// The newsletters of this server for a caseworker of `form_id`'s queue: 404 for a
/// form that is not theirs (or no subscription form), else 503 where the server cannot
/// send any.
fn newsletters_for<'a>(
    app: &'a AppState,
    catalog: &crate::schema::Catalog,
    cw: &Caseworker,
    form_id: &str,
) -> Result<&'a crate::newsletter::Newsletters, ApiError> {
    if let Some(newsletters) = app.newsletters.as_deref() {
        return Ok(newsletters);
    }
    crate::newsletter::form_of(catalog, cw, form_id).map_err(newsletter_error)?;
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "No newsletters",
        "This server sends no newsletters: it needs [vault], [mail] and [site] url.",
    ))
}

/// `GET /api/v1/newsletters/{id}`: how far a newsletter of the caller's queues has come.
pub async fn newsletter_status(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<NewsletterStatus>, ApiError> {
    let cw = authenticated(&app, &headers).await?;
    let letter = crate::newsletter::status(&app.store, &cw, &id)
        .await
        .map_err(newsletter_error)?;
    Ok(Json(letter.into()))
}
