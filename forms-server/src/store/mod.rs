//! Storage: one interface over SQLite (the embedded default) and PostgreSQL (several
//! server instances against one database).
//!
//! Owns the database schema (sqlx migrations beside this file, one set per backend, run
//! at start-up), every query, and durability: [`Store::write`] returns only after the
//! transaction is committed to disk.
//!
//! Every write goes through one writer task a process, which gathers the jobs that
//! arrived while it was committing and commits them together (group commit). A disk
//! allows only so many fsyncs a second; sharing them lets throughput grow with load
//! while each job still waits for its own durable commit. A batch that fails is retried
//! job by job, so one bad job never takes others down with it.
//!
//! Must never: store an answer, identity number, e-mail address or token in the clear.
//! Submissions arrive sealed; tokens arrive hashed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::{mpsc, oneshot};

use crate::clock::Timestamp;

/// Jobs gathered into one commit, at most.
const MAX_BATCH: usize = 256;
/// Jobs that may wait for the writer before callers wait for room.
const QUEUE_DEPTH: usize = 4096;
/// The size of SQLite's WAL file past which the writer restarts the WAL
/// ([`restart_long_wal`]); a restarted WAL file is cut back to it.
const WAL_LIMIT: u64 = 16 << 20;

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the backend's pool. The SQL is the same text for both
/// backends: SQLite accepts PostgreSQL's `$1` parameters.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

/// The columns [`meta_from_row`] reads.
macro_rules! meta_columns {
    () => {
        "id, reference, form_id, queue, status, received_at, retain_until, taken_by"
    };
}

mod newsletters;
mod transfer;
use newsletters::SUBSCRIPTION_COLUMNS;
pub use newsletters::{Confirmed, Newsletter, SubscriptionRow};

/// The status of a submission in its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    New,
    /// Taken by a caseworker.
    InProgress,
    Done,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::InProgress => "in_progress",
            Status::Done => "done",
        }
    }
}

impl FromStr for Status {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, StoreError> {
        match s {
            "new" => Ok(Status::New),
            "in_progress" => Ok(Status::InProgress),
            "done" => Ok(Status::Done),
            other => Err(StoreError::Corrupt(format!("unknown status '{other}'"))),
        }
    }
}

/// A submission to store: metadata and the sealed answers.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub id: String,
    pub reference: String,
    pub form_id: String,
    pub schema_sha256: String,
    pub queue: String,
    pub received_at: Timestamp,
    pub retain_until: Timestamp,
    pub sealed: Vec<u8>,
    /// The sender after login: the keyed HMAC of their identity number.
    pub citizen: Option<String>,
    /// The address for the answer, encrypted with the field vault.
    pub reply_to: Option<Vec<u8>>,
    /// On a privacy request: the sender's e-mail address from KRR, encrypted with the
    /// field vault, to find their newsletter subscriptions by.
    pub contact_address: Option<Vec<u8>>,
    /// The citizen ticked the form's consent to hand the case to another body.
    pub handover_consent: bool,
}

/// What a caseworker may see without decrypting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionMeta {
    pub id: String,
    pub reference: String,
    pub form_id: String,
    pub queue: String,
    pub status: Status,
    pub received_at: Timestamp,
    /// When retention deletes it.
    pub retain_until: Timestamp,
    /// The caseworker (id) who took the case, while it is in progress or done.
    pub taken_by: Option<String>,
}

/// A submission as its sender's access request reports it: what is stored beside its
/// sealed answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub meta: SubmissionMeta,
    /// An e-mail address for the answer is kept (encrypted with the field vault).
    pub reply_address: bool,
    pub handover_consent: bool,
    /// How many notes caseworkers have added (sealed to the queue).
    pub notes: i64,
}

/// A submission that has left a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gone {
    pub reference: String,
    /// When it was deleted, or forwarded.
    pub at: Timestamp,
    /// Forwarded to another queue, rather than deleted.
    pub forwarded: bool,
    /// The queue it is in now, if it was forwarded and is still stored.
    pub now_in: Option<String>,
}

/// How many submissions of one queue have one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCount {
    pub queue: String,
    pub status: Status,
    pub count: i64,
    /// When the oldest of them arrived.
    pub oldest: Timestamp,
}

/// A caseworker's note on a case, sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: String,
    pub submission_id: String,
    pub at: Timestamp,
    /// The caseworker's id.
    pub author: String,
    pub sealed: Vec<u8>,
}

/// One line of the audit log. Ids and references only, never content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: String,
    pub action: &'static str,
    pub submission_id: Option<String>,
    pub queue: Option<String>,
}

impl AuditEntry {
    /// An administrator's action on no one submission (caseworkers, keys, copies).
    pub fn by_admin(action: &'static str, at: Timestamp) -> AuditEntry {
        AuditEntry {
            at,
            actor: actors::ADMIN.into(),
            action,
            submission_id: None,
            queue: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caseworker {
    pub id: String,
    pub name: String,
    pub queues: Vec<String>,
    pub created_at: Timestamp,
    /// After this the token opens nothing; `None`: it does not expire.
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl Caseworker {
    /// Whether the token still opens anything at `now`.
    pub fn active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| now < t)
    }
}

/// A column that holds field-vault ciphertexts. Each value is bound to its place
/// (table, column, row key), so the place is named here once, beside the SQL that
/// reads and replaces the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultColumn {
    /// `submissions.reply_to`: the address a reply by e-mail goes to.
    ReplyAddress,
    /// `sessions.data`: a login session.
    Session,
    /// `subscriptions.data`: a newsletter subscriber's address and topics.
    Subscription,
    /// `submissions.contact_address`: the KRR address of a privacy request's sender.
    ContactAddress,
}

impl VaultColumn {
    pub const ALL: [VaultColumn; 4] = [
        VaultColumn::ReplyAddress,
        VaultColumn::Session,
        VaultColumn::Subscription,
        VaultColumn::ContactAddress,
    ];

    /// Where a value of this column in `row` lives, bound into its ciphertext.
    pub fn place(self, row: &str) -> forms_crypto::vault::Place<'_> {
        let (table, column) = match self {
            VaultColumn::ReplyAddress => ("submissions", "reply_to"),
            VaultColumn::Session => ("sessions", "data"),
            VaultColumn::Subscription => ("subscriptions", "data"),
            VaultColumn::ContactAddress => ("submissions", "contact_address"),
        };
        forms_crypto::vault::Place { table, column, row }
    }

    /// Up to `$2` rows with a value, keys after `$1`, in key order.
    fn page_sql(self) -> &'static str {
        match self {
            VaultColumn::ReplyAddress => {
                "SELECT id, reply_to FROM submissions WHERE reply_to IS NOT NULL AND id > $1 \
                 ORDER BY id LIMIT $2"
            }
            VaultColumn::Session => {
                "SELECT id_hash, data FROM sessions WHERE id_hash > $1 ORDER BY id_hash LIMIT $2"
            }
            VaultColumn::Subscription => {
                "SELECT id, data FROM subscriptions WHERE id > $1 ORDER BY id LIMIT $2"
            }
            VaultColumn::ContactAddress => {
                "SELECT id, contact_address FROM submissions \
                 WHERE contact_address IS NOT NULL AND id > $1 ORDER BY id LIMIT $2"
            }
        }
    }

    /// Sets `$1` where the key is `$2` and the value is still `$3`.
    fn replace_sql(self) -> &'static str {
        match self {
            VaultColumn::ReplyAddress => {
                "UPDATE submissions SET reply_to = $1 WHERE id = $2 AND reply_to = $3"
            }
            VaultColumn::Session => {
                "UPDATE sessions SET data = $1 WHERE id_hash = $2 AND data = $3"
            }
            VaultColumn::Subscription => {
                "UPDATE subscriptions SET data = $1 WHERE id = $2 AND data = $3"
            }
            VaultColumn::ContactAddress => {
                "UPDATE submissions SET contact_address = $1 \
                 WHERE id = $2 AND contact_address = $3"
            }
        }
    }
}

