//! Caseworkers and their queues: tokens, who may see what, and the domain side of the
//! caseworker API (list, fetch sealed, mark done), each step written to the audit log.
//!
//! A token is 32 random bytes shown once; the store keeps only its SHA-256. A
//! caseworker sees only the queues they were added to. The server hands out sealed
//! payloads as stored; decryption happens on the caseworker's machine ([`pull`]).
//!
//! Must never: log a token, or let one queue's caseworker reach another queue's
//! submissions.

pub mod pull;

use std::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::clock::Timestamp;
use crate::newsletter::{HeldSubscriptions, NewsletterError, Newsletters, Subscribed};
use crate::privacy::{EraseError, KeptByLaw};
use crate::store::{
    AuditEntry, Caseworker, Gone, Op, Status, Store, StoreError, SubmissionMeta, actions,
};

const TOKEN_PREFIX: &str = "fcw_";

/// The SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> String {
    forms_crypto::hex::encode(&Sha256::digest(token.trim().as_bytes()))
}

/// Issues a token for a new caseworker of `queues`, valid until `expires_at` (or for
/// good). The token is returned once.
pub async fn add(
    store: &Store,
    name: &str,
    queues: &[String],
    now: Timestamp,
    expires_at: Option<Timestamp>,
) -> Result<(String, Zeroizing<String>), CaseworkerError> {
    let mut secret = Zeroizing::new([0u8; 32]);
    forms_crypto::random_bytes(&mut secret[..]).map_err(|_| CaseworkerError::Random)?;
    let token = Zeroizing::new(format!(
        "{TOKEN_PREFIX}{}",
        forms_crypto::hex::encode(&secret[..])
    ));
    let id = register(store, name, queues, &token_hash(&token), now, expires_at).await?;
    Ok((id, token))
}

/// Registers a caseworker under an existing token hash (used by `forms dev` to keep a
/// token file valid across a fresh database).
pub async fn register(
    store: &Store,
    name: &str,
    queues: &[String],
    token_hash: &str,
    now: Timestamp,
    expires_at: Option<Timestamp>,
) -> Result<String, CaseworkerError> {
    let id = crate::submission::random_id().ok_or(CaseworkerError::Random)?;
    store
        .write(vec![
            Op::AddCaseworker {
                id: id.clone(),
                name: name.to_string(),
                token_hash: token_hash.to_string(),
                queues: queues.to_vec(),
                created_at: now,
                expires_at,
            },
            Op::Audit(AuditEntry::by_admin(actions::CASEWORKER_ADDED, now)),
        ])
        .await?;
    Ok(id)
}

/// The caseworker a bearer token belongs to, if the token has not expired or been
/// revoked at `now`.
pub async fn authenticate(
    store: &Store,
    token: &str,
    now: Timestamp,
) -> Result<Caseworker, CaseworkerError> {
    let token = token.trim();
    if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 64 {
        return Err(CaseworkerError::Unauthenticated);
    }
    store
        .caseworker_by_token_hash(&token_hash(token))
        .await?
        .filter(|c| c.active(now))
        .ok_or(CaseworkerError::Unauthenticated)
}

/// Ends a caseworker's token for good. `false` if there is no such caseworker.
pub async fn revoke(store: &Store, id: &str, now: Timestamp) -> Result<bool, CaseworkerError> {
    if !store.caseworkers().await?.iter().any(|c| c.id == id) {
        return Ok(false);
    }
    store
        .write(vec![
            Op::RevokeCaseworker {
                id: id.to_string(),
                at: now,
            },
            Op::Audit(AuditEntry::by_admin(actions::CASEWORKER_REVOKED, now)),
        ])
        .await?;
    Ok(true)
}

fn actor(caseworker: &Caseworker) -> String {
    crate::store::actors::caseworker(&caseworker.id)
}

/// The audit entry of `action` by `caseworker` on submission `id`, in `queue`.
fn case_entry(
    caseworker: &Caseworker,
    action: &'static str,
    id: &str,
    queue: &str,
    now: Timestamp,
) -> Op {
    Op::Audit(AuditEntry {
        at: now,
        actor: actor(caseworker),
        action,
        submission_id: Some(id.to_string()),
        queue: Some(queue.to_string()),
    })
}

/// Writes `change` (if any) and the audit entry of `action` on the case, in one
/// transaction.
async fn record(
    store: &Store,
    caseworker: &Caseworker,
    meta: &SubmissionMeta,
    action: &'static str,
    change: Option<Op>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let entry = case_entry(caseworker, action, &meta.id, &meta.queue, now);
    store
        .write(change.into_iter().chain([entry]).collect())
        .await
}

