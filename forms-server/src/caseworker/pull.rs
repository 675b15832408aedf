//! `forms caseworker pull`: the caseworker's side, run on their own machine.
//!
//! Fetches the new submissions of the caseworker's queues over the HTTPS API and opens
//! them locally with the caseworker's age identity, writing for each a JSON file and a
//! plain-text rendering named by its reference number. The identity is read here and
//! never sent anywhere. Files are written with mode 0600 and atomically, and a
//! submission already written is not fetched again.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use forms_crypto::seal::Identity;
use serde::Deserialize;

use crate::submission::Payload;

/// Where and how to pull.
pub struct PullOptions {
    pub server: String,
    pub token: String,
    pub identities: Vec<Identity>,
    pub out: PathBuf,
    /// An extra trusted root certificate (PEM), such as `forms dev`'s own.
    pub ca_pem: Option<Vec<u8>>,
}

/// What a pull did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PullReport {
    /// References written in this run.
    pub written: Vec<String>,
    /// Already present in the output folder, not fetched again.
    pub skipped: usize,
}

#[derive(Deserialize)]
struct Me {
    queues: Vec<String>,
}

#[derive(Deserialize)]
struct ListItem {
    id: String,
    reference: String,
}

/// The queue of one of the caseworker's submissions, found through their listings.
async fn queue_of(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
) -> Result<String, PullError> {
    let me: Me = get_json(client, &format!("{base}/api/v1/caseworker/me"), token).await?;
    for queue in me.queues {
        let items: Vec<ListItem> = get_json(
            client,
            &format!("{base}/api/v1/queues/{queue}/submissions"),
            token,
        )
        .await?;
        if items.iter().any(|i| i.id == id) {
            return Ok(queue);
        }
    }
    Err(PullError::Server {
        status: 404,
        detail: format!("no submission {id} in your queues"),
    })
}

/// Adds an internal note to a case: sealed here to the queue's recipients.
pub async fn add_note(
    server: &str,
    token: &str,
    id: &str,
    text: &str,
    ca_pem: Option<&[u8]>,
) -> Result<(), PullError> {
    let client = client(ca_pem)?;
    let base = server.trim_end_matches('/');
    let queue = queue_of(&client, base, token, id).await?;
    let recipients = recipients_of(&client, base, &queue, token).await?;
    let sealed =
        forms_crypto::seal::seal(text.as_bytes(), &recipients).map_err(|e| PullError::Open {
            reference: id.to_string(),
            reason: e.to_string(),
        })?;
    let response = client
        .post(format!("{base}/api/v1/submissions/{id}/notes"))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .body(sealed)
        .send()
        .await
        .map_err(|e| PullError::Http(e.to_string()))?;
    check(response).await?;
    Ok(())
}

#[derive(Deserialize)]
struct NoteItem {
    at: String,
    author: String,
    sealed_base64: String,
}

/// The notes on a case, opened here: (time, author id, text), oldest first.
pub async fn notes(
    server: &str,
    token: &str,
    identities: &[Identity],
    id: &str,
    ca_pem: Option<&[u8]>,
) -> Result<Vec<(String, String, String)>, PullError> {
    use base64::Engine;
    let client = client(ca_pem)?;
    let base = server.trim_end_matches('/');
    let items: Vec<NoteItem> = get_json(
        &client,
        &format!("{base}/api/v1/submissions/{id}/notes"),
        token,
    )
    .await?;
    let mut out = Vec::new();
    for item in items {
        let open_error = |reason: String| PullError::Open {
            reference: id.to_string(),
            reason,
        };
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(&item.sealed_base64)
            .map_err(|e| open_error(e.to_string()))?;
        let text =
            forms_crypto::seal::open(&sealed, identities).map_err(|e| open_error(e.to_string()))?;
        let text = String::from_utf8(text.to_vec()).map_err(|e| open_error(e.to_string()))?;
        out.push((item.at, item.author, text));
    }
    Ok(out)
}

#[derive(Debug)]
pub enum PullError {
    Http(String),
    Server { status: u16, detail: String },
    Open { reference: String, reason: String },
    Write { path: PathBuf, reason: String },
}

