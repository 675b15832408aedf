//! The JSON API: submitting a form, and the caseworker's queue.
//!
//! Caseworker routes authenticate with `Authorization: Bearer <token>`. A submission
//! in another queue answers 404 exactly like one that does not exist.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::citizen::{query_param, request_lang};
use super::error::{ApiError, ProblemField, read_body};
use super::pages::problem_text;
use crate::caseworker::{self, CaseworkerError};
use crate::schema::answers::{RawAnswers, RawValue};
use crate::store::{Caseworker, Status, SubmissionMeta};
use crate::submission::{self, SubmitError};

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
    body: Body,
) -> Result<Response, ApiError> {
    let form = app
        .catalog
        .form(&form_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("There is no form with this id."))?;
    let bytes = read_body(&headers, body, "application/json", app.max_body_bytes).await?;
    let request: SubmissionRequest = serde_json::from_slice(&bytes).map_err(|err| {
        // serde_json's message names a position or a key, never a value.
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Malformed JSON",
            format!("The body must be UTF-8 JSON of the form {{\"answers\": {{…}}}}: {err}"),
        )
    })?;
    let raw = RawAnswers(
        request
            .answers
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, RawValue::Text(s)),
                _ => (k, RawValue::NotText),
            })
            .collect(),
    );
    let now = app.clock.now();
    match submission::accept(&app.catalog, &app.store, &form, &raw, now).await {
        Ok(receipt) => {
            let body = SubmissionCreated {
                reference: receipt.reference,
                received: receipt.received_at.rfc3339(),
            };
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        Err(SubmitError::Invalid(errors)) => {
            let lang = request_lang(&uri, &headers);
            let mut problem = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid answers",
                "One or more answers do not fit the form. Nothing was stored.",
            );
            problem.errors = errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    code: e.problem.code(),
                    message: problem_text(lang, &form, e),
                })
                .collect();
            Err(problem)
        }
        Err(err) => Err(ApiError::internal("submission failed", &err)),
    }
}

/// Liveness: the process answers. A fixed body, no database.
pub async fn live() -> &'static str {
    "ok"
}

/// Readiness: the database answers too.
pub async fn health(State(app): State<Arc<AppState>>) -> Response {
    match app.store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(err) => ApiError::internal("health check: database unreachable", &err).into_response(),
    }
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
        other => ApiError::internal("caseworker request failed", &other),
    }
}

async fn authenticated(app: &AppState, headers: &HeaderMap) -> Result<Caseworker, ApiError> {
    let token = bearer(headers).ok_or_else(ApiError::unauthenticated)?;
    caseworker::authenticate(&app.store, token)
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
}

impl From<SubmissionMeta> for ListItem {
    fn from(meta: SubmissionMeta) -> Self {
        ListItem {
            id: meta.id,
            reference: meta.reference,
            form: meta.form_id,
            received: meta.received_at.rfc3339(),
            status: meta.status.as_str(),
        }
    }
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
        Some("new") => Some(Status::New),
        Some("done") => Some(Status::Done),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "Bad status",
                "status must be 'new' or 'done'.",
            ));
        }
    };
    let items = caseworker::list(&app.store, &cw, &queue, status, app.clock.now())
        .await
        .map_err(caseworker_error)?;
    Ok(Json(items.into_iter().map(ListItem::from).collect()))
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
