//! The privacy lifecycle: what happens to a citizen's data after it is stored.
//!
//! - [`retention`]: a submission is deleted, with its notes, when the retention its
//!   form declares has ended; each deletion is an audit entry.
//! - [`erase`]: a submission deleted before then, at the citizen's request (GDPR article
//!   17), by the citizen from "Mine innsendinger" or by a caseworker; refused while a
//!   law still requires keeping it ([`kept_by_law`]).
//! - [`action_words`] and [`actor_words`]: the audit log in bokmål for the privacy
//!   officer (`forms audit export`, and the subject access report that answers a
//!   citizen's request for access).
//!
//! Must never: keep a submission past its retention, delete one that a law still
//! requires keeping, or delete one without an audit entry saying so.

pub mod retention;

use std::fmt;

use crate::clock::Timestamp;
use crate::schema::Catalog;
use crate::store::{AuditEntry, Op, Store, StoreError, SubmissionMeta, actions};

/// The law that requires keeping a submission, and when its retention ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptByLaw {
    /// As the form's `retention: required_by` names it, e.g. `arkivlova § 6`.
    pub law: String,
    pub until: Timestamp,
}

/// Whether a law still requires keeping the submission at `now`: its form names one
/// under `retention: required_by`, and its retention has not ended.
pub fn kept_by_law(catalog: &Catalog, meta: &SubmissionMeta, now: Timestamp) -> Option<KeptByLaw> {
    let law = catalog
        .form(&meta.form_id)?
        .retention_required_by
        .as_ref()?;
    (now < meta.retain_until).then(|| KeptByLaw {
        law: law.clone(),
        until: meta.retain_until,
    })
}

/// What an audit action means, in words for the privacy officer.
pub fn action_words(action: &str) -> &'static str {
    use crate::store::actions::*;
    match action {
        SUBMISSION_RECEIVED => "innsending mottatt",
        QUEUE_LISTED => "kø listet (bare metadata)",
        SUBMISSION_FETCHED => "innsending hentet (kryptert)",
        SUBMISSION_DONE => "satt til ferdig",
        CASEWORKER_ADDED => "saksbehandler lagt til",
        CASEWORKER_REVOKED => "saksbehandlers nøkkel trukket tilbake",
        SUBMISSION_RESEALED => "kryptert på nytt til køens nøkler",
        SUBMISSION_FORWARDED => "videresendt til en annen kø",
        SUBMISSION_REPLIED => "svar sendt på e-post; adressen slettet",
        CONSENT_RECORDED => "samtykke til utlevering registrert",
        SUBMISSION_HANDED_OVER => "utlevert til et annet offentlig organ",
        SUBMISSION_TAKEN => "tatt til behandling",
        NOTE_ADDED => "notat lagt til (kryptert)",
        NOTES_FETCHED => "notater hentet (krypterte)",
        CITIZEN_LOGIN => "innbygger logget inn med ID-porten",
        SUBMISSION_DELETED => "slettet: oppbevaringstiden var ute",
        SUBMISSION_ERASED => "slettet etter krav fra innbyggeren",
        DELETIONS_LISTED => "slettede innsendinger i køen listet",
        VAULT_REKEYED => "svaradresser og økter kryptert på nytt med ny nøkkel",
        DATABASE_COPIED => "databasen kopiert (sikkerhetskopi)",
        SUBJECT_ACCESS_REPORTED => "innsyn: oversikt over innbyggerens innsendinger hentet",
        SUBJECT_ERASURE_DONE => "sletting etter krav: innbyggerens innsendinger slettet",
        NEWSLETTER_SENT => "nyhetsbrev sendt til abonnentene",
        DATABASE_MOVED => "databasen flyttet fra SQLite til PostgreSQL",
        _ => "ukjent handling",
    }
}

/// Who an audit entry's actor is, in words for the privacy officer: a caseworker by
/// `name` where it is known, else the role.
pub fn actor_words(actor: &str, name: Option<&str>) -> String {
    if let Some(name) = name {
        return format!("{name} (saksbehandler)");
    }
    match actor {
        crate::store::actors::CITIZEN => "innbygger".to_string(),
        crate::store::actors::ADMIN => "administrator".to_string(),
        retention::ACTOR => "oppbevaringsregelen".to_string(),
        other => other.to_string(),
    }
}

/// Why an erasure did not happen.
#[derive(Debug)]
pub enum EraseError {
    KeptByLaw(KeptByLaw),
    /// Deleted already, by someone else or by retention.
    Gone,
    Store(StoreError),
}

impl fmt::Display for EraseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EraseError::KeptByLaw(kept) => write!(f, "kept by {}", kept.law),
            EraseError::Gone => f.write_str("already deleted"),
            EraseError::Store(err) => write!(f, "{err}"),
        }
    }
}

/// Erases a submission with its notes and reply address, leaving a tombstone with its
/// reference for the audit report, and an entry `submission.erased` by `actor`.
pub async fn erase(
    store: &Store,
    catalog: &Catalog,
    meta: &SubmissionMeta,
    actor: String,
    now: Timestamp,
) -> Result<(), EraseError> {
    if let Some(kept) = kept_by_law(catalog, meta, now) {
        return Err(EraseError::KeptByLaw(kept));
    }
    let ops = vec![
        Op::DeleteSubmission {
            id: meta.id.clone(),
            at: now,
        },
        Op::Audit(AuditEntry {
            at: now,
            actor,
            action: actions::SUBMISSION_ERASED,
            submission_id: Some(meta.id.clone()),
            queue: Some(meta.queue.clone()),
        }),
    ];
    match store.write(ops).await {
        Ok(()) => Ok(()),
        Err(StoreError::Gone) => Err(EraseError::Gone),
        Err(err) => Err(EraseError::Store(err)),
    }
}