impl fmt::Display for PullError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PullError::Http(reason) => write!(f, "cannot reach the server: {reason}"),
            PullError::Server { status, detail } => {
                write!(f, "the server answered {status}: {detail}")
            }
            PullError::Open { reference, reason } => {
                write!(f, "cannot open submission {reference}: {reason}")
            }
            PullError::Write { path, reason } => {
                write!(f, "cannot write {}: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for PullError {}

/// An HTTPS client for the caseworker API: TLS only, no redirects, timeouts.
pub fn client(ca_pem: Option<&[u8]>) -> Result<reqwest::Client, PullError> {
    let mut builder = reqwest::Client::builder()
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60));
    if let Some(pem) = ca_pem {
        let cert = reqwest::Certificate::from_pem(pem)
            .map_err(|e| PullError::Http(format!("the CA file is not a PEM certificate: {e}")))?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build().map_err(|e| PullError::Http(e.to_string()))
}

async fn get(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> Result<reqwest::Response, PullError> {
    let response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| PullError::Http(e.to_string()))?;
    check(response).await
}

async fn get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> Result<T, PullError> {
    get(client, url, token)
        .await?
        .json()
        .await
        .map_err(|e| PullError::Http(e.to_string()))
}

/// Turns an error status into [`PullError::Server`] with the problem's detail.
pub async fn check(response: reqwest::Response) -> Result<reqwest::Response, PullError> {
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status().as_u16();
    let detail = response
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(String::from))
        .unwrap_or_default();
    Err(PullError::Server { status, detail })
}

pub async fn pull(options: &PullOptions) -> Result<PullReport, PullError> {
    let client = client(options.ca_pem.as_deref())?;
    let base = options.server.trim_end_matches('/');
    std::fs::create_dir_all(&options.out).map_err(|e| PullError::Write {
        path: options.out.clone(),
        reason: e.to_string(),
    })?;
    let me: Me = get_json(
        &client,
        &format!("{base}/api/v1/caseworker/me"),
        &options.token,
    )
    .await?;
    let mut report = PullReport::default();
    for queue in &me.queues {
        let items: Vec<ListItem> = get_json(
            &client,
            &format!("{base}/api/v1/queues/{queue}/submissions?status=new"),
            &options.token,
        )
        .await?;
        for item in items {
            if !is_safe_name(&item.reference) {
                return Err(PullError::Open {
                    reference: item.reference.chars().take(20).collect(),
                    reason: "the reference is not a safe file name".into(),
                });
            }
            let json_path = options.out.join(format!("{}.json", item.reference));
            if json_path.exists() {
                report.skipped += 1;
                continue;
            }
            let sealed = get(
                &client,
                &format!("{base}/api/v1/submissions/{}/sealed", item.id),
                &options.token,
            )
            .await?
            .bytes()
            .await
            .map_err(|e| PullError::Http(e.to_string()))?;
            let payload =
                open_payload(&sealed, &options.identities).map_err(|reason| PullError::Open {
                    reference: item.reference.clone(),
                    reason,
                })?;
            let json = serde_json::to_vec_pretty(&payload).map_err(|e| PullError::Open {
                reference: item.reference.clone(),
                reason: e.to_string(),
            })?;
            write_private(
                &options.out.join(format!("{}.txt", item.reference)),
                payload.to_text().as_bytes(),
            )?;
            // The JSON file last: its presence means the submission is complete here.
            write_private(&json_path, &json)?;
            report.written.push(item.reference);
        }
    }
    Ok(report)
}

/// Opens a sealed payload with the caseworker's identities and parses it.
pub fn open_payload(sealed: &[u8], identities: &[Identity]) -> Result<Payload, String> {
    let plaintext = forms_crypto::seal::open(sealed, identities).map_err(|e| e.to_string())?;
    serde_json::from_slice(&plaintext).map_err(|e| format!("not a submission payload: {e}"))
}

fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Writes one of the caseworker's files (see [`crate::files::write_private`]).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), PullError> {
    crate::files::write_private(path, bytes).map_err(|e| PullError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

#[derive(Deserialize)]
struct QueueRecipients {
    recipients: Vec<String>,
}

/// The age recipients a queue's submissions are sealed to now.
async fn recipients_of(
    client: &reqwest::Client,
    base: &str,
    queue: &str,
    token: &str,
) -> Result<Vec<forms_crypto::seal::Recipient>, PullError> {
    let current: QueueRecipients = get_json(
        client,
        &format!("{base}/api/v1/queues/{queue}/recipients"),
        token,
    )
    .await?;
    let recipients = current
        .recipients
        .iter()
        .map(|r| r.parse::<forms_crypto::seal::Recipient>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PullError::Http(format!("the server sent a bad recipient: {e}")))?;
    if recipients.is_empty() {
        return Err(PullError::Http(format!("queue {queue} has no recipients")));
    }
    Ok(recipients)
}

/// Forwards submission `id` to `to_queue`: opened here, its payload's queue changed,
/// sealed to that queue's recipients and sent; it then leaves the caseworker's queue.
/// Returns the submission's reference.
pub async fn forward(
    server: &str,
    token: &str,
    identities: &[Identity],
    id: &str,
    to_queue: &str,
    ca_pem: Option<&[u8]>,
) -> Result<String, PullError> {
    let client = client(ca_pem)?;
    let base = server.trim_end_matches('/');
    let recipients = recipients_of(&client, base, to_queue, token).await?;
    let response = get(
        &client,
        &format!("{base}/api/v1/submissions/{id}/sealed"),
        token,
    )
    .await?;
    let reference = response
        .headers()
        .get("x-forms-reference")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(id)
        .to_string();
    let sealed = response
        .bytes()
        .await
        .map_err(|e| PullError::Http(e.to_string()))?;
    let open_error = |reason: String| PullError::Open {
        reference: reference.clone(),
        reason,
    };
    let plaintext =
        forms_crypto::seal::open(&sealed, identities).map_err(|e| open_error(e.to_string()))?;
    let mut payload: serde_json::Value =
        serde_json::from_slice(&plaintext).map_err(|e| open_error(e.to_string()))?;
    payload["queue"] = serde_json::Value::String(to_queue.to_string());
    let plaintext = zeroize::Zeroizing::new(
        serde_json::to_vec(&payload).map_err(|e| open_error(e.to_string()))?,
    );
    let resealed =
        forms_crypto::seal::seal(&plaintext, &recipients).map_err(|e| open_error(e.to_string()))?;
    let response = client
        .post(format!(
            "{base}/api/v1/submissions/{id}/forward?to={}",
            crate::auth::url_encode(to_queue)
        ))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .body(resealed)
        .send()
        .await
        .map_err(|e| PullError::Http(e.to_string()))?;
    check(response).await?;
    Ok(reference)
}

/// Re-seals every stored submission of `queue` to the queue's current recipients: each
/// is fetched, opened here with the caseworker's identities, sealed again and sent
/// back. The plaintext never leaves this machine. Returns the number re-sealed.
pub async fn reseal(
    server: &str,
    token: &str,
    identities: &[Identity],
    queue: &str,
    ca_pem: Option<&[u8]>,
) -> Result<usize, PullError> {
    let client = client(ca_pem)?;
    let base = server.trim_end_matches('/');
    let recipients = recipients_of(&client, base, queue, token).await?;
    let items: Vec<ListItem> = get_json(
        &client,
        &format!("{base}/api/v1/queues/{queue}/submissions"),
        token,
    )
    .await?;
    let mut count = 0;
    for item in items {
        let url = format!("{base}/api/v1/submissions/{}/sealed", item.id);
        let sealed = get(&client, &url, token)
            .await?
            .bytes()
            .await
            .map_err(|e| PullError::Http(e.to_string()))?;
        let plaintext =
            forms_crypto::seal::open(&sealed, identities).map_err(|e| PullError::Open {
                reference: item.reference.clone(),
                reason: e.to_string(),
            })?;
        let resealed =
            forms_crypto::seal::seal(&plaintext, &recipients).map_err(|e| PullError::Open {
                reference: item.reference.clone(),
                reason: e.to_string(),
            })?;
        let response = client
            .put(&url)
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(resealed)
            .send()
            .await
            .map_err(|e| PullError::Http(e.to_string()))?;
        check(response).await?;
        count += 1;
    }
    Ok(count)
}

/// Sends `text` by e-mail to the citizen of the submission with this reference, through
/// the server (which deletes the citizen's address afterwards).
pub async fn reply(
    server: &str,
    token: &str,
    reference: &str,
    text: &str,
    ca_pem: Option<&[u8]>,
) -> Result<(), PullError> {
    let client = client(ca_pem)?;
    let base = server.trim_end_matches('/');
    let me: Me = get_json(&client, &format!("{base}/api/v1/caseworker/me"), token).await?;
    let mut found = None;
    for queue in &me.queues {
        let items: Vec<ListItem> = get_json(
            &client,
            &format!("{base}/api/v1/queues/{queue}/submissions"),
            token,
        )
        .await?;
        if let Some(item) = items.into_iter().find(|i| i.reference == reference) {
            found = Some(item.id);
            break;
        }
    }
    let id = found.ok_or_else(|| PullError::Server {
        status: 404,
        detail: format!("no submission {reference} in your queues"),
    })?;
    let response = client
        .post(format!("{base}/api/v1/submissions/{id}/reply"))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(text.to_string())
        .send()
        .await
        .map_err(|e| PullError::Http(e.to_string()))?;
    check(response).await?;
    Ok(())
}
