//! `forms caseworker pull`: the caseworker's side, run on their own machine.
//!
//! Fetches the new submissions of the caseworker's queues over the HTTPS API and opens
//! them locally with the caseworker's age identity, writing for each a JSON file and a
//! plain-text rendering named by its reference number, and its attached files, as they
//! were sent, in a folder beside them (`REFERENCE-vedlegg/`). The identity is read here
//! and never sent anywhere. Files are written with mode 0600 and atomically, and a
//! submission already written is not fetched again. The files of a submission the
//! server has deleted since (its retention ended, or it was erased at the citizen's
//! request) are deleted here too, so that no copy outlives the original; and so are
//! those of a case forwarded to a queue the caseworker is not in, which is no longer
//! theirs to hold. The folder keeps how far each queue's deletions have been read
//! ([`PullState`]), so that a pull asks only for what left since the last one.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use forms_crypto::seal::Identity;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

use crate::schema::answers::{Attachment, Value};
use crate::submission::Payload;

/// The caseworker API as one caseworker sees it: the server, their token and an HTTPS
/// client (TLS only, no redirects, timeouts). Every command of `forms caseworker` goes
/// through it.
pub struct Api {
    client: reqwest::Client,
    base: String,
    token: zeroize::Zeroizing<String>,
}

/// A newsletter as the server reports it (`GET /api/v1/newsletters/{id}`).
#[derive(Debug, Deserialize)]
pub struct NewsletterStatus {
    pub id: String,
    #[serde(default)]
    pub topic: Option<String>,
    pub subject: String,
    pub created: String,
    /// Subscribers it was meant for when it was sent.
    pub recipients: i64,
    pub sent: i64,
    pub failed: i64,
    /// Subscriptions it ended: their address refused the third newsletter in a row.
    #[serde(default)]
    pub ended: i64,
    pub finished: Option<String>,
}

/// A subscription form as its queue's caseworkers see it
/// (`GET /api/v1/forms/{form}/newsletters`).
#[derive(Debug, Deserialize)]
struct NewsletterOverview {
    subscribers: SubscriberCounts,
    newsletters: Vec<NewsletterStatus>,
}

#[derive(Debug, Deserialize)]
struct SubscriberCounts {
    total: i64,
    by_topic: std::collections::BTreeMap<String, i64>,
}

/// The overview as text: subscribers in all and by topic, then each newsletter, newest
/// first, with its time, topic, how many it was mailed to and its subject.
fn render_newsletters(form: &str, overview: &NewsletterOverview) -> String {
    let counts = &overview.subscribers;
    let mut out = format!("{form}: {} subscriber(s)", counts.total);
    if !counts.by_topic.is_empty() {
        let topics: Vec<String> = counts
            .by_topic
            .iter()
            .map(|(topic, n)| format!("{topic} {n}"))
            .collect();
        out.push_str(&format!("; by topic: {}", topics.join(", ")));
    }
    out.push('\n');
    for letter in &overview.newsletters {
        let sent = crate::clock::Timestamp::show_rfc3339_nb(&letter.created);
        let topic = letter.topic.as_deref().unwrap_or("all");
        let state = match (&letter.finished, letter.failed) {
            (None, _) => " (mailing)".to_string(),
            (Some(_), 0) => String::new(),
            (Some(_), failed) => format!(" ({failed} not taken by the mail server)"),
        };
        let state = match letter.ended {
            0 => state,
            ended => format!("{state} ({ended} subscription(s) ended)"),
        };
        out.push_str(&format!(
            "  {sent}  {topic:8}  {}/{}{state}  {}\n",
            letter.sent, letter.recipients, letter.subject
        ));
    }
    if overview.newsletters.is_empty() {
        out.push_str("  no newsletter sent yet\n");
    }
    out
}