/// One change to the database. A job is a list of these, applied in one transaction.
#[derive(Debug, Clone)]
pub enum Op {
    InsertSubmission(NewSubmission),
    SetStatus {
        id: String,
        status: Status,
    },
    Audit(AuditEntry),
    AddCaseworker {
        id: String,
        name: String,
        token_hash: String,
        queues: Vec<String>,
        created_at: Timestamp,
        expires_at: Option<Timestamp>,
    },
    /// A submission's ciphertext replaced by one sealed to the queue's current keys.
    ReplaceSealed {
        id: String,
        sealed: Vec<u8>,
    },
    /// A submission moved to another queue, sealed to that queue's recipients; it
    /// starts there as new. The queue it left keeps a record of it (reference and
    /// time, read from the row before the move), so that its caseworkers delete their
    /// copies.
    MoveSubmission {
        id: String,
        queue: String,
        sealed: Vec<u8>,
        at: Timestamp,
    },
    /// The citizen's consent to a handover, recorded by a caseworker.
    RecordConsent {
        id: String,
    },
    /// A case taken by a caseworker: in progress, by them.
    TakeSubmission {
        id: String,
        caseworker: String,
    },
    AddNote(Note),
    /// A vault value re-encrypted under the newest key. Only if the row still holds
    /// `old`: a value the server changed or deleted meanwhile is left to it.
    ReplaceVaultValue {
        column: VaultColumn,
        row: String,
        old: Vec<u8>,
        new: Vec<u8>,
    },
    /// The reply address of a submission deleted (the answer has gone).
    ForgetReplyAddress {
        id: String,
    },
    /// A submission deleted with its notes; a tombstone keeps its reference, form,
    /// queue and times for the audit report. Fails with [`StoreError::Gone`] if it is
    /// no longer there (another server deleted it first), so that its audit entry is
    /// not written twice.
    DeleteSubmission {
        id: String,
        at: Timestamp,
    },
    /// Ends a caseworker's token for good.
    RevokeCaseworker {
        id: String,
        at: Timestamp,
    },
    /// Creates or replaces a session row.
    PutSession(SessionRow),
    DeleteSession {
        id_hash: String,
    },
    /// Front-channel logout: every session of one ID-porten `sid`.
    DeleteSessionsBySid {
        sid_hash: String,
    },
    /// Sessions last used before this time.
    DeleteSessionsIdleSince {
        before: Timestamp,
    },
    /// One more submission from `source` (the keyed HMAC of a network address) at `now`,
    /// in the slot `now` falls in. The writer refuses the job with
    /// [`StoreError::OverLimit`] if the source has sent `per_hour` in the hour before
    /// (see [`crate::limit`]).
    CountSubmission {
        source: String,
        per_hour: u32,
        now: Timestamp,
    },
    /// The submission counts of the slots that started before this time.
    DeleteSubmissionCountsBefore {
        before: Timestamp,
    },
    /// One refusal by the content guard, counted under each kind it found.
    CountGuardRefusal {
        /// `YYYY-MM-DD`, Norwegian time.
        day: String,
        form_id: String,
        kinds: Vec<&'static str>,
    },
    /// A newsletter subscription, awaiting its confirmation.
    PutSubscription(SubscriptionRow),
    /// A subscription confirmed; the address's other subscriptions to the same form
    /// (found by any of `address_keys`, the address's key under each vault key) go.
    /// [`StoreError::Gone`] if it is no longer there.
    ConfirmSubscription {
        id: String,
        at: Timestamp,
        retain_until: Timestamp,
        address_keys: Vec<String>,
    },
    /// A subscription's address key derived anew (under the newest vault key), if it
    /// still holds `old`.
    ReplaceAddressKey {
        id: String,
        old: String,
        new: String,
    },
    /// A subscription's data changed (its topics); [`StoreError::Gone`] if it is no
    /// longer there.
    UpdateSubscription {
        id: String,
        data: Vec<u8>,
        retain_until: Timestamp,
    },
    /// A subscription ended by its subscriber.
    DeleteSubscription {
        id: String,
    },
    /// The subscriptions whose time ended by `now`, confirmed or not.
    DeleteSubscriptionsEndedBy {
        now: Timestamp,
    },
    AddNewsletter(Newsletter),
    /// A newsletter's delivery taken on by this server until `until`;
    /// [`StoreError::Gone`] if another holds it or it is finished.
    ClaimNewsletter {
        id: String,
        now: Timestamp,
        until: Timestamp,
    },
    /// Delivery up to the subscription `cursor`: `sent` and `failed` more mails.
    NewsletterProgress {
        id: String,
        cursor: String,
        sent: i64,
        failed: i64,
        /// Subscriptions ended by [`Op::SubscriptionsRefused`] in the same write.
        ended: i64,
        until: Timestamp,
        finished_at: Option<Timestamp>,
    },
    /// The mail server refused a newsletter for good at these subscriptions' addresses:
    /// one more refusal each (after none, if the newsletter it last took has since
    /// arrived), and those at `end_at` refusals are deleted.
    SubscriptionsRefused {
        ids: Vec<String>,
        end_at: i64,
    },
    /// The mail server took `newsletter` for these subscriptions' addresses: it is
    /// their `last_taken` until a bounce mail for it comes back or the next newsletter
    /// goes out, and the one taken before has arrived, so their refusals start over.
    SubscriptionsTaken {
        ids: Vec<String>,
        newsletter: String,
    },
    /// A bounce mail came back for `newsletter` at the subscription's address: a
    /// refusal, counted if the newsletter is still its `last_taken` (otherwise
    /// [`StoreError::Gone`]: the bounce is late, came twice, or names another). At
    /// `end_at` refusals the subscription is deleted and counted as ended by the
    /// newsletter.
    SubscriptionBounced {
        id: String,
        newsletter: String,
        end_at: i64,
    },
}

impl Op {
    /// The statement of an op that changes the rows of one key, and the key.
    fn by_key(&self) -> Option<(&'static str, &str)> {
        match self {
            Op::DeleteSession { id_hash } => {
                Some(("DELETE FROM sessions WHERE id_hash = $1", id_hash))
            }
            Op::DeleteSessionsBySid { sid_hash } => {
                Some(("DELETE FROM sessions WHERE sid_hash = $1", sid_hash))
            }
            Op::RecordConsent { id } => Some((
                "UPDATE submissions SET handover_consent = 1 WHERE id = $1",
                id,
            )),
            Op::ForgetReplyAddress { id } => {
                Some(("UPDATE submissions SET reply_to = NULL WHERE id = $1", id))
            }
            Op::DeleteSubscription { id } => Some(("DELETE FROM subscriptions WHERE id = $1", id)),
            _ => None,
        }
    }
}

/// Refusals by the content guard on one day, for one form and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardRefusals {
    pub day: String,
    pub form_id: String,
    pub kind: String,
    pub count: i64,
}

/// A session as stored: hashes, times, and the vault-encrypted data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id_hash: String,
    pub sid_hash: Option<String>,
    pub created_at: Timestamp,
    pub last_seen: Timestamp,
    pub data: Vec<u8>,
}

#[derive(Debug)]
pub enum StoreError {
    /// A unique value (such as a reference number) is taken.
    Conflict,
    /// The database could not be reached or refused the work.
    Database(String),
    /// Stored data is not what this version expects.
    Corrupt(String),
    /// The writer has stopped (the server is shutting down).
    Closed,
    /// What was to be deleted is no longer there.
    Gone,
    /// The source of a counted submission has sent its hour's share; it may send again
    /// after this many seconds. Nothing of the job was written.
    OverLimit(u64),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Conflict => f.write_str("a unique value is already taken"),
            StoreError::Database(msg) => write!(f, "database error: {msg}"),
            StoreError::Corrupt(msg) => write!(f, "unexpected stored data: {msg}"),
            StoreError::Closed => f.write_str("the store is shut down"),
            StoreError::Gone => f.write_str("already deleted"),
            StoreError::OverLimit(seconds) => {
                write!(f, "over the hourly limit; again in {seconds} s")
            }
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            // The message of a database error names tables and constraints, never values,
            // since every value is bound as a parameter.
            _ => StoreError::Database(err.to_string()),
        }
    }
}

struct Job {
    ops: Vec<Op>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The database, shared by every request of the process.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    writer: mpsc::Sender<Job>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        };
        write!(f, "Store({backend})")
    }
}