/// The submissions of one of the caseworker's queues.
pub async fn list(
    store: &Store,
    caseworker: &Caseworker,
    queue: &str,
    status: Option<Status>,
    now: Timestamp,
) -> Result<Vec<SubmissionMeta>, CaseworkerError> {
    record_queue(store, caseworker, queue, actions::QUEUE_LISTED, now).await?;
    Ok(store.list_queue(queue, status).await?)
}

/// Refuses a queue that is not the caseworker's; otherwise writes the audit entry of
/// `action` on it, before what it records is read.
async fn record_queue(
    store: &Store,
    caseworker: &Caseworker,
    queue: &str,
    action: &'static str,
    now: Timestamp,
) -> Result<(), CaseworkerError> {
    if !caseworker.queues.iter().any(|q| q == queue) {
        return Err(CaseworkerError::Forbidden);
    }
    store
        .write(vec![Op::Audit(AuditEntry {
            at: now,
            actor: actor(caseworker),
            action,
            submission_id: None,
            queue: Some(queue.to_string()),
        })])
        .await?;
    Ok(())
}

/// The submissions that have left one of the caseworker's queues (at `since` or later,
/// if given) and are no longer theirs, so that their own machine deletes its copies
/// too: those deleted, and those forwarded to a queue the caseworker is not in.
pub async fn gone(
    store: &Store,
    caseworker: &Caseworker,
    queue: &str,
    since: Option<Timestamp>,
    now: Timestamp,
) -> Result<Vec<Gone>, CaseworkerError> {
    record_queue(store, caseworker, queue, actions::DELETIONS_LISTED, now).await?;
    let mut gone = store.gone_from(queue, since).await?;
    gone.retain(|item| {
        item.now_in
            .as_ref()
            .is_none_or(|now_in| !caseworker.queues.contains(now_in))
    });
    Ok(gone)
}

/// A submission's sealed payload, if it is in one of the caseworker's queues.
pub async fn fetch_sealed(
    store: &Store,
    caseworker: &Caseworker,
    id: &str,
    now: Timestamp,
) -> Result<(SubmissionMeta, Vec<u8>), CaseworkerError> {
    let (meta, sealed) = store
        .sealed(id)
        .await?
        .filter(|(meta, _)| caseworker.queues.contains(&meta.queue))
        .ok_or(CaseworkerError::NotFound)?;
    record(
        store,
        caseworker,
        &meta,
        actions::SUBMISSION_FETCHED,
        None,
        now,
    )
    .await?;
    Ok((meta, sealed))
}

/// Marks a submission done.
pub async fn mark_done(
    store: &Store,
    caseworker: &Caseworker,
    id: &str,
    now: Timestamp,
) -> Result<(), CaseworkerError> {
    let meta = visible(store, caseworker, id).await?;
    let change = Op::SetStatus {
        id: meta.id.clone(),
        status: Status::Done,
    };
    record(
        store,
        caseworker,
        &meta,
        actions::SUBMISSION_DONE,
        Some(change),
        now,
    )
    .await?;
    Ok(())
}

/// The first line of every age file.
const AGE_HEADER: &[u8] = b"age-encryption.org/v1\n";

/// `sealed` if it is an age file. The server cannot check who can open one, only that
/// it is one.
fn age_file(sealed: Vec<u8>) -> Result<Vec<u8>, CaseworkerError> {
    if sealed.starts_with(AGE_HEADER) {
        Ok(sealed)
    } else {
        Err(CaseworkerError::NotAgeFile)
    }
}

/// Replaces a submission's ciphertext with one the caseworker sealed, on their own
/// machine, to the queue's current recipients (`forms caseworker reseal`). The audit
/// log records who replaced it.
pub async fn replace_sealed(
    store: &Store,
    caseworker: &Caseworker,
    id: &str,
    sealed: Vec<u8>,
    now: Timestamp,
) -> Result<(), CaseworkerError> {
    let meta = visible(store, caseworker, id).await?;
    let change = Op::ReplaceSealed {
        id: meta.id.clone(),
        sealed: age_file(sealed)?,
    };
    record(
        store,
        caseworker,
        &meta,
        actions::SUBMISSION_RESEALED,
        Some(change),
        now,
    )
    .await?;
    Ok(())
}

