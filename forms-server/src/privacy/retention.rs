//! Deletion when retention ends.
//!
//! Every submission carries `retain_until`, set when it is accepted: the day it arrived
//! plus the months its form's `retention` declares. The server's housekeeping task calls
//! [`delete_expired`] every few minutes, and `forms admin retention` calls it at once.
//! A deleted submission leaves a tombstone (reference, form, queue, times) so that the
//! audit report can still name it; its sealed answers, notes, reply address and the
//! citizen's lookup key are gone.
//!
//! Several servers sharing a PostgreSQL database may run this at the same time: a
//! submission another server deleted first fails with [`StoreError::Gone`] and is
//! skipped, so it gets one audit entry.

use tokio::task::JoinSet;

use crate::clock::Timestamp;
use crate::store::{AuditEntry, Op, Store, StoreError, actions};

/// Submissions looked up and deleted a round; each is its own write, so the writer's
/// group commit puts a round in a few transactions.
const ROUND: i64 = 256;

/// The actor of retention's audit entries.
pub const ACTOR: &str = "retention";

/// Deletes every submission whose retention ended at `now`; returns how many this call
/// deleted.
pub async fn delete_expired(store: &Store, now: Timestamp) -> Result<usize, StoreError> {
    let mut deleted = 0;
    loop {
        let expired = store.expired(now, ROUND).await?;
        if expired.is_empty() {
            return Ok(deleted);
        }
        let mut writes = JoinSet::new();
        for (id, queue) in expired {
            let store = store.clone();
            writes.spawn(async move {
                store
                    .write(vec![
                        Op::DeleteSubmission {
                            id: id.clone(),
                            at: now,
                        },
                        Op::Audit(AuditEntry {
                            at: now,
                            actor: ACTOR.into(),
                            action: actions::SUBMISSION_DELETED,
                            submission_id: Some(id),
                            queue: Some(queue),
                        }),
                    ])
                    .await
            });
        }
        let mut failed = None;
        while let Some(result) = writes.join_next().await {
            match result {
                Ok(Ok(())) => deleted += 1,
                Ok(Err(StoreError::Gone)) => {}
                Ok(Err(err)) => failed = Some(err),
                Err(join) => failed = Some(StoreError::Database(join.to_string())),
            }
        }
        if let Some(err) = failed {
            return Err(err);
        }
    }
}