impl Store {
    /// Opens the database named by `url` (`sqlite://PATH` or `postgres://…`), creating
    /// a SQLite file if missing, and brings its schema up to date. Must be called
    /// inside a Tokio runtime: it starts the writer task.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let pool = connect(url).await?;
        on_pool!(&pool, p => migrate(p, url).await)?;
        if let Pool::Sqlite(sqlite) = &pool {
            tokio::spawn(checkpoints(sqlite.clone()));
        }
        let (writer, jobs) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(writer_loop(pool.clone(), jobs));
        Ok(Store { pool, writer })
    }

    /// Applies `ops` in one transaction; returns after the commit is durable.
    pub async fn write(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        let (done, result) = oneshot::channel();
        self.writer
            .send(Job { ops, done })
            .await
            .map_err(|_| StoreError::Closed)?;
        result.await.map_err(|_| StoreError::Closed)?
    }

    /// Submissions of a queue, oldest first; only those with `status` if given.
    pub async fn list_queue(
        &self,
        queue: &str,
        status: Option<Status>,
    ) -> Result<Vec<SubmissionMeta>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            meta_columns!(),
            " FROM submissions WHERE queue = $1 AND ($2 = '' OR status = $2) \
             ORDER BY received_at, reference"
        );
        let status = status.map(Status::as_str).unwrap_or("");
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(SQL).bind(queue).bind(status).fetch_all(p).await?;
            rows.iter().map(meta_from_row).collect()
        })
    }

    /// A submission's metadata, without its sealed answers.
    pub async fn meta(&self, id: &str) -> Result<Option<SubmissionMeta>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            meta_columns!(),
            " FROM submissions WHERE id = $1"
        );
        on_pool!(&self.pool, p => {
            let row = sqlx::query(SQL).bind(id).fetch_optional(p).await?;
            row.as_ref().map(meta_from_row).transpose()
        })
    }

    /// A submission's metadata and its sealed answers.
    pub async fn sealed(&self, id: &str) -> Result<Option<(SubmissionMeta, Vec<u8>)>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            meta_columns!(),
            ", sealed FROM submissions WHERE id = $1"
        );
        on_pool!(&self.pool, p => {
            let row = sqlx::query(SQL).bind(id).fetch_optional(p).await?;
            row.map(|row| Ok((meta_from_row(&row)?, row.try_get("sealed")?)))
                .transpose()
        })
    }

    /// The caseworker holding the token with this SHA-256, with their queues.
    pub async fn caseworker_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<Caseworker>, StoreError> {
        const SQL: &str = "SELECT c.id, c.name, c.created_at, c.expires_at, c.revoked_at, \
             q.queue FROM caseworkers c \
             LEFT JOIN caseworker_queues q ON q.caseworker_id = c.id \
             WHERE c.token_hash = $1 ORDER BY q.queue";
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(SQL).bind(token_hash).fetch_all(p).await?;
            Ok(caseworkers_from_rows(&rows)?.pop())
        })
    }

    /// The notes on a case, oldest first.
    pub async fn notes(&self, submission_id: &str) -> Result<Vec<Note>, StoreError> {
        const SQL: &str = "SELECT id, submission_id, at, author, sealed FROM notes \
             WHERE submission_id = $1 ORDER BY at, id";
        type Row = (String, String, i64, String, Vec<u8>);
        let rows: Vec<Row> = on_pool!(&self.pool, p => {
            sqlx::query_as(SQL).bind(submission_id).fetch_all(p).await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, submission_id, at, author, sealed)| Note {
                id,
                submission_id,
                at: Timestamp(at),
                author,
                sealed,
            })
            .collect())
    }

    /// Whether the citizen consented to handing the submission to another body.
    pub async fn handover_consent(&self, id: &str) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT handover_consent FROM submissions WHERE id = $1";
        on_pool!(&self.pool, p => {
            let row: Option<(i32,)> = sqlx::query_as(SQL).bind(id).fetch_optional(p).await?;
            Ok(row.is_some_and(|(c,)| c != 0))
        })
    }

    /// The vault-encrypted reply address of a submission, if one is kept.
    pub async fn reply_address(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        const SQL: &str = "SELECT reply_to FROM submissions WHERE id = $1";
        on_pool!(&self.pool, p => {
            let row: Option<(Option<Vec<u8>>,)> =
                sqlx::query_as(SQL).bind(id).fetch_optional(p).await?;
            Ok(row.and_then(|(r,)| r))
        })
    }

    /// A page of a vault column's values: up to `limit` rows whose key comes after
    /// `after` (`""` for the first page), as (key, ciphertext), in key order.
    pub async fn vault_values(
        &self,
        column: VaultColumn,
        after: &str,
        limit: u32,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        on_pool!(&self.pool, p => {
            Ok(sqlx::query_as(column.page_sql())
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(p)
                .await?)
        })
    }

    /// Every caseworker, oldest first, with their queues.
    pub async fn caseworkers(&self) -> Result<Vec<Caseworker>, StoreError> {
        const SQL: &str = "SELECT c.id, c.name, c.created_at, c.expires_at, c.revoked_at, \
             q.queue FROM caseworkers c \
             LEFT JOIN caseworker_queues q ON q.caseworker_id = c.id \
             ORDER BY c.created_at, c.id, q.queue";
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(SQL).fetch_all(p).await?;
            caseworkers_from_rows(&rows)
        })
    }

    /// How many submissions each queue holds in each status, and when the oldest of
    /// them arrived: counts only, for the administrator's overview.
    pub async fn queue_counts(&self) -> Result<Vec<QueueCount>, StoreError> {
        const SQL: &str = "SELECT queue, status, COUNT(*), MIN(received_at) FROM submissions \
             GROUP BY queue, status ORDER BY queue, status";
        let rows: Vec<(String, String, i64, i64)> = on_pool!(&self.pool, p => {
            sqlx::query_as(SQL).fetch_all(p).await?
        });
        rows.into_iter()
            .map(|(queue, status, count, oldest)| {
                Ok(QueueCount {
                    queue,
                    status: status.parse()?,
                    count,
                    oldest: Timestamp(oldest),
                })
            })
            .collect()
    }

    /// Every caseworker's name by id (a short table), to say who did what.
    pub async fn caseworker_names(&self) -> Result<BTreeMap<String, String>, StoreError> {
        Ok(self
            .caseworkers()
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect())
    }

    /// Audit entries from `from` up to (not including) `to`, oldest first, each with the
    /// reference of its submission where there is one.
    pub async fn audit_between(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(AuditEntry, Option<String>)>, StoreError> {
        const SQL: &str = "SELECT a.at, a.actor, a.action, a.submission_id, a.queue, \
             COALESCE(s.reference, d.reference) FROM audit_log a \
             LEFT JOIN submissions s ON s.id = a.submission_id \
             LEFT JOIN deleted_submissions d ON d.id = a.submission_id \
             WHERE a.at >= $1 AND a.at < $2 ORDER BY a.seq";
        type Row = (
            i64,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = on_pool!(&self.pool, p => {
            sqlx::query_as(SQL).bind(from.0).bind(to.0).fetch_all(p).await?
        });
        rows.into_iter()
            .map(|(at, actor, action, submission_id, queue, reference)| {
                Ok((
                    audit_entry((at, actor, action, submission_id, queue))?,
                    reference,
                ))
            })
            .collect()
    }

    /// Up to `limit` submissions whose retention ended before `now`: id and queue,
    /// the longest expired first.
    pub async fn expired(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        const SQL: &str = "SELECT id, queue FROM submissions WHERE retain_until <= $1 \
             ORDER BY retain_until LIMIT $2";
        Ok(on_pool!(&self.pool, p => {
            sqlx::query_as(SQL).bind(now.0).bind(limit).fetch_all(p).await?
        }))
    }

    /// The submissions that have left `queue` at `since` or later (all of them without
    /// it), oldest first: those deleted there (retention or erasure, from their
    /// tombstones) and those forwarded from it, with the queue each forwarded one is in
    /// now, if it is still stored.
    pub async fn gone_from(
        &self,
        queue: &str,
        since: Option<Timestamp>,
    ) -> Result<Vec<Gone>, StoreError> {
        const SQL: &str = "SELECT reference, deleted_at AS at, 0 AS forwarded, \
             CAST(NULL AS TEXT) AS now_in FROM deleted_submissions \
             WHERE queue = $1 AND deleted_at >= $2 \
             UNION ALL \
             SELECT m.reference, m.moved_at AS at, 1 AS forwarded, s.queue AS now_in \
             FROM moved_submissions m LEFT JOIN submissions s ON s.id = m.submission_id \
             WHERE m.from_queue = $1 AND m.moved_at >= $2 \
             ORDER BY at, reference";
        let since = since.map_or(i64::MIN, |t| t.0);
        let rows: Vec<(String, i64, i32, Option<String>)> = on_pool!(&self.pool, p => {
            sqlx::query_as(SQL).bind(queue).bind(since).fetch_all(p).await?
        });
        Ok(rows
            .into_iter()
            .map(|(reference, at, forwarded, now_in)| Gone {
                reference,
                at: Timestamp(at),
                forwarded: forwarded != 0,
                now_in,
            })
            .collect())
    }

    /// The audit log, oldest first.
    pub async fn audit_log(&self) -> Result<Vec<AuditEntry>, StoreError> {
        const SQL: &str =
            "SELECT at, actor, action, submission_id, queue FROM audit_log ORDER BY seq";
        let rows: Vec<AuditRow> = on_pool!(&self.pool, p => {
            sqlx::query_as(SQL).fetch_all(p).await?
        });
        rows.into_iter().map(audit_entry).collect()
    }

    /// The audit entries on one submission, oldest first.
    pub async fn audit_of(&self, submission_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        const SQL: &str = "SELECT at, actor, action, submission_id, queue FROM audit_log \
             WHERE submission_id = $1 ORDER BY seq";
        let rows: Vec<AuditRow> = on_pool!(&self.pool, p => {
            sqlx::query_as(SQL).bind(submission_id).fetch_all(p).await?
        });
        rows.into_iter().map(audit_entry).collect()
    }

    /// The audit entries on the submissions stored of one citizen (by the HMAC of
    /// their identity number), oldest first.
    pub async fn audit_about(&self, citizen: &str) -> Result<Vec<AuditEntry>, StoreError> {
        const SQL: &str = "SELECT a.at, a.actor, a.action, a.submission_id, a.queue \
             FROM audit_log a JOIN submissions s ON s.id = a.submission_id \
             WHERE s.citizen = $1 ORDER BY a.seq";
        let rows: Vec<AuditRow> = on_pool!(&self.pool, p => {
            sqlx::query_as(SQL).bind(citizen).fetch_all(p).await?
        });
        rows.into_iter().map(audit_entry).collect()
    }

    /// How many submissions are stored.
    pub async fn count_submissions(&self) -> Result<i64, StoreError> {
        on_pool!(&self.pool, p => {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM submissions").fetch_one(p).await?;
            Ok(row.try_get::<i64, _>("n")?)
        })
    }

    /// Whether the database answers; for the health endpoint.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(&self.pool, p => {
            sqlx::query("SELECT 1").execute(p).await?;
            Ok(())
        })
    }

    /// A session row by the hash of its id.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        const SQL: &str = "SELECT id_hash, sid_hash, created_at, last_seen, data FROM sessions WHERE id_hash = $1";
        on_pool!(&self.pool, p => {
            let row = sqlx::query(SQL).bind(id_hash).fetch_optional(p).await?;
            row.map(|row| -> Result<SessionRow, StoreError> {
                Ok(SessionRow {
                    id_hash: row.try_get("id_hash")?,
                    sid_hash: row.try_get("sid_hash")?,
                    created_at: Timestamp(row.try_get("created_at")?),
                    last_seen: Timestamp(row.try_get("last_seen")?),
                    data: row.try_get("data")?,
                })
            })
            .transpose()
        })
    }

    /// The submissions of one citizen (by the HMAC of their identity number), newest
    /// first.
    pub async fn submissions_of(&self, citizen: &str) -> Result<Vec<SubmissionMeta>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            meta_columns!(),
            " FROM submissions WHERE citizen = $1 ORDER BY received_at DESC, reference"
        );
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(SQL).bind(citizen).fetch_all(p).await?;
            rows.iter().map(meta_from_row).collect()
        })
    }

    /// What is stored of one citizen (by the HMAC of their identity number) beside the
    /// sealed answers, for their access request: each submission, newest first.
    pub async fn held_about(&self, citizen: &str) -> Result<Vec<Held>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            meta_columns!(),
            ", CASE WHEN reply_to IS NULL THEN 0 ELSE 1 END AS reply_address, \
             handover_consent, \
             (SELECT COUNT(*) FROM notes n WHERE n.submission_id = s.id) AS notes \
             FROM submissions s WHERE citizen = $1 ORDER BY received_at DESC, reference"
        );
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(SQL).bind(citizen).fetch_all(p).await?;
            rows.iter()
                .map(|row| {
                    Ok(Held {
                        meta: meta_from_row(row)?,
                        reply_address: row.try_get::<i32, _>("reply_address")? != 0,
                        handover_consent: row.try_get::<i32, _>("handover_consent")? != 0,
                        notes: row.try_get("notes")?,
                    })
                })
                .collect()
        })
    }

    /// The KRR address kept with a privacy request, encrypted with the field vault.
    pub async fn contact_address_of(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        const SQL: &str = "SELECT contact_address FROM submissions WHERE id = $1";
        on_pool!(&self.pool, p => {
            let row: Option<(Option<Vec<u8>>,)> =
                sqlx::query_as(SQL).bind(id).fetch_optional(p).await?;
            Ok(row.and_then(|(c,)| c))
        })
    }

    /// The sender of a submission after login: the HMAC of their identity number.
    pub async fn citizen_of(&self, id: &str) -> Result<Option<String>, StoreError> {
        const SQL: &str = "SELECT citizen FROM submissions WHERE id = $1";
        on_pool!(&self.pool, p => {
            let row: Option<(Option<String>,)> =
                sqlx::query_as(SQL).bind(id).fetch_optional(p).await?;
            Ok(row.and_then(|(c,)| c))
        })
    }

    /// Checks the audit log's hash chain from the first entry to the head.
    pub async fn verify_audit(&self) -> Result<AuditVerdict, StoreError> {
        const ROWS: &str = "SELECT seq, at, actor, action, submission_id, queue, hash \
             FROM audit_log ORDER BY seq";
        const HEAD: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";
        type Row = (
            i64,
            i64,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let (rows, head): (Vec<Row>, Option<(i64, String)>) = on_pool!(&self.pool, p => {
            let rows = sqlx::query_as(ROWS).fetch_all(p).await?;
            let head = sqlx::query_as(HEAD).fetch_optional(p).await?;
            (rows, head)
        });
        // The chain starts after the entries from before it, with the hash "".
        let mut last: (i64, String) = (0, String::new());
        let mut legacy = 0;
        let mut entries = 0;
        for (seq, at, actor, action, submission_id, queue, hash) in rows {
            let Some(hash) = hash else {
                if entries > 0 {
                    let why = "has no hash, after the chain began".to_string();
                    return Ok(AuditVerdict::Broken { seq, why });
                }
                legacy += 1;
                last.0 = seq;
                continue;
            };
            let Ok(action) = audit_action(&action) else {
                let why = format!("names an unknown action '{action}'");
                return Ok(AuditVerdict::Broken { seq, why });
            };
            let entry = AuditEntry {
                at: Timestamp(at),
                actor,
                action,
                submission_id,
                queue,
            };
            if audit_hash(&last.1, seq, &entry) != hash {
                let why = "does not match its content or the entry before it (edited, \
                           moved, or an entry before it removed)"
                    .to_string();
                return Ok(AuditVerdict::Broken { seq, why });
            }
            entries += 1;
            last = (seq, hash);
        }
        match head {
            Some(head) if head == last => Ok(AuditVerdict::Intact { entries, legacy }),
            Some((seq, _)) => {
                let why = "is the newest entry by the chain's head, but it is missing or differs \
                           (entries removed from the end)"
                    .to_string();
                Ok(AuditVerdict::Broken { seq, why })
            }
            None => {
                let why = "is the last entry, and the chain's head is missing".to_string();
                Ok(AuditVerdict::Broken { seq: last.0, why })
            }
        }
    }

    /// The content guard's refusal counts from `since` (`YYYY-MM-DD`) on, by day, form
    /// and kind.
    pub async fn guard_refusals(&self, since: &str) -> Result<Vec<GuardRefusals>, StoreError> {
        const SQL: &str = "SELECT day, form_id, kind, count FROM guard_refusals \
             WHERE day >= $1 ORDER BY day, form_id, kind";
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(SQL).bind(since).fetch_all(p).await?;
            rows.iter()
                .map(|row| {
                    Ok(GuardRefusals {
                        day: row.try_get("day")?,
                        form_id: row.try_get("form_id")?,
                        kind: row.try_get("kind")?,
                        count: row.try_get("count")?,
                    })
                })
                .collect()
        })
    }

    /// Copies a SQLite database, consistent and compact, into the empty file at `path`
    /// (`VACUUM INTO`, which reads in one transaction while servers keep writing).
    /// PostgreSQL has `pg_dump` for this, so it is refused there.
    pub async fn copy_into(&self, path: &Path) -> Result<(), StoreError> {
        let Pool::Sqlite(pool) = &self.pool else {
            return Err(StoreError::Database(
                "a PostgreSQL database is copied with pg_dump, which gives a consistent \
                 copy while servers run"
                    .into(),
            ));
        };
        let path = path.to_str().ok_or_else(|| {
            StoreError::Database(format!("{} is not a UTF-8 path", path.display()))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Closes the pool after the writer has finished its work.
    pub async fn close(self) {
        let Store { pool, writer } = self;
        drop(writer);
        on_pool!(pool, p => p.close().await);
    }
}

/// Caseworkers from rows of one caseworker a queue (a caseworker's rows together).
fn caseworkers_from_rows<R>(rows: &[R]) -> Result<Vec<Caseworker>, StoreError>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let mut all: Vec<Caseworker> = Vec::new();
    for row in rows {
        let id: String = row.try_get("id")?;
        if all.last().is_none_or(|c| c.id != id) {
            all.push(Caseworker {
                id,
                name: row.try_get("name")?,
                queues: Vec::new(),
                created_at: Timestamp(row.try_get("created_at")?),
                expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(Timestamp),
                revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(Timestamp),
            });
        }
        if let Some(queue) = row.try_get::<Option<String>, _>("queue")?
            && let Some(cw) = all.last_mut()
        {
            cw.queues.push(queue);
        }
    }
    Ok(all)
}

/// A submission's metadata from a row of either backend.
fn meta_from_row<R>(row: &R) -> Result<SubmissionMeta, StoreError>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(SubmissionMeta {
        id: row.try_get("id")?,
        reference: row.try_get("reference")?,
        form_id: row.try_get("form_id")?,
        queue: row.try_get("queue")?,
        status: row.try_get::<String, _>("status")?.parse()?,
        received_at: Timestamp(row.try_get("received_at")?),
        retain_until: Timestamp(row.try_get("retain_until")?),
        taken_by: row.try_get("taken_by")?,
    })
}