/// Moves a submission to another queue, with a ciphertext the caseworker sealed on their
/// own machine to that queue's recipients. It leaves the caseworker's queue and starts
/// in the other as new; the audit entry names the queue it went to.
pub async fn forward(
    store: &Store,
    caseworker: &Caseworker,
    id: &str,
    to_queue: &str,
    sealed: Vec<u8>,
    now: Timestamp,
) -> Result<(), CaseworkerError> {
    let meta = visible(store, caseworker, id).await?;
    store
        .write(vec![
            Op::MoveSubmission {
                id: meta.id.clone(),
                queue: to_queue.to_string(),
                sealed: age_file(sealed)?,
                at: now,
            },
            case_entry(
                caseworker,
                actions::SUBMISSION_FORWARDED,
                &meta.id,
                to_queue,
                now,
            ),
        ])
        .await?;
    Ok(())
}

/// Sends the caseworker's answer by e-mail to the address the citizen gave, then
/// deletes the address. The text passes through the server to the mail server; it is
/// neither stored nor logged.
pub async fn reply(
    store: &Store,
    vault: Option<&forms_crypto::vault::Keyring>,
    mailer: Option<&crate::mail::Mailer>,
    caseworker: &Caseworker,
    id: &str,
    text: &str,
    now: Timestamp,
) -> Result<(), CaseworkerError> {
    let meta = visible(store, caseworker, id).await?;
    let mailer = mailer.ok_or(CaseworkerError::MailNotConfigured)?;
    let stored = store
        .reply_address(&meta.id)
        .await?
        .ok_or(CaseworkerError::NoReplyAddress)?;
    let vault = vault.ok_or(CaseworkerError::NoReplyAddress)?;
    let address = vault
        .decrypt(
            crate::store::VaultColumn::ReplyAddress.place(&meta.id),
            &stored,
        )
        .map_err(|_| CaseworkerError::NoReplyAddress)?;
    let address =
        String::from_utf8(address.to_vec()).map_err(|_| CaseworkerError::NoReplyAddress)?;
    let subject = format!("Svar fra kommunen – {}", meta.reference);
    let body = format!(
        "{}\n\n--\nSvar på henvendelsen din med referanse {}.\n",
        text.trim_end(),
        meta.reference
    );
    mailer
        .send(crate::mail::Kind::Reply, &address, &subject, &body)
        .await
        .map_err(|e| CaseworkerError::Mail(e.to_string()))?;
    let change = Op::ForgetReplyAddress {
        id: meta.id.clone(),
    };
    record(
        store,
        caseworker,
        &meta,
        actions::SUBMISSION_REPLIED,
        Some(change),
        now,
    )
    .await?;
    Ok(())
}

/// Takes a case: in progress, by this caseworker (a case taken by another can be
/// taken over; the audit log shows who took it when).
pub async fn take(
    store: &Store,
    caseworker: &Caseworker,
    id: &str,
    now: Timestamp,
) -> Result<(), CaseworkerError> {
    let meta = visible(store, caseworker, id).await?;
    let change = Op::TakeSubmission {
        id: meta.id.clone(),
        caseworker: caseworker.id.clone(),
    };
    record(
        store,
        caseworker,
        &meta,
        actions::SUBMISSION_TAKEN,
        Some(change),
        now,
    )
    .await?;
    Ok(())
}

/// Adds an internal note to a case, sealed on the caseworker's machine to the queue's
/// recipients.
pub async fn add_note(
    store: &Store,
    caseworker: &Caseworker,
    id: &str,
    sealed: Vec<u8>,
    now: Timestamp,
) -> Result<String, CaseworkerError> {
    let meta = visible(store, caseworker, id).await?;
    let sealed = age_file(sealed)?;
    let note_id = crate::submission::random_id().ok_or(CaseworkerError::Random)?;
    let change = Op::AddNote(crate::store::Note {
        id: note_id.clone(),
        submission_id: meta.id.clone(),
        at: now,
        author: caseworker.id.clone(),
        sealed,
    });
    record(
        store,
        caseworker,
        &meta,
        actions::NOTE_ADDED,
        Some(change),
        now,
    )
    .await?;
    Ok(note_id)
}

/// The sealed notes on a case.
pub async fn notes(
    store: &Store,
    caseworker: &Caseworker,
    id: &str,
    now: Timestamp,
) -> Result<Vec<crate::store::Note>, CaseworkerError> {
    let meta = visible(store, caseworker, id).await?;
    let notes = store.notes(&meta.id).await?;
    record(store, caseworker, &meta, actions::NOTES_FETCHED, None, now).await?;
    Ok(notes)
}