/// A request body: its content type and bytes.
type Body = (&'static str, Vec<u8>);

impl Api {
    /// `server` is the base URL; `ca_pem` an extra root certificate to trust (such as
    /// `forms dev`'s own).
    pub fn new(server: &str, token: &str, ca_pem: Option<&[u8]>) -> Result<Api, PullError> {
        let mut builder = reqwest::Client::builder()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60));
        if let Some(pem) = ca_pem {
            let cert = reqwest::Certificate::from_pem(pem).map_err(|e| {
                PullError::Http(format!("the CA file is not a PEM certificate: {e}"))
            })?;
            builder = builder.add_root_certificate(cert);
        }
        Ok(Api {
            client: builder
                .build()
                .map_err(|e| PullError::Http(e.to_string()))?,
            base: server.trim_end_matches('/').to_string(),
            token: zeroize::Zeroizing::new(token.trim().to_string()),
        })
    }

    /// Sends `method` to `path` (under `/api/v1/`) with the token; an error status
    /// becomes [`PullError::Server`].
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Body>,
    ) -> Result<reqwest::Response, PullError> {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1/{path}", self.base))
            .bearer_auth(self.token.as_str());
        if let Some((content_type, bytes)) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes);
        }
        let response = request
            .send()
            .await
            .map_err(|e| PullError::Http(e.to_string()))?;
        check(response).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, PullError> {
        self.send(reqwest::Method::GET, path, None)
            .await?
            .json()
            .await
            .map_err(|e| PullError::Http(e.to_string()))
    }

    async fn get_bytes(&self, path: &str) -> Result<Vec<u8>, PullError> {
        let bytes = self
            .send(reqwest::Method::GET, path, None)
            .await?
            .bytes()
            .await
            .map_err(|e| PullError::Http(e.to_string()))?;
        Ok(bytes.to_vec())
    }

    /// `POST submissions/{id}/{action}` without a body (done, take, consent, handover)
    /// on the submission with this id or reference. Returns its reference.
    pub async fn post_action(&self, wanted: &str, action: &str) -> Result<String, PullError> {
        let (_, item) = self.find(wanted).await?;
        self.send(
            reqwest::Method::POST,
            &format!("submissions/{}/{action}", item.id),
            None,
        )
        .await?;
        Ok(item.reference)
    }

    async fn queues(&self) -> Result<Vec<String>, PullError> {
        Ok(self.get_json::<Me>("caseworker/me").await?.queues)
    }

    /// A queue's submissions, all or those with one status (`new`, `in_progress`,
    /// `done`).
    async fn list(&self, queue: &str, status: Option<&str>) -> Result<Vec<ListItem>, PullError> {
        let filter = status.map(|s| format!("?status={s}")).unwrap_or_default();
        self.get_json(&format!("queues/{queue}/submissions{filter}"))
            .await
    }

    /// Every queue of the caseworker with its submissions (metadata only), as text
    /// to read: reference, form, time received in Norwegian time, and status.
    pub async fn overview(&self, status: Option<&str>) -> Result<String, PullError> {
        let me: Me = self.get_json("caseworker/me").await?;
        let mut queues = Vec::new();
        for queue in &me.queues {
            queues.push((queue.as_str(), self.list(queue, status).await?));
        }
        Ok(render_overview(&me.id, &queues))
    }

    /// The queue and id of one of the caseworker's submissions, found by id or reference
    /// through their listings: every case command takes either.
    async fn find(&self, wanted: &str) -> Result<(String, ListItem), PullError> {
        for queue in self.queues().await? {
            let items = self.list(&queue, None).await?;
            if let Some(item) = items
                .into_iter()
                .find(|i| i.id == wanted || i.reference == wanted)
            {
                return Ok((queue, item));
            }
        }
        Err(PullError::Server {
            status: 404,
            detail: format!("no submission {wanted} in your queues"),
        })
    }

    /// The age recipients a queue's submissions are sealed to now.
    async fn recipients_of(
        &self,
        queue: &str,
    ) -> Result<Vec<forms_crypto::seal::Recipient>, PullError> {
        let current: QueueRecipients = self.get_json(&format!("queues/{queue}/recipients")).await?;
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

    /// Fetches the new submissions of the caseworker's queues and writes each, opened
    /// with `identities`, into `out` (see the module's comment).
    pub async fn pull(&self, identities: &[Identity], out: &Path) -> Result<PullReport, PullError> {
        std::fs::create_dir_all(out).map_err(|e| PullError::Write {
            path: out.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut report = PullReport::default();
        let mut state = PullState::read(out);
        for queue in self.queues().await? {
            for item in self.list(&queue, Some("new")).await? {
                if !is_safe_name(&item.reference) {
                    return Err(PullError::Open {
                        reference: item.reference.chars().take(20).collect(),
                        reason: "the reference is not a safe file name".into(),
                    });
                }
                let json_path = copy_path(out, &item.reference, "json");
                if json_path.exists() {
                    report.skipped += 1;
                    continue;
                }
                let sealed = self
                    .get_bytes(&format!("submissions/{}/sealed", item.id))
                    .await?;
                let open_error = |reason: String| PullError::Open {
                    reference: item.reference.clone(),
                    reason,
                };
                let payload = open_payload(&sealed, identities).map_err(open_error)?;
                let json =
                    serde_json::to_vec_pretty(&payload).map_err(|e| open_error(e.to_string()))?;
                report.attachments += write_attachments(out, &item.reference, &payload)?;
                write_private(
                    &copy_path(out, &item.reference, "txt"),
                    payload.to_text().as_bytes(),
                )?;
                // The JSON file last: its presence means the submission is complete here.
                write_private(&json_path, &json)?;
                report.written.push(item.reference);
            }
            let since = state.deletions_since(&queue);
            let path = match since {
                Some(since) => format!("queues/{queue}/deleted?since={}", since.rfc3339()),
                None => format!("queues/{queue}/deleted"),
            };
            let deleted: Vec<DeletedItem> = self.get_json(&path).await?;
            let newest = deleted
                .iter()
                .filter_map(|item| Timestamp::parse_rfc3339(&item.deleted))
                .max();
            for item in deleted {
                if is_safe_name(&item.reference) && remove_copies(out, &item.reference)? {
                    if item.reason == "forwarded" {
                        report.forwarded.push(item.reference);
                    } else {
                        report.removed.push(item.reference);
                    }
                }
            }
            if state.read_deletions(&queue, newest) {
                state.write(out)?;
            }
        }
        Ok(report)
    }

    /// Adds an internal note to a case: sealed here to the queue's recipients.
    pub async fn add_note(&self, id: &str, text: &str) -> Result<(), PullError> {
        let (queue, item) = self.find(id).await?;
        let recipients = self.recipients_of(&queue).await?;
        let sealed = forms_crypto::seal::seal(text.as_bytes(), &recipients).map_err(|e| {
            PullError::Open {
                reference: item.reference.clone(),
                reason: e.to_string(),
            }
        })?;
        self.send(
            reqwest::Method::POST,
            &format!("submissions/{}/notes", item.id),
            Some(("application/octet-stream", sealed)),
        )
        .await?;
        Ok(())
    }

    /// The notes on a case, opened here: (time, author's name or else id, text), oldest
    /// first.
    pub async fn notes(
        &self,
        identities: &[Identity],
        wanted: &str,
    ) -> Result<Vec<(String, String, String)>, PullError> {
        use base64::Engine;
        let (_, case) = self.find(wanted).await?;
        let items: Vec<NoteItem> = self
            .get_json(&format!("submissions/{}/notes", case.id))
            .await?;
        let open_error = |reason: String| PullError::Open {
            reference: case.reference.clone(),
            reason,
        };
        let mut out = Vec::new();
        for item in items {
            let sealed = base64::engine::general_purpose::STANDARD
                .decode(&item.sealed_base64)
                .map_err(|e| open_error(e.to_string()))?;
            let text = forms_crypto::seal::open(&sealed, identities)
                .map_err(|e| open_error(e.to_string()))?;
            let text = String::from_utf8(text.to_vec()).map_err(|e| open_error(e.to_string()))?;
            let author = item.author_name.unwrap_or(item.author);
            out.push((item.at, author, text));
        }
        Ok(out)
    }

    /// Forwards the submission with id or reference `wanted` to `to_queue`: opened here,
    /// its payload's queue changed, sealed to that queue's recipients and sent; it then
    /// leaves the caseworker's queue. Returns the submission's reference.
    pub async fn forward(
        &self,
        identities: &[Identity],
        wanted: &str,
        to_queue: &str,
    ) -> Result<String, PullError> {
        let (_, ListItem { id, reference, .. }) = self.find(wanted).await?;
        let recipients = self.recipients_of(to_queue).await?;
        let sealed = self.get_bytes(&format!("submissions/{id}/sealed")).await?;
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
        let resealed = forms_crypto::seal::seal(&plaintext, &recipients)
            .map_err(|e| open_error(e.to_string()))?;
        self.send(
            reqwest::Method::POST,
            &format!(
                "submissions/{id}/forward?to={}",
                crate::auth::url_encode(to_queue)
            ),
            Some(("application/octet-stream", resealed)),
        )
        .await?;
        Ok(reference)
    }

    /// Re-seals every stored submission of `queue` to the queue's current recipients:
    /// each is fetched, opened here with the caseworker's identities, sealed again and
    /// sent back. The plaintext never leaves this machine. Returns the number re-sealed.
    pub async fn reseal(&self, identities: &[Identity], queue: &str) -> Result<usize, PullError> {
        let recipients = self.recipients_of(queue).await?;
        let mut count = 0;
        for item in self.list(queue, None).await? {
            let path = format!("submissions/{}/sealed", item.id);
            let sealed = self.get_bytes(&path).await?;
            let open_error = |reason: String| PullError::Open {
                reference: item.reference.clone(),
                reason,
            };
            let plaintext = forms_crypto::seal::open(&sealed, identities)
                .map_err(|e| open_error(e.to_string()))?;
            let resealed = forms_crypto::seal::seal(&plaintext, &recipients)
                .map_err(|e| open_error(e.to_string()))?;
            self.send(
                reqwest::Method::PUT,
                &path,
                Some(("application/octet-stream", resealed)),
            )
            .await?;
            count += 1;
        }
        Ok(count)
    }

    /// Erases one of the caseworker's submissions, found by id or reference; returns its
    /// reference.
    pub async fn erase(&self, wanted: &str) -> Result<String, PullError> {
        let (_, item) = self.find(wanted).await?;
        self.send(
            reqwest::Method::DELETE,
            &format!("submissions/{}", item.id),
            None,
        )
        .await?;
        Ok(item.reference)
    }

    /// What the server holds about the sender of the privacy request with this id or
    /// reference, in every queue, as text for the caseworker who answers it.
    pub async fn subject_access(&self, wanted: &str) -> Result<String, PullError> {
        let (_, item) = self.find(wanted).await?;
        let report: SubjectAccess = self
            .get_json(&format!("submissions/{}/subject-access", item.id))
            .await?;
        Ok(render_subject_access(&report))
    }

    /// Erases, on the privacy request with this id or reference, its sender's
    /// submissions in every queue, or those of them named by reference in `only`;
    /// returns what became of each, as text for the caseworker who answers.
    pub async fn subject_erasure(
        &self,
        wanted: &str,
        only: &[String],
    ) -> Result<String, PullError> {
        let (_, item) = self.find(wanted).await?;
        let filter = if only.is_empty() {
            String::new()
        } else {
            format!("?only={}", crate::auth::url_encode(&only.join(",")))
        };
        let report: SubjectErasure = self
            .send(
                reqwest::Method::POST,
                &format!("submissions/{}/subject-erasure{filter}", item.id),
                None,
            )
            .await?
            .json()
            .await
            .map_err(|e| PullError::Http(e.to_string()))?;
        Ok(render_subject_erasure(&report))
    }

    /// Sends a newsletter to the subscribers of `form` (of `topic` only, if given), and
    /// waits while the server mails it, telling `progress` of each step; returns the
    /// newsletter when it is mailed to every subscriber.
    pub async fn newsletter(
        &self,
        form: &str,
        topic: Option<&str>,
        subject: &str,
        body: &str,
        progress: impl Fn(&NewsletterStatus),
    ) -> Result<NewsletterStatus, PullError> {
        let mut status: NewsletterStatus = self
            .post_newsletter(form, topic, subject, body, None)
            .await?
            .json()
            .await
            .map_err(|e| PullError::Http(e.to_string()))?;
        progress(&status);
        let mut seen = (status.sent, status.failed);
        while status.finished.is_none() {
            tokio::time::sleep(Duration::from_millis(500)).await;
            status = self.get_json(&format!("newsletters/{}", status.id)).await?;
            if (status.sent, status.failed) != seen {
                seen = (status.sent, status.failed);
                progress(&status);
            }
        }
        Ok(status)
    }

    /// Mails a newsletter once to `to`, as a test: nothing goes to subscribers and
    /// nothing is stored.
    pub async fn newsletter_test(
        &self,
        form: &str,
        topic: Option<&str>,
        subject: &str,
        body: &str,
        to: &str,
    ) -> Result<(), PullError> {
        self.post_newsletter(form, topic, subject, body, Some(to))
            .await?;
        Ok(())
    }

    /// `POST forms/{form}/newsletters`: a newsletter, or with `test_to` its test.
    async fn post_newsletter(
        &self,
        form: &str,
        topic: Option<&str>,
        subject: &str,
        body: &str,
        test_to: Option<&str>,
    ) -> Result<reqwest::Response, PullError> {
        let request = serde_json::json!({
            "subject": subject, "body": body, "topic": topic, "test_to": test_to,
        });
        self.send(
            reqwest::Method::POST,
            &format!("forms/{form}/newsletters"),
            Some(("application/json", request.to_string().into_bytes())),
        )
        .await
    }

    /// How many subscribe to `form` (in all and by topic) and the newsletters sent, as
    /// text.
    pub async fn newsletters(&self, form: &str) -> Result<String, PullError> {
        let overview: NewsletterOverview =
            self.get_json(&format!("forms/{form}/newsletters")).await?;
        Ok(render_newsletters(form, &overview))
    }

    /// Sends `text` by e-mail to the citizen of the submission with this reference,
    /// through the server (which deletes the citizen's address afterwards).
    pub async fn reply(&self, reference: &str, text: &str) -> Result<(), PullError> {
        let (_, item) = self.find(reference).await?;
        self.send(
            reqwest::Method::POST,
            &format!("submissions/{}/reply", item.id),
            Some(("text/plain; charset=utf-8", text.as_bytes().to_vec())),
        )
        .await?;
        Ok(())
    }
}

/// What a pull did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PullReport {
    /// References written in this run.
    pub written: Vec<String>,
    /// Already present in the output folder, not fetched again.
    pub skipped: usize,
    /// References whose files were deleted here, because the server deleted them.
    pub removed: Vec<String>,
    /// References whose files were deleted here, because the case was forwarded to a
    /// queue the caseworker is not in.
    pub forwarded: Vec<String>,
    /// Attached files written in this run.
    pub attachments: usize,
}

#[derive(Deserialize)]
struct DeletedItem {
    reference: String,
    /// When it left the queue (RFC 3339).
    #[serde(default)]
    deleted: String,
    /// `deleted` or `forwarded`.
    #[serde(default)]
    reason: String,
}

/// How far a pull has come, kept in its output folder as [`PullState::FILE`]: for each
/// queue, the time from which the next pull asks for the submissions that left it. A
/// folder restored from a backup brings its own state back with its copies, so the
/// copies deleted on the server since are found again; a state file that is missing or
/// cannot be read makes the pull ask for every deletion, as a first pull does.
#[derive(Debug, Default, Serialize, Deserialize)]
struct PullState {
    #[serde(default)]
    deletions_since: BTreeMap<String, String>,
}

impl PullState {
    const FILE: &str = ".pull-state.json";

    /// Asked again of each queue: what left in the hour before the newest departure a
    /// pull has seen. A departure is stamped when it is made, and may become visible
    /// just after a later one (several servers on one database); deleting a copy that
    /// is gone already costs nothing, while one missed would be kept.
    const OVERLAP_MS: i64 = 60 * 60 * 1000;

    fn read(out: &Path) -> PullState {
        std::fs::read(out.join(Self::FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn write(&self, out: &Path) -> Result<(), PullError> {
        let path = out.join(Self::FILE);
        let json = serde_json::to_vec_pretty(self).map_err(|e| PullError::Write {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_private(&path, &json)
    }

    fn deletions_since(&self, queue: &str) -> Option<Timestamp> {
        Timestamp::parse_rfc3339(self.deletions_since.get(queue)?)
    }

    /// Notes that `queue`'s departures up to `newest` have been read; whether that moved
    /// the state on.
    fn read_deletions(&mut self, queue: &str, newest: Option<Timestamp>) -> bool {
        let Some(newest) = newest else {
            return false;
        };
        let next = Timestamp(newest.millis() - Self::OVERLAP_MS);
        if self
            .deletions_since(queue)
            .is_some_and(|since| since >= next)
        {
            return false;
        }
        self.deletions_since
            .insert(queue.to_string(), next.rfc3339());
        true
    }
}

/// The file a pull writes for `reference` in `out`: `json` (the payload) or `txt` (its
/// readable rendering).
fn copy_path(out: &Path, reference: &str, extension: &str) -> PathBuf {
    out.join(format!("{reference}.{extension}"))
}

/// The folder a pull writes the attached files of `reference` into, in `out`.
fn attachments_dir(out: &Path, reference: &str) -> PathBuf {
    out.join(format!("{reference}-vedlegg"))
}

/// Writes every file attached to `payload` (in groups too) into its folder, each under
/// its name made safe, numbered where two share one. Returns how many.
fn write_attachments(out: &Path, reference: &str, payload: &Payload) -> Result<usize, PullError> {
    let mut files: Vec<&Attachment> = Vec::new();
    for (name, value) in &payload.answers {
        value.each_leaf(name, &mut |_, leaf| {
            if let Value::Files(attached) = leaf {
                files.extend(attached);
            }
        });
    }
    if files.is_empty() {
        return Ok(0);
    }
    let dir = attachments_dir(out, reference);
    crate::files::create_private_dir(&dir).map_err(|e| PullError::Write {
        path: dir.clone(),
        reason: e.to_string(),
    })?;
    let mut used = std::collections::BTreeSet::new();
    for (n, file) in files.iter().enumerate() {
        let safe = crate::schema::values::safe_file_name(&file.name);
        let mut name = safe.clone();
        let mut number = n + 1;
        while used.contains(&name) {
            name = format!("{number}-{safe}");
            number += 1;
        }
        write_private(&dir.join(&name), &file.data)?;
        used.insert(name);
    }
    Ok(files.len())
}

/// Deletes the files a pull wrote for `reference` in `out`; whether there were any.
fn remove_copies(out: &Path, reference: &str) -> Result<bool, PullError> {
    let mut removed = false;
    let targets = [
        (copy_path(out, reference, "json"), false),
        (copy_path(out, reference, "txt"), false),
        (attachments_dir(out, reference), true),
    ];
    for (path, is_dir) in targets {
        let result = if is_dir {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match result {
            Ok(()) => removed = true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(PullError::Write {
                    path,
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(removed)
}

#[derive(Deserialize)]
struct Me {
    id: String,
    queues: Vec<String>,
}

/// A submission as a queue's listing gives it: metadata, no answers.
#[derive(Deserialize)]
struct ListItem {
    id: String,
    reference: String,
    form: String,
    received: String,
    status: String,
    /// The id of the caseworker who took the case, and their name.
    #[serde(default)]
    taken_by: Option<String>,
    #[serde(default)]
    taken_by_name: Option<String>,
}

/// The text of `forms caseworker list`: a heading a queue, a line a submission.
fn render_overview(me: &str, queues: &[(&str, Vec<ListItem>)]) -> String {
    let mut out = String::new();
    for (queue, items) in queues {
        out.push_str(&format!("{queue}: {} submission(s)\n", items.len()));
        let form_width = items.iter().map(|i| i.form.len()).max().unwrap_or(0);
        for item in items {
            let received = crate::clock::Timestamp::show_rfc3339_nb(&item.received);
            let status = match (item.status.as_str(), item.taken_by.as_deref()) {
                ("in_progress", Some(by)) if by == me => "in progress, by you".to_string(),
                ("in_progress", Some(by)) => match &item.taken_by_name {
                    Some(name) => format!("in progress, by {name}"),
                    None => format!("in progress, by caseworker {by}"),
                },
                ("in_progress", None) => "in progress".to_string(),
                (other, _) => other.to_string(),
            };
            out.push_str(&format!(
                "  {}  {:form_width$}  {received}  {status}\n",
                item.reference, item.form
            ));
        }
    }
    out
}

/// The server's answer to a subject access report.
#[derive(Deserialize)]
struct SubjectAccess {
    request: String,
    submissions: Vec<HeldItem>,
    #[serde(default)]
    newsletters: Option<HeldNewsletters>,
}

#[derive(Deserialize)]
struct HeldNewsletters {
    #[serde(default)]
    address: Option<String>,
    subscriptions: Vec<SubscriptionItem>,
}

#[derive(Deserialize)]
struct SubscriptionItem {
    id: String,
    form: String,
    topics: Vec<TopicItem>,
    created: String,
    #[serde(default)]
    confirmed: Option<String>,
    retain_until: String,
}

#[derive(Deserialize)]
struct TopicItem {
    label: String,
}

impl SubscriptionItem {
    /// The subscription on one line, in bokmål.
    fn line(&self) -> String {
        use crate::clock::Timestamp;
        let topics: Vec<&str> = self.topics.iter().map(|t| t.label.as_str()).collect();
        let confirmed = match &self.confirmed {
            Some(at) => format!("bekreftet {}", Timestamp::show_rfc3339_day_nb(at)),
            None => "ikke bekreftet".to_string(),
        };
        format!(
            "  {}  skjema {}: {}; påmeldt {}, {confirmed}; slettes {}\n",
            self.id,
            self.form,
            topics.join(", "),
            Timestamp::show_rfc3339_day_nb(&self.created),
            Timestamp::show_rfc3339_day_nb(&self.retain_until),
        )
    }
}

#[derive(Deserialize)]
struct HeldItem {
    #[serde(flatten)]
    item: ListItem,
    queue: String,
    retain_until: String,
    #[serde(default)]
    kept_by: Option<String>,
    reply_address: bool,
    handover_consent: bool,
    notes: i64,
    events: Vec<HeldEvent>,
}

#[derive(Deserialize)]
struct HeldEvent {
    at: String,
    action: String,
    actor: String,
    #[serde(default)]
    actor_name: Option<String>,
}

/// The text of `forms caseworker subject-access`, in bokmål like the audit report: for
/// the caseworker who writes the answer to the citizen.
fn render_subject_access(report: &SubjectAccess) -> String {
    use crate::clock::Timestamp;
    let yes_no = |b: bool| if b { "ja" } else { "nei" };
    let mut out = format!(
        "Innsyn: det serveren har om innbyggeren som sendte {}\n\
         Svarene i innsendingene er kryptert til køene og kan bare leses av køenes \
         saksbehandlere.\n\n{} innsending(er), den nyeste først:\n",
        report.request,
        report.submissions.len()
    );
    for held in &report.submissions {
        let item = &held.item;
        let status = match (item.status.as_str(), &item.taken_by_name) {
            ("new", _) => "ny".to_string(),
            ("in_progress", Some(name)) => format!("under behandling hos {name}"),
            ("in_progress", None) => "under behandling".to_string(),
            ("done", _) => "ferdig".to_string(),
            (other, _) => other.to_string(),
        };
        let until = Timestamp::show_rfc3339_day_nb(&held.retain_until);
        let kept = match &held.kept_by {
            Some(law) => format!(", og kan ikke slettes før fordi {law} krever det"),
            None => String::new(),
        };
        out.push_str(&format!(
            "\n{}  skjema {}, kø {}\n  mottatt {}; {status}\n  slettes {until}{kept}\n  \
             e-postadresse for svar lagret: {}; samtykke til utlevering: {}; notater: {}\n",
            item.reference,
            item.form,
            held.queue,
            Timestamp::show_rfc3339_nb(&item.received),
            yes_no(held.reply_address),
            yes_no(held.handover_consent),
            held.notes,
        ));
        for event in &held.events {
            out.push_str(&format!(
                "    {}  {:<32}  {}\n",
                Timestamp::show_rfc3339_nb(&event.at),
                crate::privacy::actor_words(&event.actor, event.actor_name.as_deref()),
                crate::privacy::action_words(&event.action),
            ));
        }
    }
    let Some(newsletters) = &report.newsletters else {
        return out;
    };
    match &newsletters.address {
        None => out.push_str(
            "\nIngen e-postadresse fra KRR er lagret med kravet, så abonnement på nyhetsbrev \
             kan ikke finnes ut fra det. Abonnenten ser og avslutter abonnementet sitt fra \
             lenken i hvert nyhetsbrev.\n",
        ),
        Some(address) if newsletters.subscriptions.is_empty() => out.push_str(&format!(
            "\nIngen abonnement på nyhetsbrev til {address}, adressen KRR hadde for \
             innbyggeren da kravet ble sendt.\n"
        )),
        Some(address) => {
            out.push_str(&format!(
                "\n{} abonnement på nyhetsbrev til {address}, adressen KRR hadde for \
                 innbyggeren da kravet ble sendt:\n",
                newsletters.subscriptions.len()
            ));
            for subscription in &newsletters.subscriptions {
                out.push_str(&subscription.line());
            }
        }
    }
    out
}

#[derive(Deserialize)]
struct SubjectErasure {
    request: String,
    submissions: Vec<ErasedItem>,
    #[serde(default)]
    subscriptions: Vec<SubscriptionItem>,
}

#[derive(Deserialize)]
struct ErasedItem {
    reference: String,
    form: String,
    queue: String,
    outcome: String,
    #[serde(default)]
    kept_by: Option<String>,
    #[serde(default)]
    kept_until: Option<String>,
}

/// The text of `forms caseworker subject-erasure`, in bokmål: what to tell the citizen.
fn render_subject_erasure(report: &SubjectErasure) -> String {
    use crate::clock::Timestamp;
    let mut out = format!(
        "Sletting etter krav i {}: {} innsending(er) fra innbyggeren\n",
        report.request,
        report.submissions.len()
    );
    for item in &report.submissions {
        let what = match (item.outcome.as_str(), &item.kept_by, &item.kept_until) {
            ("erased", _, _) => "slettet".to_string(),
            ("already_deleted", _, _) => "var allerede slettet".to_string(),
            ("kept_by_law", Some(law), Some(until)) => format!(
                "beholdes til {} fordi {law} krever det, og slettes da",
                Timestamp::show_rfc3339_day_nb(until)
            ),
            (other, _, _) => other.to_string(),
        };
        out.push_str(&format!(
            "  {}  skjema {}, kø {}: {what}\n",
            item.reference, item.form, item.queue
        ));
    }
    if !report.subscriptions.is_empty() {
        out.push_str(&format!(
            "{} abonnement på nyhetsbrev avsluttet og slettet:\n",
            report.subscriptions.len()
        ));
        for subscription in &report.subscriptions {
            out.push_str(&subscription.line());
        }
    }
    out.push_str(&format!(
        "Kravet {} beholdes som dokumentasjon på svaret til oppbevaringstiden er ute.\n",
        report.request
    ));
    out
}

#[derive(Deserialize)]
struct NoteItem {
    at: String,
    author: String,
    #[serde(default)]
    author_name: Option<String>,
    sealed_base64: String,
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

/// Turns an error status into [`PullError::Server`] with the problem's detail.
async fn check(response: reqwest::Response) -> Result<reqwest::Response, PullError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment(name: &str, data: &[u8]) -> Attachment {
        Attachment {
            name: name.into(),
            mime: "image/png".into(),
            size: data.len(),
            data: data.to_vec(),
        }
    }

    /// The state moves on to an hour before the newest departure seen, never back, and
    /// survives the folder; a state file that cannot be read counts as none.
    #[test]
    fn a_pull_remembers_how_far_it_has_read_each_queues_deletions() {
        let out = std::env::temp_dir().join(format!("forms-pull-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let at = |text: &str| Timestamp::parse_rfc3339(text).unwrap();
        let mut state = PullState::read(&out);
        assert_eq!(state.deletions_since("byggesak"), None);
        assert!(!state.read_deletions("byggesak", None));
        assert!(state.read_deletions("byggesak", Some(at("2026-12-01T10:30:00Z"))));
        assert!(!state.read_deletions("byggesak", Some(at("2026-12-01T10:29:59Z"))));
        assert!(state.read_deletions("skole", Some(at("2026-11-01T00:00:00Z"))));
        state.write(&out).unwrap();
        let again = PullState::read(&out);
        assert_eq!(
            again.deletions_since("byggesak"),
            Some(at("2026-12-01T09:30:00Z"))
        );
        assert_eq!(
            again.deletions_since("skole"),
            Some(at("2026-10-31T23:00:00Z"))
        );
        std::fs::write(out.join(PullState::FILE), b"{not json").unwrap();
        assert_eq!(PullState::read(&out).deletions_since("byggesak"), None);
        std::fs::remove_dir_all(&out).unwrap();
    }

    /// Every attached file lands in the submission's folder, groups' too, under a safe
    /// name, numbered where names meet; deleting the submission's copies takes the
    /// folder with it.
    #[test]
    fn attachments_are_written_beside_the_submission_and_deleted_with_it() {
        let out = std::env::temp_dir().join(format!("forms-pull-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let group_item = [(
            "bilde".to_string(),
            Value::Files(vec![attachment("kum.jpg", b"second")]),
        )]
        .into_iter()
        .collect();
        let payload = Payload {
            format: crate::submission::PAYLOAD_FORMAT.into(),
            reference: "2026-AAAA-BBBB".into(),
            submission_id: "x".into(),
            form: crate::submission::PayloadForm {
                id: "feilmelding".into(),
                title: "Feilmelding".into(),
                schema_sha256: "ab".repeat(32),
            },
            queue: "drift-vann".into(),
            received_at: "2026-11-23T12:00:00Z".into(),
            auth: None,
            prefill: Default::default(),
            answers: [
                (
                    "bilde".to_string(),
                    Value::Files(vec![
                        attachment("kum.jpg", b"first"),
                        attachment("../../.bashrc", b"third"),
                        attachment("kum.jpg.partial", b"fourth"),
                    ]),
                ),
                ("steder".to_string(), Value::Group(vec![group_item])),
                ("melding".to_string(), Value::Text("hei".into())),
            ]
            .into_iter()
            .collect(),
            readable: Vec::new(),
            fields: Vec::new(),
        };
        let reference = "2026-AAAA-BBBB";
        assert_eq!(write_attachments(&out, reference, &payload).unwrap(), 4);
        let dir = attachments_dir(&out, reference);
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["4-kum.jpg", "bashrc", "kum.jpg", "kum.jpg.partial"]);
        assert_eq!(std::fs::read(dir.join("kum.jpg")).unwrap(), b"first");
        assert_eq!(
            std::fs::read(dir.join("kum.jpg.partial")).unwrap(),
            b"fourth"
        );
        assert_eq!(std::fs::read(dir.join("4-kum.jpg")).unwrap(), b"second");
        write_private(&copy_path(&out, reference, "json"), b"{}").unwrap();
        assert!(remove_copies(&out, reference).unwrap());
        assert!(!dir.exists());
        assert!(!copy_path(&out, reference, "json").exists());
        assert!(!remove_copies(&out, reference).unwrap());
        std::fs::remove_dir_all(&out).unwrap();
    }

    fn item(reference: &str, form: &str, status: &str, taken_by: Option<&str>) -> ListItem {
        ListItem {
            id: format!("id-{reference}"),
            reference: reference.into(),
            form: form.into(),
            received: "2026-07-01T12:00:00Z".into(),
            status: status.into(),
            taken_by: taken_by.map(Into::into),
            taken_by_name: (taken_by == Some("other")).then(|| "Ola Nordmann".into()),
        }
    }

    /// A line a submission, forms in one column, times in Norwegian time, and whose a
    /// case in progress is.
    #[test]
    fn the_overview_shows_each_case_with_who_has_it() {
        let queues = [
            (
                "servicetorget",
                vec![
                    item("2026-AAAA-AAAA", "kontakt", "new", None),
                    item("2026-BBBB-BBBB", "feilmelding", "in_progress", Some("me")),
                    item("2026-CCCC-CCCC", "kontakt", "in_progress", Some("other")),
                    item("2026-EEEE-EEEE", "kontakt", "in_progress", Some("gone")),
                    item("2026-DDDD-DDDD", "kontakt", "done", Some("me")),
                ],
            ),
            ("drift-vei", Vec::new()),
        ];
        assert_eq!(
            render_overview("me", &queues),
            "servicetorget: 5 submission(s)\n\
             \x20 2026-AAAA-AAAA  kontakt      01.07.2026 kl. 14:00  new\n\
             \x20 2026-BBBB-BBBB  feilmelding  01.07.2026 kl. 14:00  in progress, by you\n\
             \x20 2026-CCCC-CCCC  kontakt      01.07.2026 kl. 14:00  in progress, by Ola Nordmann\n\
             \x20 2026-EEEE-EEEE  kontakt      01.07.2026 kl. 14:00  in progress, by caseworker gone\n\
             \x20 2026-DDDD-DDDD  kontakt      01.07.2026 kl. 14:00  done\n\
             drift-vei: 0 submission(s)\n"
        );
    }
}