/// An audit entry's columns as read: at, actor, action, submission id, queue.
type AuditRow = (i64, String, String, Option<String>, Option<String>);

fn audit_entry(
    (at, actor, action, submission_id, queue): AuditRow,
) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        at: Timestamp(at),
        actor,
        action: audit_action(&action)?,
        submission_id,
        queue,
    })
}

/// Who an audit entry names besides caseworkers (`caseworker:ID`) and retention
/// ([`crate::privacy::retention::ACTOR`]).
pub mod actors {
    /// A citizen: the log never says which one.
    pub const CITIZEN: &str = "citizen";
    pub const ADMIN: &str = "admin";
    const CASEWORKER: &str = "caseworker:";

    /// The actor of a caseworker's entries: their id, never their name.
    pub fn caseworker(id: &str) -> String {
        format!("{CASEWORKER}{id}")
    }

    /// The caseworker's id, if `actor` is one.
    pub fn caseworker_id(actor: &str) -> Option<&str> {
        actor.strip_prefix(CASEWORKER)
    }

    /// The caseworker's name, if `actor` is one whose name `names` (by id) holds.
    pub fn name_of<'a>(
        actor: &str,
        names: &'a std::collections::BTreeMap<String, String>,
    ) -> Option<&'a str> {
        caseworker_id(actor)
            .and_then(|id| names.get(id))
            .map(String::as_str)
    }
}