/// Records that the citizen consented (by phone, letter or in person) to the case being
/// handed to another public body. The audit log shows who recorded it.
pub async fn record_consent(
    store: &Store,
    caseworker: &Caseworker,
    id: &str,
    now: Timestamp,
) -> Result<(), CaseworkerError> {
    let meta = visible(store, caseworker, id).await?;
    let change = Op::RecordConsent {
        id: meta.id.clone(),
    };
    record(
        store,
        caseworker,
        &meta,
        actions::CONSENT_RECORDED,
        Some(change),
        now,
    )
    .await?;
    Ok(())
}

/// Records that the case is handed to another public body, which is allowed only with
/// the citizen's consent: the form's consent box, or a consent recorded by a caseworker.
pub async fn hand_over(
    store: &Store,
    caseworker: &Caseworker,
    id: &str,
    now: Timestamp,
) -> Result<(), CaseworkerError> {
    let meta = visible(store, caseworker, id).await?;
    if !store.handover_consent(&meta.id).await? {
        return Err(CaseworkerError::NoConsent);
    }
    record(
        store,
        caseworker,
        &meta,
        actions::SUBMISSION_HANDED_OVER,
        None,
        now,
    )
    .await?;
    Ok(())
}

/// Erases a submission before its retention ends, on the citizen's request (see
/// [`crate::privacy::erase`]); refused while a law still requires keeping it.
pub async fn erase(
    store: &Store,
    catalog: &crate::schema::Catalog,
    caseworker: &Caseworker,
    id: &str,
    now: Timestamp,
) -> Result<(), CaseworkerError> {
    let meta = visible(store, caseworker, id).await?;
    crate::privacy::erase(store, catalog, &meta, actor(caseworker), now)
        .await
        .map_err(|err| match err {
            EraseError::KeptByLaw(kept) => CaseworkerError::KeptByLaw(kept),
            EraseError::Gone => CaseworkerError::NotFound,
            EraseError::Store(err) => err.into(),
        })
}

/// One queue's workload and who can read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub queue: String,
    pub new: i64,
    pub in_progress: i64,
    pub done: i64,
    /// When the oldest new submission was received, if there is one.
    pub oldest_new: Option<Timestamp>,
    /// Caseworkers of the queue whose token works at `now`.
    pub readers: usize,
    /// The age keys its submissions are sealed to.
    pub keys: usize,
}

/// Each queue's workload at `now`: the queues of `catalog` in its order, then any that
/// only stored submissions still name. For `forms admin queues` and the metrics.
pub async fn workload(
    store: &Store,
    catalog: &crate::schema::Catalog,
    now: Timestamp,
) -> Result<Vec<Workload>, StoreError> {
    let counts = store.queue_counts().await?;
    let caseworkers = store.caseworkers().await?;
    let mut queues: Vec<String> = catalog.queues().map(|q| q.id.to_string()).collect();
    for count in &counts {
        if !queues.contains(&count.queue) {
            queues.push(count.queue.clone());
        }
    }
    Ok(queues
        .into_iter()
        .map(|queue| {
            let of = |status: Status| {
                counts
                    .iter()
                    .find(|c| c.queue == queue && c.status == status)
            };
            let number = |status: Status| of(status).map_or(0, |c| c.count);
            Workload {
                new: number(Status::New),
                in_progress: number(Status::InProgress),
                done: number(Status::Done),
                oldest_new: of(Status::New).map(|c| c.oldest),
                readers: caseworkers
                    .iter()
                    .filter(|c| c.active(now) && c.queues.contains(&queue))
                    .count(),
                keys: catalog.queue(&queue).map_or(0, |q| q.recipients().len()),
                queue,
            }
        })
        .collect())
}

/// What the server holds about the citizen who sent a privacy request, for the
/// caseworker who answers it (GDPR article 15).
#[derive(Debug)]
pub struct SubjectAccess {
    /// The request itself.
    pub request: SubmissionMeta,
    /// Each submission stored of the citizen, the request included, newest first.
    pub held: Vec<crate::store::Held>,
    /// Every audit entry on those submissions (who did what with them, and when),
    /// oldest first.
    pub events: Vec<AuditEntry>,
    /// The newsletter subscriptions of the address KRR had for the citizen; `None`
    /// where this server takes no subscriptions.
    pub subscriptions: Option<HeldSubscriptions>,
}

