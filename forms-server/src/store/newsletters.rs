//! The rows of newsletter subscriptions and newsletters (`crate::newsletter` owns what
//! they mean). A subscription's address, topics and link token are one field-vault
//! ciphertext; the rows themselves hold hashes, times and counts.

use super::{Pool, Store, StoreError};
use crate::clock::Timestamp;

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRow {
    pub id: String,
    pub form_id: String,
    /// The keyed HMAC of the address, lower-cased.
    pub address_key: String,
    /// The SHA-256 of the token in the subscriber's links.
    pub token_hash: String,
    pub created_at: Timestamp,
    /// When the subscriber confirmed; `None` while the confirmation is awaited.
    pub confirmed_at: Option<Timestamp>,
    pub retain_until: Timestamp,
    /// Address, topics, language and token, encrypted with the field vault.
    pub data: Vec<u8>,
}

/// A confirmed subscription as its newsletters' delivery reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub id: String,
    /// Address, topics, language and token, encrypted with the field vault.
    pub data: Vec<u8>,
    /// Newsletters in a row the mail server refused for good at the address, or that
    /// came back as bounce mails, up to `last_taken`.
    pub refusals: i64,
    /// The newsletter the mail server last took for the address, while a bounce mail
    /// for it may still come back.
    pub last_taken: Option<String>,
}

impl Confirmed {
    /// The refusals in a row as a newsletter sent now finds them: none once the
    /// newsletter taken last has arrived, which it has if it did not bounce before the
    /// next one.
    pub fn refusals_in_a_row(&self) -> i64 {
        if self.last_taken.is_some() {
            0
        } else {
            self.refusals
        }
    }
}

/// A newsletter and how far its delivery has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Newsletter {
    pub id: String,
    pub form_id: String,
    /// The queue of the caseworkers who may send and follow it.
    pub queue: String,
    /// Only subscribers of this topic; `None`: all.
    pub topic: Option<String>,
    pub subject: String,
    pub body: String,
    pub created_at: Timestamp,
    /// The caseworker's id.
    pub created_by: String,
    /// Subscribers it was meant for when it was sent.
    pub recipients: i64,
    /// The id of the last subscription handled.
    pub cursor: String,
    pub sent: i64,
    pub failed: i64,
    /// Subscriptions whose address its delivery found refused for the last time.
    pub ended: i64,
    pub finished_at: Option<Timestamp>,
}

pub(super) const SUBSCRIPTION_COLUMNS: &str =
    "id, form_id, address_key, token_hash, created_at, confirmed_at, retain_until, data";
const NEWSLETTER_COLUMNS: &str = "id, form_id, queue, topic, subject, body, created_at, \
     created_by, recipients, cursor, sent, failed, ended, finished_at";

type SubscriptionTuple = (
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    i64,
    Vec<u8>,
);
type NewsletterTuple = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    String,
    i64,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
);

fn subscription(row: SubscriptionTuple) -> SubscriptionRow {
    let (id, form_id, address_key, token_hash, created_at, confirmed_at, retain_until, data) = row;
    SubscriptionRow {
        id,
        form_id,
        address_key,
        token_hash,
        created_at: Timestamp(created_at),
        confirmed_at: confirmed_at.map(Timestamp),
        retain_until: Timestamp(retain_until),
        data,
    }
}

fn newsletter(row: NewsletterTuple) -> Newsletter {
    let (
        id,
        form_id,
        queue,
        topic,
        subject,
        body,
        created_at,
        created_by,
        recipients,
        cursor,
        sent,
        failed,
        ended,
        finished_at,
    ) = row;
    Newsletter {
        id,
        form_id,
        queue,
        topic,
        subject,
        body,
        created_at: Timestamp(created_at),
        created_by,
        recipients,
        cursor,
        sent,
        failed,
        ended,
        finished_at: finished_at.map(Timestamp),
    }
}