/// Audit actions are a closed set, so that no free text can enter the log.
pub mod actions {
    pub const SUBMISSION_RECEIVED: &str = "submission.received";
    pub const QUEUE_LISTED: &str = "queue.listed";
    pub const SUBMISSION_FETCHED: &str = "submission.fetched";
    pub const SUBMISSION_DONE: &str = "submission.done";
    pub const CASEWORKER_ADDED: &str = "caseworker.added";
    pub const CASEWORKER_REVOKED: &str = "caseworker.revoked";
    pub const SUBMISSION_RESEALED: &str = "submission.resealed";
    pub const SUBMISSION_FORWARDED: &str = "submission.forwarded";
    pub const SUBMISSION_REPLIED: &str = "submission.replied";
    pub const CONSENT_RECORDED: &str = "consent.recorded";
    pub const SUBMISSION_TAKEN: &str = "submission.taken";
    pub const NOTE_ADDED: &str = "note.added";
    pub const NOTES_FETCHED: &str = "notes.fetched";
    pub const CITIZEN_LOGIN: &str = "citizen.login";
    pub const SUBMISSION_HANDED_OVER: &str = "submission.handed_over";
    pub const SUBMISSION_DELETED: &str = "submission.deleted";
    pub const SUBMISSION_ERASED: &str = "submission.erased";
    pub const DELETIONS_LISTED: &str = "queue.deletions_listed";
    pub const VAULT_REKEYED: &str = "vault.rekeyed";
    pub const DATABASE_COPIED: &str = "database.copied";
    pub const SUBJECT_ACCESS_REPORTED: &str = "subject_access.reported";
    pub const SUBJECT_ERASURE_DONE: &str = "subject_erasure.done";
    pub const NEWSLETTER_SENT: &str = "newsletter.sent";
    pub const DATABASE_MOVED: &str = "database.moved";
    pub const ALL: &[&str] = &[
        SUBMISSION_RECEIVED,
        QUEUE_LISTED,
        SUBMISSION_FETCHED,
        SUBMISSION_DONE,
        CASEWORKER_ADDED,
        CASEWORKER_REVOKED,
        SUBMISSION_RESEALED,
        SUBMISSION_FORWARDED,
        SUBMISSION_REPLIED,
        CONSENT_RECORDED,
        SUBMISSION_HANDED_OVER,
        SUBMISSION_TAKEN,
        NOTE_ADDED,
        NOTES_FETCHED,
        CITIZEN_LOGIN,
        SUBMISSION_DELETED,
        SUBMISSION_ERASED,
        DELETIONS_LISTED,
        VAULT_REKEYED,
        DATABASE_COPIED,
        SUBJECT_ACCESS_REPORTED,
        SUBJECT_ERASURE_DONE,
        NEWSLETTER_SENT,
        DATABASE_MOVED,
    ];
}

fn audit_action(text: &str) -> Result<&'static str, StoreError> {
    actions::ALL
        .iter()
        .find(|a| **a == text)
        .copied()
        .ok_or_else(|| StoreError::Corrupt(format!("unknown audit action '{text}'")))
}

async fn connect(url: &str) -> Result<Pool, StoreError> {
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit in WAL mode is on disk before the receipt is given.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // A deleted submission's pages are overwritten, not left in free space.
            .pragma("secure_delete", "on")
            // No commit stops to copy the WAL into the database file; [`checkpoints`]
            // does that beside the writer, so a receipt never waits for it.
            .pragma("wal_autocheckpoint", "0")
            // A WAL that grew under load shrinks again once it starts over.
            .pragma("journal_size_limit", WAL_LIMIT.to_string());
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(Pool::Sqlite(pool))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Pool::Postgres(pool))
    } else {
        Err(StoreError::Database(
            "the database URL must start with sqlite: or postgres:".into(),
        ))
    }
}