/// What the server holds about the sender of privacy request `id`, in every queue:
/// metadata and history only, since the answers are sealed to their own queues; and
/// the newsletter subscriptions of the address KRR had for them, where `newsletters`
/// are taken. Only for a request in the caseworker's queue, sent on a
/// `privacy_request` form after login: the login is what links a citizen's
/// submissions. The report is an audit entry on the request.
pub async fn subject_access(
    store: &Store,
    catalog: &crate::schema::Catalog,
    newsletters: Option<&Newsletters>,
    caseworker: &Caseworker,
    id: &str,
    now: Timestamp,
) -> Result<SubjectAccess, CaseworkerError> {
    let (request, citizen) = privacy_request(store, catalog, caseworker, id).await?;
    let subscriptions = subscriptions_of(newsletters, store, catalog, &request).await?;
    record(
        store,
        caseworker,
        &request,
        actions::SUBJECT_ACCESS_REPORTED,
        None,
        now,
    )
    .await?;
    Ok(SubjectAccess {
        held: store.held_about(&citizen).await?,
        events: store.audit_about(&citizen).await?,
        subscriptions,
        request,
    })
}

/// The subscriptions of a privacy request's sender; `None` where this server takes no
/// subscriptions.
async fn subscriptions_of(
    newsletters: Option<&Newsletters>,
    store: &Store,
    catalog: &crate::schema::Catalog,
    request: &SubmissionMeta,
) -> Result<Option<HeldSubscriptions>, CaseworkerError> {
    let Some(newsletters) = newsletters else {
        return Ok(None);
    };
    let held = newsletters
        .of_request(store, catalog, &request.id)
        .await
        .map_err(|err| match err {
            NewsletterError::Store(err) => CaseworkerError::Store(err),
            _ => CaseworkerError::Vault,
        })?;
    Ok(Some(held))
}

/// What became of one of the citizen's submissions on their request for erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Erasure {
    Erased,
    KeptByLaw(KeptByLaw),
    /// Deleted already, by retention or by someone else.
    Gone,
}

/// What an erasure on request did.
#[derive(Debug)]
pub struct SubjectErasure {
    /// The request, which is kept.
    pub request: SubmissionMeta,
    /// Each of the sender's other submissions it reached, and what became of it.
    pub submissions: Vec<(SubmissionMeta, Erasure)>,
    /// The newsletter subscriptions it ended (no law keeps those).
    pub subscriptions: Vec<Subscribed>,
}

/// Erases, on privacy request `id` (GDPR article 17), the submissions of its sender in
/// every queue and the newsletter subscriptions of the address KRR had for them, or
/// those of them named by id or reference (a subscription by its id) in `only`; a
/// submission only if no law still requires keeping it. The request itself is kept:
/// it documents how the citizen was answered, until its own retention ends. A name in
/// `only` that is none of these refuses the whole, before anything is erased. Each
/// erased submission is an audit entry on it, and the whole one on the request.
pub async fn subject_erasure(
    store: &Store,
    catalog: &crate::schema::Catalog,
    newsletters: Option<&Newsletters>,
    caseworker: &Caseworker,
    id: &str,
    only: &[String],
    now: Timestamp,
) -> Result<SubjectErasure, CaseworkerError> {
    let (request, citizen) = privacy_request(store, catalog, caseworker, id).await?;
    let subscriptions = subscriptions_of(newsletters, store, catalog, &request)
        .await?
        .map(|held| held.subscriptions)
        .unwrap_or_default();
    let held: Vec<SubmissionMeta> = store
        .held_about(&citizen)
        .await?
        .into_iter()
        .map(|held| held.meta)
        .filter(|meta| meta.id != request.id)
        .collect();
    let named = |meta: &SubmissionMeta, name: &String| *name == meta.id || *name == meta.reference;
    let unknown: Vec<String> = only
        .iter()
        .filter(|name| {
            !held.iter().any(|meta| named(meta, name))
                && !subscriptions.iter().any(|s| s.id == **name)
        })
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(CaseworkerError::NotHeld(unknown));
    }
    let mut outcomes = Vec::new();
    for meta in held {
        if !only.is_empty() && !only.iter().any(|name| named(&meta, name)) {
            continue;
        }
        let outcome =
            match crate::privacy::erase(store, catalog, &meta, actor(caseworker), now).await {
                Ok(()) => Erasure::Erased,
                Err(EraseError::KeptByLaw(kept)) => Erasure::KeptByLaw(kept),
                Err(EraseError::Gone) => Erasure::Gone,
                Err(EraseError::Store(err)) => return Err(err.into()),
            };
        outcomes.push((meta, outcome));
    }
    let subscriptions: Vec<Subscribed> = subscriptions
        .into_iter()
        .filter(|s| only.is_empty() || only.contains(&s.id))
        .collect();
    if let Some(newsletters) = newsletters {
        newsletters.erase(store, &subscriptions).await?;
    }
    record(
        store,
        caseworker,
        &request,
        actions::SUBJECT_ERASURE_DONE,
        None,
        now,
    )
    .await?;
    Ok(SubjectErasure {
        request,
        submissions: outcomes,
        subscriptions,
    })
}