impl Store {
    /// The subscription whose link token has this SHA-256.
    pub async fn subscription_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<SubscriptionRow>, StoreError> {
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE token_hash = $1");
        let row: Option<SubscriptionTuple> = on_pool!(&self.pool, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(p).await?
        });
        Ok(row.map(subscription))
    }

    /// The subscriptions to `form_id` of the address with this key, confirmed or not.
    pub async fn subscriptions_of(
        &self,
        form_id: &str,
        address_key: &str,
    ) -> Result<Vec<SubscriptionRow>, StoreError> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions \
             WHERE form_id = $1 AND address_key = $2 ORDER BY created_at, id"
        );
        let rows: Vec<SubscriptionTuple> = on_pool!(&self.pool, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(form_id)
                .bind(address_key)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(subscription).collect())
    }

    /// Whether the address asked to subscribe to the form since `since` and has not
    /// confirmed yet.
    pub async fn awaits_confirmation(
        &self,
        form_id: &str,
        address_key: &str,
        since: Timestamp,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM subscriptions WHERE form_id = $1 \
             AND address_key = $2 AND confirmed_at IS NULL AND created_at >= $3";
        let (count,): (i64,) = on_pool!(&self.pool, p => {
            sqlx::query_as(SQL).bind(form_id).bind(address_key).bind(since.0).fetch_one(p).await?
        });
        Ok(count > 0)
    }

    /// Up to `limit` confirmed subscriptions of a form whose id comes after `after`, in
    /// id order.
    pub async fn subscribers_after(
        &self,
        form_id: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<Confirmed>, StoreError> {
        const SQL: &str = "SELECT id, data, refusals, last_taken FROM subscriptions \
             WHERE form_id = $1 AND id > $2 AND confirmed_at IS NOT NULL ORDER BY id LIMIT $3";
        let rows: Vec<(String, Vec<u8>, i64, Option<String>)> = on_pool!(&self.pool, p => {
            sqlx::query_as(SQL).bind(form_id).bind(after).bind(limit).fetch_all(p).await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, data, refusals, last_taken)| Confirmed {
                id,
                data,
                refusals,
                last_taken,
            })
            .collect())
    }

    /// Up to `limit` subscriptions whose id comes after `after`, in id order, as a new
    /// vault key's address keys are derived: id, form, address key and vault value.
    pub async fn subscription_keys_after(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<(String, String, String, Vec<u8>)>, StoreError> {
        const SQL: &str = "SELECT id, form_id, address_key, data FROM subscriptions \
             WHERE id > $1 ORDER BY id LIMIT $2";
        Ok(on_pool!(&self.pool, p => {
            sqlx::query_as(SQL).bind(after).bind(limit).fetch_all(p).await?
        }))
    }

    /// The newsletter last taken for a subscription's address while a bounce mail
    /// may still come back for it; `None` if there is no such subscription.
    pub async fn subscription_last_taken(
        &self,
        id: &str,
    ) -> Result<Option<Option<String>>, StoreError> {
        const SQL: &str = "SELECT last_taken FROM subscriptions WHERE id = $1";
        let row: Option<(Option<String>,)> = on_pool!(&self.pool, p => {
            sqlx::query_as(SQL).bind(id).fetch_optional(p).await?
        });
        Ok(row.map(|(last_taken,)| last_taken))
    }

    pub async fn newsletter(&self, id: &str) -> Result<Option<Newsletter>, StoreError> {
        let sql = format!("SELECT {NEWSLETTER_COLUMNS} FROM newsletters WHERE id = $1");
        let row: Option<NewsletterTuple> = on_pool!(&self.pool, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await?
        });
        Ok(row.map(newsletter))
    }

    /// The newsletters of a form, newest first.
    pub async fn newsletters_of(&self, form_id: &str) -> Result<Vec<Newsletter>, StoreError> {
        let sql = format!(
            "SELECT {NEWSLETTER_COLUMNS} FROM newsletters WHERE form_id = $1 \
             ORDER BY created_at DESC, id"
        );
        let rows: Vec<NewsletterTuple> = on_pool!(&self.pool, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(form_id).fetch_all(p).await?
        });
        Ok(rows.into_iter().map(newsletter).collect())
    }

    /// Newsletters not delivered to the end that no server holds at `now`, oldest first.
    pub async fn newsletters_to_deliver(
        &self,
        now: Timestamp,
    ) -> Result<Vec<Newsletter>, StoreError> {
        let sql = format!(
            "SELECT {NEWSLETTER_COLUMNS} FROM newsletters WHERE finished_at IS NULL \
             AND lease_until < $1 ORDER BY created_at, id"
        );
        let rows: Vec<NewsletterTuple> = on_pool!(&self.pool, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now.0).fetch_all(p).await?
        });
        Ok(rows.into_iter().map(newsletter).collect())
    }
}