async fn migrate<DB: sqlx::Database>(pool: &sqlx::Pool<DB>, url: &str) -> Result<(), StoreError>
where
    <DB as sqlx::Database>::Connection: sqlx::migrate::Migrate,
{
    let migrator = if url.starts_with("sqlite:") {
        sqlx::migrate!("src/store/migrations/sqlite")
    } else {
        sqlx::migrate!("src/store/migrations/postgres")
    };
    migrator
        .run(pool)
        .await
        .map_err(|e| StoreError::Database(e.to_string()))
}

/// Moves committed pages from SQLite's WAL into the database file, twice a second, from
/// a read connection. PASSIVE never blocks the writer or readers; it copies what it can.
/// Ends when the pool is closed.
async fn checkpoints(pool: SqlitePool) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %err, "WAL checkpoint failed");
        }
    }
}

/// SQLite starts its WAL over only when a commit finds every page of it copied into the
/// database file, which never happens while commits follow each other without a pause:
/// the WAL would grow for as long as the load lasts. So when the file at `wal` has grown
/// past [`WAL_LIMIT`], this copies the rest (what [`checkpoints`] has not yet) and
/// has the next commit start the WAL from its beginning, cutting the file back. It is
/// the writer's to do, between two of its commits: from another connection it would
/// wait for a moment when no commit holds the write lock, and under load there is none.
async fn restart_long_wal(pool: &SqlitePool, wal: &std::path::Path) {
    if !std::fs::metadata(wal).is_ok_and(|m| m.len() > WAL_LIMIT) {
        return;
    }
    if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(RESTART)")
        .execute(pool)
        .await
    {
        tracing::warn!(error = %err, "WAL restart failed");
    }
}

/// Commits the jobs that arrived, then waits for more.
async fn writer_loop(pool: Pool, mut jobs: mpsc::Receiver<Job>) {
    // SQLite's WAL file: the database file's name with `-wal` after it.
    let sqlite_wal = match &pool {
        Pool::Sqlite(sqlite) => {
            let mut wal = sqlite
                .connect_options()
                .get_filename()
                .as_os_str()
                .to_owned();
            wal.push("-wal");
            Some((sqlite, std::path::PathBuf::from(wal)))
        }
        Pool::Postgres(_) => None,
    };
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if let Some((sqlite, wal)) = &sqlite_wal {
            restart_long_wal(sqlite, wal).await;
        }
        refuse_over_limit(&pool, &mut batch).await;
        if batch.is_empty() {
            continue;
        }
        let all: Vec<&Op> = batch.iter().flat_map(|j| j.ops.iter()).collect();
        let started = std::time::Instant::now();
        let result = apply(&pool, &all).await;
        let took = started.elapsed();
        tracing::debug!(
            jobs = batch.len(),
            ops = all.len(),
            micros = took.as_micros() as u64,
            "group commit"
        );
        let outcome = if result.is_ok() { "ok" } else { "failed" };
        crate::metrics::observe(
            crate::metrics::STORE_COMMIT,
            &[("outcome", outcome)],
            took.as_secs_f64(),
        );
        match result {
            Ok(()) => {
                for job in batch.drain(..) {
                    let _ = job.done.send(Ok(()));
                }
            }
            Err(err) if batch.len() == 1 => {
                if let Some(job) = batch.pop() {
                    let _ = job.done.send(Err(err));
                }
            }
            Err(_) => {
                // One bad job must not fail the others: retry each alone.
                for job in batch.drain(..) {
                    let ops: Vec<&Op> = job.ops.iter().collect();
                    let _ = job.done.send(apply(&pool, &ops).await);
                }
            }
        }
    }
}

/// Answers and removes the jobs whose counted submission would pass its source's hourly
/// limit, in the batch's order, with one read of the batch's sources: a source's later
/// jobs see its earlier ones. Every write of this process passes here one batch after
/// another, so what it reads includes all it wrote before.
async fn refuse_over_limit(pool: &Pool, batch: &mut Vec<Job>) {
    // Each job's count, if it has one, in the batch's order.
    let counted: Vec<Option<(&str, u32, Timestamp)>> = batch
        .iter()
        .map(|job| {
            job.ops.iter().find_map(|op| match op {
                Op::CountSubmission {
                    source,
                    per_hour,
                    now,
                } => Some((source.as_str(), *per_hour, *now)),
                _ => None,
            })
        })
        .collect();
    let Some(since) = counted
        .iter()
        .flatten()
        .map(|(_, _, now)| crate::limit::counted_since(*now))
        .min()
    else {
        return;
    };
    let mut sources: Vec<&str> = counted.iter().flatten().map(|(s, ..)| *s).collect();
    sources.sort_unstable();
    sources.dedup();
    let placeholders: Vec<String> = (0..sources.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT source, slot, count FROM submission_counts \
         WHERE slot >= $1 AND source IN ({})",
        placeholders.join(", ")
    );
    let rows: Result<Vec<(String, i64, i64)>, StoreError> = on_pool!(pool, p => {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(since.0);
        for source in &sources {
            query = query.bind(*source);
        }
        query.fetch_all(p).await.map_err(StoreError::from)
    });
    // Without the counts, no counted submission is taken.
    let mut seen: Result<BTreeMap<String, BTreeMap<i64, i64>>, String> =
        rows.map_err(|err| err.to_string()).map(|rows| {
            let mut seen: BTreeMap<String, BTreeMap<i64, i64>> = BTreeMap::new();
            for (source, slot, count) in rows {
                seen.entry(source).or_default().insert(slot, count);
            }
            seen
        });
    let verdicts: Vec<Result<(), StoreError>> = counted
        .into_iter()
        .map(|count| {
            let Some((source, per_hour, now)) = count else {
                return Ok(());
            };
            let slots = match &mut seen {
                Ok(seen) => seen.entry(source.to_string()).or_default(),
                Err(why) => return Err(StoreError::Database(why.clone())),
            };
            // The slots of the hour up to `now` (another server's clock may run ahead).
            let now_slot = crate::limit::slot_of(now).0;
            let hour = crate::limit::counted_since(now).0..=now_slot;
            let counts: Vec<(Timestamp, i64)> = slots
                .range(hour)
                .map(|(slot, n)| (Timestamp(*slot), *n))
                .collect();
            match crate::limit::wait(&counts, per_hour, now) {
                Some(seconds) => Err(StoreError::OverLimit(seconds)),
                None => {
                    *slots.entry(now_slot).or_default() += 1;
                    Ok(())
                }
            }
        })
        .collect();
    for (job, verdict) in std::mem::take(batch).into_iter().zip(verdicts) {
        match verdict {
            Ok(()) => batch.push(job),
            Err(err) => {
                let _ = job.done.send(Err(err));
            }
        }
    }
}

/// The largest number of rows one multi-row INSERT carries (9 parameters a row keeps it
/// far below both backends' parameter limits).
const MAX_ROWS_A_STATEMENT: usize = 128;

/// `INSERT INTO table (cols) VALUES ($1, …), ($n, …)` for `rows` rows.
fn insert_sql(table_and_columns: &str, columns: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table_and_columns} VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * columns + column + 1));
        }
        sql.push(')');
    }
    sql
}

/// Splits `items` into runs of power-of-two lengths (at most [`MAX_ROWS_A_STATEMENT`]), so
/// that a connection's statement cache holds a few shapes, not one for every batch size.
fn power_of_two_chunks<T>(mut items: &[T]) -> Vec<&[T]> {
    let mut chunks = Vec::new();
    while !items.is_empty() {
        let len = items.len().min(MAX_ROWS_A_STATEMENT);
        let take = 1usize << (usize::BITS - 1 - len.leading_zeros());
        let (head, tail) = items.split_at(take);
        chunks.push(head);
        items = tail;
    }
    chunks
}

const SUBMISSION_COLUMNS: &str = "submissions (id, reference, form_id, schema_sha256, queue, \
     status, received_at, retain_until, sealed, citizen, reply_to, handover_consent, \
     contact_address)";
const AUDIT_COLUMNS: &str = "audit_log (seq, at, actor, action, submission_id, queue, hash)";
const COUNT_COLUMNS: &str = "submission_counts (source, slot, count)";

/// The hash of audit entry `seq`: SHA-256 over the hash before it and the entry's own
/// fields, as a JSON array (so no field can bleed into the next).
pub fn audit_hash(previous: &str, seq: i64, entry: &AuditEntry) -> String {
    let text = serde_json::json!([
        previous,
        seq,
        entry.at.0,
        entry.actor,
        entry.action,
        entry.submission_id,
        entry.queue
    ])
    .to_string();
    forms_crypto::hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()))
}