/// Privacy request `id` in one of the caseworker's queues, and the HMAC of the
/// identity number its sender logged in with, which links their submissions.
async fn privacy_request(
    store: &Store,
    catalog: &crate::schema::Catalog,
    caseworker: &Caseworker,
    id: &str,
) -> Result<(SubmissionMeta, String), CaseworkerError> {
    let request = visible(store, caseworker, id).await?;
    if !catalog
        .form(&request.form_id)
        .is_some_and(|form| form.privacy_request)
    {
        return Err(CaseworkerError::NotPrivacyRequest);
    }
    let citizen = store
        .citizen_of(&request.id)
        .await?
        .ok_or(CaseworkerError::SentWithoutLogin)?;
    Ok((request, citizen))
}

/// The metadata of a submission in one of the caseworker's queues (not its sealed
/// answers: no operation but a fetch needs them). Another queue's submission answers
/// exactly like a missing one, so ids cannot be probed across queues.
async fn visible(
    store: &Store,
    caseworker: &Caseworker,
    id: &str,
) -> Result<SubmissionMeta, CaseworkerError> {
    store
        .meta(id)
        .await?
        .filter(|meta| caseworker.queues.contains(&meta.queue))
        .ok_or(CaseworkerError::NotFound)
}

#[derive(Debug)]
pub enum CaseworkerError {
    Unauthenticated,
    Forbidden,
    NotFound,
    /// What was sent as a sealed submission is not an age file.
    NotAgeFile,
    /// The citizen gave no e-mail address, or it was deleted after an earlier reply.
    NoReplyAddress,
    /// Replies by e-mail are not configured on this server.
    MailNotConfigured,
    /// The mail server did not take the reply.
    Mail(String),
    /// A handover without the citizen's consent.
    NoConsent,
    /// An erasure a law forbids yet.
    KeptByLaw(KeptByLaw),
    /// A subject access report asked of a submission whose form is not a privacy
    /// request.
    NotPrivacyRequest,
    /// A subject access report asked of a request sent without login, which nothing
    /// links to its sender's other submissions.
    SentWithoutLogin,
    /// Names given for an erasure on request that are none of the sender's other
    /// submissions.
    NotHeld(Vec<String>),
    Random,
    /// The field vault did not open what it keeps.
    Vault,
    Store(StoreError),
}

impl From<StoreError> for CaseworkerError {
    fn from(err: StoreError) -> Self {
        CaseworkerError::Store(err)
    }
}

impl fmt::Display for CaseworkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseworkerError::Unauthenticated => f.write_str("missing or unknown token"),
            CaseworkerError::Forbidden => f.write_str("not a caseworker of this queue"),
            CaseworkerError::NotFound => f.write_str("no such submission in your queues"),
            CaseworkerError::NotAgeFile => f.write_str("the body is not an age file"),
            CaseworkerError::NoReplyAddress => f.write_str("no e-mail address to reply to"),
            CaseworkerError::MailNotConfigured => f.write_str("mail is not configured"),
            CaseworkerError::Mail(why) => write!(f, "{why}"),
            CaseworkerError::NoConsent => {
                f.write_str("the citizen has not consented to a handover")
            }
            CaseworkerError::KeptByLaw(KeptByLaw { law, until }) => write!(
                f,
                "{law} requires keeping it until {}",
                until.norwegian_day()
            ),
            CaseworkerError::NotPrivacyRequest => f.write_str("not a privacy request"),
            CaseworkerError::SentWithoutLogin => f.write_str("the request was sent without login"),
            CaseworkerError::NotHeld(names) => write!(
                f,
                "not among the sender's other submissions: {}",
                names.join(", ")
            ),
            CaseworkerError::Random => f.write_str("no randomness for the token"),
            CaseworkerError::Vault => f.write_str("the field vault did not open a value"),
            CaseworkerError::Store(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for CaseworkerError {}