/// What `forms audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerdict {
    /// Every chained entry matches; `legacy` entries predate the chain.
    Intact { entries: usize, legacy: usize },
    /// The first entry that does not hold, and why.
    Broken { seq: i64, why: String },
}

/// Applies a batch in one transaction. Submissions and audit entries, the bulk of every
/// batch, go in multi-row INSERTs: a statement is a round trip to the database, and round
/// trips, not the disk, bound a batch's commit time. Audit entries go last, in job order.
async fn apply(pool: &Pool, ops: &[&Op]) -> Result<(), StoreError> {
    // Another server may append to the audit chain between this transaction's reading
    // of the head and its writing of the entries after it: SQLite takes the database's
    // write lock at the start (a deferred transaction fails with "database is locked" when
    // it would take it later), PostgreSQL locks the head's row when reading it.
    let (begin, lock) = match pool {
        Pool::Sqlite(_) => ("BEGIN IMMEDIATE", ""),
        Pool::Postgres(_) => ("BEGIN", " FOR UPDATE"),
    };
    let mut submissions: Vec<&NewSubmission> = Vec::new();
    let mut audits: Vec<&AuditEntry> = Vec::new();
    // Summed first: one statement may not change the same row twice.
    let mut counts: BTreeMap<(&str, i64), i64> = BTreeMap::new();
    for op in ops {
        match op {
            Op::InsertSubmission(s) => submissions.push(s),
            Op::Audit(a) => audits.push(a),
            Op::CountSubmission { source, now, .. } => {
                let slot = crate::limit::slot_of(*now).0;
                *counts.entry((source.as_str(), slot)).or_default() += 1;
            }
            _ => {}
        }
    }
    let counts: Vec<((&str, i64), i64)> = counts.into_iter().collect();
    on_pool!(pool, p => {
        let mut tx = p.begin_with(begin).await?;
        for chunk in power_of_two_chunks(&submissions) {
            let sql = insert_sql(SUBMISSION_COLUMNS, 13, chunk.len());
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for s in chunk {
                query = query
                    .bind(s.id.clone())
                    .bind(s.reference.clone())
                    .bind(s.form_id.clone())
                    .bind(s.schema_sha256.clone())
                    .bind(s.queue.clone())
                    .bind(Status::New.as_str())
                    .bind(s.received_at.0)
                    .bind(s.retain_until.0)
                    .bind(s.sealed.clone())
                    .bind(s.citizen.clone())
                    .bind(s.reply_to.clone())
                    .bind(i32::from(s.handover_consent))
                    .bind(s.contact_address.clone());
            }
            query.execute(&mut *tx).await?;
        }
        for chunk in power_of_two_chunks(&counts) {
            let sql = insert_sql(COUNT_COLUMNS, 3, chunk.len())
                + " ON CONFLICT (source, slot) \
                   DO UPDATE SET count = submission_counts.count + excluded.count";
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ((source, slot), n) in chunk {
                query = query.bind(*source).bind(*slot).bind(*n);
            }
            query.execute(&mut *tx).await?;
        }
        for op in ops {
            if let Some((sql, key)) = op.by_key() {
                sqlx::query(sql).bind(key).execute(&mut *tx).await?;
                continue;
            }
            match op {
                // Inserted in bulk above and below, or by key just now.
                Op::InsertSubmission(_)
                | Op::Audit(_)
                | Op::CountSubmission { .. }
                | Op::DeleteSession { .. }
                | Op::DeleteSessionsBySid { .. }
                | Op::RecordConsent { .. }
                | Op::ForgetReplyAddress { .. }
                | Op::DeleteSubscription { .. } => {}
                Op::PutSession(row) => {
                    sqlx::query(
                        "INSERT INTO sessions (id_hash, sid_hash, created_at, last_seen, data) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id_hash) DO UPDATE SET \
                         sid_hash = excluded.sid_hash, last_seen = excluded.last_seen, \
                         data = excluded.data",
                    )
                    .bind(&row.id_hash)
                    .bind(&row.sid_hash)
                    .bind(row.created_at.0)
                    .bind(row.last_seen.0)
                    .bind(&row.data)
                    .execute(&mut *tx)
                    .await?;
                }
                Op::CountGuardRefusal {
                    day,
                    form_id,
                    kinds,
                } => {
                    for kind in kinds {
                        sqlx::query(
                            "INSERT INTO guard_refusals (day, form_id, kind, count) \
                             VALUES ($1, $2, $3, 1) ON CONFLICT (day, form_id, kind) \
                             DO UPDATE SET count = guard_refusals.count + 1",
                        )
                        .bind(day)
                        .bind(form_id)
                        .bind(*kind)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                Op::DeleteSubmissionCountsBefore { before } => {
                    sqlx::query("DELETE FROM submission_counts WHERE slot < $1")
                        .bind(before.0)
                        .execute(&mut *tx)
                        .await?;
                }
                Op::DeleteSessionsIdleSince { before } => {
                    sqlx::query("DELETE FROM sessions WHERE last_seen < $1")
                        .bind(before.0)
                        .execute(&mut *tx)
                        .await?;
                }
                Op::SetStatus { id, status } => {
                    sqlx::query("UPDATE submissions SET status = $1 WHERE id = $2")
                        .bind(status.as_str())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                Op::ReplaceVaultValue {
                    column,
                    row,
                    old,
                    new,
                } => {
                    sqlx::query(column.replace_sql())
                        .bind(new)
                        .bind(row)
                        .bind(old)
                        .execute(&mut *tx)
                        .await?;
                }
                Op::ReplaceSealed { id, sealed } => {
                    sqlx::query("UPDATE submissions SET sealed = $1 WHERE id = $2")
                        .bind(sealed)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                Op::MoveSubmission {
                    id,
                    queue,
                    sealed,
                    at,
                } => {
                    sqlx::query(
                        "INSERT INTO moved_submissions (submission_id, reference, from_queue, \
                         moved_at) SELECT id, reference, queue, $2 FROM submissions \
                         WHERE id = $1",
                    )
                    .bind(id)
                    .bind(at.0)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE submissions SET queue = $1, sealed = $2, status = $3 WHERE id = $4",
                    )
                    .bind(queue)
                    .bind(sealed)
                    .bind(Status::New.as_str())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                Op::TakeSubmission { id, caseworker } => {
                    sqlx::query("UPDATE submissions SET status = $1, taken_by = $2 WHERE id = $3")
                        .bind(Status::InProgress.as_str())
                        .bind(caseworker)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                Op::AddNote(note) => {
                    sqlx::query(
                        "INSERT INTO notes (id, submission_id, at, author, sealed) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&note.id)
                    .bind(&note.submission_id)
                    .bind(note.at.0)
                    .bind(&note.author)
                    .bind(&note.sealed)
                    .execute(&mut *tx)
                    .await?;
                }
                Op::DeleteSubmission { id, at } => {
                    // Deleting first takes the row's lock: a second server deleting the
                    // same submission waits, then finds nothing and fails alone.
                    let row: Option<(String, String, String, i64)> = sqlx::query_as(
                        "DELETE FROM submissions WHERE id = $1 \
                         RETURNING reference, form_id, queue, received_at",
                    )
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let (reference, form_id, queue, received_at) = row.ok_or(StoreError::Gone)?;
                    sqlx::query(
                        "INSERT INTO deleted_submissions \
                         (id, reference, form_id, queue, received_at, deleted_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(id)
                    .bind(reference)
                    .bind(form_id)
                    .bind(queue)
                    .bind(received_at)
                    .bind(at.0)
                    .execute(&mut *tx)
                    .await?;
                }
                Op::RevokeCaseworker { id, at } => {
                    sqlx::query(
                        "UPDATE caseworkers SET revoked_at = $1 WHERE id = $2 \
                         AND revoked_at IS NULL",
                    )
                    .bind(at.0)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                Op::PutSubscription(row) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO subscriptions ({SUBSCRIPTION_COLUMNS}) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    )))
                    .bind(row.id.clone())
                    .bind(row.form_id.clone())
                    .bind(row.address_key.clone())
                    .bind(row.token_hash.clone())
                    .bind(row.created_at.0)
                    .bind(row.confirmed_at.map(|t| t.0))
                    .bind(row.retain_until.0)
                    .bind(row.data.clone())
                    .execute(&mut *tx)
                    .await?;
                }
                Op::ConfirmSubscription {
                    id,
                    at,
                    retain_until,
                    address_keys,
                } => {
                    // The address's other subscriptions to the form give way to this one.
                    for key in address_keys {
                        sqlx::query(
                            "DELETE FROM subscriptions WHERE id <> $1 AND address_key = $2 \
                             AND form_id = (SELECT form_id FROM subscriptions WHERE id = $1)",
                        )
                        .bind(id.clone())
                        .bind(key.clone())
                        .execute(&mut *tx)
                        .await?;
                    }
                    let done = sqlx::query(
                        "UPDATE subscriptions SET confirmed_at = $1, retain_until = $2 WHERE id = $3",
                    )
                    .bind(at.0)
                    .bind(retain_until.0)
                    .bind(id.clone())
                    .execute(&mut *tx)
                    .await?;
                    one_row_or_gone(done.rows_affected())?;
                }
                Op::UpdateSubscription {
                    id,
                    data,
                    retain_until,
                } => {
                    let done = sqlx::query(
                        "UPDATE subscriptions SET data = $1, retain_until = $2 WHERE id = $3",
                    )
                    .bind(data.clone())
                    .bind(retain_until.0)
                    .bind(id.clone())
                    .execute(&mut *tx)
                    .await?;
                    one_row_or_gone(done.rows_affected())?;
                }
                Op::DeleteSubscriptionsEndedBy { now } => {
                    sqlx::query("DELETE FROM subscriptions WHERE retain_until <= $1")
                        .bind(now.0)
                        .execute(&mut *tx)
                        .await?;
                }
                Op::AddNewsletter(n) => {
                    sqlx::query(
                        "INSERT INTO newsletters (id, form_id, queue, topic, subject, body, created_at, \
                         created_by, recipients) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(n.id.clone())
                    .bind(n.form_id.clone())
                    .bind(n.queue.clone())
                    .bind(n.topic.clone())
                    .bind(n.subject.clone())
                    .bind(n.body.clone())
                    .bind(n.created_at.0)
                    .bind(n.created_by.clone())
                    .bind(n.recipients)
                    .execute(&mut *tx)
                    .await?;
                }
                Op::ClaimNewsletter { id, now, until } => {
                    let done = sqlx::query(
                        "UPDATE newsletters SET lease_until = $1 WHERE id = $2 AND lease_until < $3 \
                         AND finished_at IS NULL",
                    )
                    .bind(until.0)
                    .bind(id.clone())
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await?;
                    one_row_or_gone(done.rows_affected())?;
                }
                Op::NewsletterProgress {
                    id,
                    cursor,
                    sent,
                    failed,
                    ended,
                    until,
                    finished_at,
                } => {
                    sqlx::query(
                        "UPDATE newsletters SET cursor = $1, sent = sent + $2, failed = failed + $3, \
                         ended = ended + $4, lease_until = $5, finished_at = $6 WHERE id = $7",
                    )
                    .bind(cursor.clone())
                    .bind(*sent)
                    .bind(*failed)
                    .bind(*ended)
                    .bind(until.0)
                    .bind(finished_at.map(|t| t.0))
                    .bind(id.clone())
                    .execute(&mut *tx)
                    .await?;
                }
                Op::SubscriptionsRefused { ids, end_at } => {
                    for id in ids {
                        sqlx::query(
                            "UPDATE subscriptions SET refusals = CASE WHEN last_taken IS NULL \
                             THEN refusals ELSE 0 END + 1, last_taken = NULL WHERE id = $1",
                        )
                        .bind(id.clone())
                        .execute(&mut *tx)
                        .await?;
                        sqlx::query("DELETE FROM subscriptions WHERE id = $1 AND refusals >= $2")
                            .bind(id.clone())
                            .bind(*end_at)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                Op::ReplaceAddressKey { id, old, new } => {
                    sqlx::query(
                        "UPDATE subscriptions SET address_key = $1 WHERE id = $2 AND address_key = $3",
                    )
                    .bind(new.clone())
                    .bind(id.clone())
                    .bind(old.clone())
                    .execute(&mut *tx)
                    .await?;
                }
                Op::SubscriptionsTaken { ids, newsletter } => {
                    for id in ids {
                        sqlx::query(
                            "UPDATE subscriptions SET refusals = CASE WHEN last_taken IS NULL \
                             THEN refusals ELSE 0 END, last_taken = $1 WHERE id = $2",
                        )
                        .bind(newsletter.clone())
                        .bind(id.clone())
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                Op::SubscriptionBounced {
                    id,
                    newsletter,
                    end_at,
                } => {
                    let counted = sqlx::query(
                        "UPDATE subscriptions SET refusals = refusals + 1, last_taken = NULL \
                         WHERE id = $1 AND last_taken = $2",
                    )
                    .bind(id.clone())
                    .bind(newsletter.clone())
                    .execute(&mut *tx)
                    .await?;
                    one_row_or_gone(counted.rows_affected())?;
                    let ended = sqlx::query("DELETE FROM subscriptions WHERE id = $1 AND refusals >= $2")
                        .bind(id.clone())
                        .bind(*end_at)
                        .execute(&mut *tx)
                        .await?;
                    if ended.rows_affected() > 0 {
                        sqlx::query("UPDATE newsletters SET ended = ended + 1 WHERE id = $1")
                            .bind(newsletter.clone())
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                Op::AddCaseworker {
                    id,
                    name,
                    token_hash,
                    queues,
                    created_at,
                    expires_at,
                } => {
                    sqlx::query(
                        "INSERT INTO caseworkers (id, name, token_hash, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(id)
                    .bind(name)
                    .bind(token_hash)
                    .bind(created_at.0)
                    .bind(expires_at.map(|t| t.0))
                    .execute(&mut *tx)
                    .await?;
                    for queue in queues {
                        sqlx::query(
                            "INSERT INTO caseworker_queues (caseworker_id, queue) VALUES ($1, $2)",
                        )
                        .bind(id)
                        .bind(queue)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
        }
        if !audits.is_empty() {
            // The chain's head (there from the first migration on), locked so that
            // servers sharing the database append one after another.
            // Without it nothing is written: no access goes unrecorded.
            let head: Option<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT seq, hash FROM audit_head WHERE id = 1{lock}"
            )))
            .fetch_optional(&mut *tx)
            .await?;
            let (mut seq, mut previous) = head.ok_or_else(|| {
                StoreError::Database(
                    "the audit chain's head is missing; run forms audit verify".into(),
                )
            })?;
            let mut chained = Vec::with_capacity(audits.len());
            for entry in &audits {
                seq += 1;
                let hash = audit_hash(&previous, seq, entry);
                previous.clone_from(&hash);
                chained.push((seq, *entry, hash));
            }
            for chunk in power_of_two_chunks(&chained) {
                let sql = insert_sql(AUDIT_COLUMNS, 7, chunk.len());
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (seq, a, hash) in chunk {
                    query = query
                        .bind(*seq)
                        .bind(a.at.0)
                        .bind(a.actor.clone())
                        .bind(a.action)
                        .bind(a.submission_id.clone())
                        .bind(a.queue.clone())
                        .bind(hash.clone());
                }
                query.execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&previous)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    })
}

/// An op on one row that must still be there: [`StoreError::Gone`] if none changed.
fn one_row_or_gone(rows: u64) -> Result<(), StoreError> {
    if rows == 0 {
        return Err(StoreError::Gone);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two_and_cover_everything() {
        for n in [0usize, 1, 2, 3, 7, 16, 100, 128, 129, 300] {
            let items: Vec<usize> = (0..n).collect();
            let chunks = power_of_two_chunks(&items);
            assert!(
                chunks
                    .iter()
                    .all(|c| c.len().is_power_of_two() && c.len() <= 128)
            );
            let joined: Vec<usize> = chunks.concat();
            assert_eq!(joined, items, "n = {n}");
        }
    }

    #[test]
    fn insert_sql_numbers_parameters_row_by_row() {
        assert_eq!(
            insert_sql("t (a, b)", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
    }
}
