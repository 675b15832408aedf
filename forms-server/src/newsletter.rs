//! Newsletters by topic: the citizens' subscriptions and the news sent to them.
//!
//! A form with a `subscription` block is a sign-up. Its answers are not a case for a
//! caseworker but what the server needs to send the news, so they are not sealed to a
//! queue: the address, the topics, the language and the token of the subscriber's links
//! are kept in one field-vault ciphertext ([`crate::store::SubscriptionRow`]). The
//! sign-up is double opt-in: nothing is sent but one confirmation mail until the owner
//! of the address follows its link and confirms, and an unconfirmed sign-up is deleted
//! after [`CONFIRM_HOURS`]. One address gets at most one confirmation mail a day, so
//! that nobody can have the municipality mail a stranger over and over.
//!
//! Every mail to a subscriber carries the same link, to a page where the topics are
//! changed or the subscription ended, and a one-click `List-Unsubscribe` (RFC 8058).
//! Ending it deletes the row. A confirmed subscription lasts the form's `retention`
//! after its last confirmation or change, and is deleted then.
//!
//! The caseworkers of the form's queue send a newsletter ([`create`]), to every
//! subscriber or to one topic's; [`deliver`] mails it in the background, a page of
//! subscribers at a time, recording how far it came, so that a server that stops resumes
//! where it was (a page may then be mailed twice) and one of several servers takes it
//! on at a time.
//!
//! Must never: log or store in the clear an address, a topic or a token.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::PidKey;
use crate::clock::Timestamp;
use crate::i18n::{Lang, Msg, t};
use crate::mail::Mailer;
use crate::schema::answers::{Answers, Value};
use crate::schema::{Catalog, FieldKind, Form};
use crate::store::{
    AuditEntry, Newsletter, Op, Store, StoreError, SubscriptionRow, VaultColumn, actions,
};
use forms_crypto::vault::Keyring;

/// Hours within which a sign-up must be confirmed; it is deleted after.
pub const CONFIRM_HOURS: i64 = 48;
/// Subscribers read and mailed at a time; progress is recorded after each page.
const PAGE: i64 = 50;
/// How long a server holds a newsletter it delivers before another may take it on.
const LEASE_MILLIS: i64 = 5 * 60 * 1000;
/// After this many newsletters in a row that the mail server refused for good at its
/// address (a mailbox that is gone), a subscription ends.
pub const REFUSALS_TO_END: i64 = 3;
/// The longest subject and text of a newsletter, in characters.
pub const MAX_SUBJECT: usize = 200;
pub const MAX_BODY: usize = 20_000;

/// What sending to subscribers needs: the vault that keeps them, the mail server, and
/// the site's address for the links.
pub struct Newsletters {
    vault: Arc<Keyring>,
    mailer: Arc<Mailer>,
    /// `https://host`, without a slash at the end.
    site_url: String,
    /// The municipality's name, in the mails.
    site_name: Option<String>,
    /// The keys of the address HMAC, one derived from each vault key, newest first:
    /// the newest for what is stored now, all of them to find what was stored before a
    /// newer vault key came (until `forms admin vault rekey` moves it).
    address_keys: Vec<PidKey>,
    bounce_tags: crate::bounce::BounceTags,
}

/// What a subscription holds, encrypted as one value.
#[derive(Serialize, Deserialize)]
struct Held {
    address: String,
    topics: Vec<String>,
    lang: Lang,
    token: String,
}

impl Drop for Held {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.address.zeroize();
        self.token.zeroize();
    }
}

/// A newsletter subscription as a privacy request's access report shows it.
#[derive(Debug, Clone)]
pub struct Subscribed {
    pub id: String,
    pub form_id: String,
    /// The topics chosen: each one's value and its label in bokmål.
    pub topics: Vec<(String, String)>,
    pub created: Timestamp,
    /// `None` while the sign-up awaits confirmation.
    pub confirmed: Option<Timestamp>,
    /// When it is deleted unless it is confirmed or changed before.
    pub ends: Timestamp,
}

/// The address kept with a privacy request, and its subscriptions.
#[derive(Debug, Default)]
pub struct HeldSubscriptions {
    /// `None` when no address is kept with the request: KRR had none for its sender,
    /// or the request was sent before addresses were kept.
    pub address: Option<zeroize::Zeroizing<String>>,
    pub subscriptions: Vec<Subscribed>,
}

/// A subscription found by its link: what the subscriber's page shows.
pub struct Opened {
    row: SubscriptionRow,
    held: Held,
}

impl Opened {
    pub fn confirmed(&self) -> bool {
        self.row.confirmed_at.is_some()
    }

    pub fn form_id(&self) -> &str {
        &self.row.form_id
    }

    pub fn topics(&self) -> &[String] {
        &self.held.topics
    }

    /// Where the newsletters go: shown to the subscriber on their own page.
    pub fn address(&self) -> &str {
        &self.held.address
    }

    /// When the subscription is deleted unless it is confirmed or changed before.
    pub fn ends(&self) -> Timestamp {
        self.row.retain_until
    }
}

#[derive(Debug)]
pub enum NewsletterError {
    /// No such form, not a subscription form, or not the caller's queue.
    NotFound,
    /// What was sent does not do: the field and why.
    Invalid(&'static str, String),
    Store(StoreError),
    /// The vault failed, or the system's randomness.
    Crypto,
    /// The mail server did not take a test mail.
    Mail,
}

impl std::fmt::Display for NewsletterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NewsletterError::NotFound => f.write_str("no such subscription form in your queues"),
            NewsletterError::Invalid(field, why) => write!(f, "{field}: {why}"),
            NewsletterError::Store(err) => write!(f, "{err}"),
            NewsletterError::Crypto => f.write_str("the field vault or randomness failed"),
            NewsletterError::Mail => f.write_str("the mail server did not take it"),
        }
    }
}

impl From<StoreError> for NewsletterError {
    fn from(err: StoreError) -> Self {
        NewsletterError::Store(err)
    }
}

/// The municipality's name in the middle of a sentence.
pub fn site_in_sentence(name: Option<&str>, lang: Lang) -> String {
    name.map(str::to_string)
        .unwrap_or_else(|| t(lang, Msg::MunicipalityInSentence))
}

fn token_hash(token: &str) -> String {
    forms_crypto::hex::encode(&Sha256::digest(token.as_bytes()))
}

/// The id of a subscription form's topics field, if it has topics.
fn topics_field(form: &Form) -> Option<&str> {
    form.subscription.as_ref().and_then(|s| s.topics.as_deref())
}

/// The topics a subscriber chose, from the form's topics field.
fn chosen_topics(form: &Form, answers: &Answers) -> Vec<String> {
    match topics_field(form).and_then(|f| answers.get(f)) {
        Some(Value::List(values)) => values.clone(),
        _ => Vec::new(),
    }
}

/// The values of a form's topics, in the form's order; empty without topics.
pub fn topic_options(form: &Form) -> Vec<&crate::schema::ChoiceOption> {
    match topics_field(form)
        .and_then(|id| form.field(id))
        .map(|f| &f.kind)
    {
        Some(kind @ FieldKind::MultiChoice { .. }) => kind.options().iter().collect(),
        _ => Vec::new(),
    }
}

/// The labels of `topics` in `lang`, joined for a sentence.
pub fn topic_words(form: &Form, topics: &[String], lang: Lang) -> String {
    topic_options(form)
        .into_iter()
        .filter(|o| topics.contains(&o.value))
        .map(|o| o.label.get(lang).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The keys of the address HMAC, derived from each vault key, newest first.
fn address_keys(vault: &Keyring) -> Result<Vec<PidKey>, forms_crypto::vault::VaultError> {
    Ok(vault
        .derive_each("subscription-address")?
        .iter()
        .map(|key| PidKey::new(&key[..]))
        .collect())
}

/// The keyed HMAC of `address`, whatever its case, for subscriptions to `form_id`.
fn address_key(key: &PidKey, form_id: &str, address: &str) -> String {
    key.mac(form_id, &address.to_lowercase())
}

/// Derives every subscription's address key anew under the newest key of `ring`, for
/// `forms admin vault rekey`: afterwards an older vault key can leave the key file
/// without a privacy request's look-up or a new sign-up losing sight of the
/// subscriptions stored before. A value that does not open is left as it is (the
/// re-encryption counts it). Returns how many keys were replaced; each page with any is
/// one write with a `vault.rekeyed` audit entry.
pub async fn rekey_address_keys(
    store: &Store,
    ring: &Keyring,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let Some(newest) = address_keys(ring)
        .ok()
        .and_then(|keys| keys.into_iter().next())
    else {
        return Ok(0);
    };
    let (mut after, mut replaced) = (String::new(), 0);
    loop {
        let page = store.subscription_keys_after(&after, PAGE).await?;
        let Some((last, ..)) = page.last() else {
            return Ok(replaced);
        };
        after.clone_from(last);
        let mut ops = Vec::new();
        for (id, form_id, old, data) in &page {
            let Ok(json) = ring.decrypt(VaultColumn::Subscription.place(id), data) else {
                continue;
            };
            let Ok(held) = serde_json::from_slice::<Held>(&json) else {
                continue;
            };
            let new = address_key(&newest, form_id, &held.address);
            if &new != old {
                ops.push(Op::ReplaceAddressKey {
                    id: id.clone(),
                    old: old.clone(),
                    new,
                });
            }
        }
        if !ops.is_empty() {
            replaced += ops.len() as u64;
            ops.push(Op::Audit(AuditEntry::by_admin(actions::VAULT_REKEYED, now)));
            store.write(ops).await?;
        }
    }
}

impl Newsletters {
    /// Subscriptions need all three: the vault to keep them, mail to confirm and send,
    /// and the site's address for the links.
    pub fn new(
        vault: Option<Arc<Keyring>>,
        mailer: Option<Arc<Mailer>>,
        site: &crate::config::Site,
    ) -> Result<Newsletters, &'static str> {
        let vault = vault.ok_or("the field vault's keys ([vault] key_file)")?;
        let mailer = mailer.ok_or("outgoing mail ([mail])")?;
        let site_url = site
            .url
            .clone()
            .ok_or("the site's address ([site] url), for the links in the mails")?;
        let address_keys =
            address_keys(&vault).map_err(|_| "the field vault's keys ([vault] key_file)")?;
        let bounce_tags = crate::bounce::BounceTags::new(&vault)
            .map_err(|_| "the field vault's keys ([vault] key_file)")?;
        Ok(Newsletters {
            vault,
            mailer,
            site_url,
            site_name: site.name.clone(),
            address_keys,
            bounce_tags,
        })
    }

    /// What the subscriptions of `address` to `form` are found by: its keyed HMAC,
    /// whatever its case, under each vault key, newest first (a new one is stored with
    /// the first).
    fn keys_of(&self, form: &Form, address: &str) -> Vec<String> {
        self.address_keys
            .iter()
            .map(|key| address_key(key, form.id.as_str(), address))
            .collect()
    }

    /// The subscriber's page, where `token` is the link's token.
    fn link(&self, token: &str) -> String {
        format!("{}/nyhetsbrev/{token}", self.site_url)
    }

    fn site_name(&self, lang: Lang) -> String {
        site_in_sentence(self.site_name.as_deref(), lang)
    }

    fn seal(&self, id: &str, held: &Held) -> Result<Vec<u8>, NewsletterError> {
        let json =
            zeroize::Zeroizing::new(serde_json::to_vec(held).map_err(|_| NewsletterError::Crypto)?);
        self.vault
            .encrypt(VaultColumn::Subscription.place(id), &json)
            .map_err(|_| NewsletterError::Crypto)
    }

    fn open_held(&self, id: &str, data: &[u8]) -> Option<Held> {
        let json = self
            .vault
            .decrypt(VaultColumn::Subscription.place(id), data)
            .ok()?;
        serde_json::from_slice(&json).ok()
    }

    /// The sign-up of a subscription form whose answers passed the form's check: kept
    /// unconfirmed, and the confirmation mailed, unless the address has a sign-up of
    /// this form awaiting confirmation from the last day (then only `count` is
    /// written, and the citizen is told the same: which addresses are signed up is
    /// nobody's business). `count` is the hourly limit's op, written with it.
    pub async fn sign_up(
        &self,
        store: &Store,
        form: &Form,
        answers: &Answers,
        lang: Lang,
        now: Timestamp,
        count: Option<Op>,
    ) -> Result<(), NewsletterError> {
        let address = crate::submission::reply_address(form, answers).unwrap_or_default();
        let address_keys = self.keys_of(form, address);
        let mut ops: Vec<Op> = count.into_iter().collect();
        let since = now.plus_days(-1);
        let mut awaits = false;
        for key in &address_keys {
            awaits = awaits
                || store
                    .awaits_confirmation(form.id.as_str(), key, since)
                    .await?;
        }
        if awaits {
            store.write(ops).await?;
            tracing::info!(form = %form.id, "subscription already awaits confirmation: no mail");
            return Ok(());
        }
        // Stored under the newest key's HMAC.
        let address_key = address_keys
            .first()
            .cloned()
            .ok_or(NewsletterError::Crypto)?;
        let id = crate::submission::random_id().ok_or(NewsletterError::Crypto)?;
        let mut token = [0u8; 32];
        forms_crypto::random_bytes(&mut token).map_err(|_| NewsletterError::Crypto)?;
        let held = Held {
            address: address.to_string(),
            topics: chosen_topics(form, answers),
            lang,
            token: forms_crypto::hex::encode(&token),
        };
        ops.push(Op::PutSubscription(SubscriptionRow {
            id: id.clone(),
            form_id: form.id.to_string(),
            address_key,
            token_hash: token_hash(&held.token),
            created_at: now,
            confirmed_at: None,
            retain_until: Timestamp(now.millis() + CONFIRM_HOURS * 60 * 60 * 1000),
            data: self.seal(&id, &held)?,
        }));
        store.write(ops).await?;
        tracing::info!(form = %form.id, "subscription awaits confirmation");
        let site = self.site_name(lang);
        let subject = t(lang, Msg::SubscriptionMailSubject { site: &site });
        let body = t(
            lang,
            Msg::SubscriptionMailBody {
                site: &site,
                topics: &topic_words(form, &held.topics, lang),
                link: &self.link(&held.token),
                hours: CONFIRM_HOURS,
            },
        );
        let form_id = form.id.clone();
        crate::submission::send_later(
            &self.mailer,
            crate::mail::Kind::Confirmation,
            vec![held.address.clone()],
            subject,
            body,
            move || {
                tracing::warn!(form = %form_id, "the confirmation of a subscription was not mailed");
            },
        );
        Ok(())
    }

    /// The subscription a link's token opens, if it is still there.
    pub async fn open(&self, store: &Store, token: &str) -> Result<Option<Opened>, StoreError> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Some(row) = store.subscription_by_token(&token_hash(token)).await? else {
            return Ok(None);
        };
        let Some(held) = self.open_held(&row.id, &row.data) else {
            tracing::warn!("a subscription does not open with the vault's keys");
            return Ok(None);
        };
        Ok(Some(Opened { row, held }))
    }

    /// Confirms a sign-up: from now the subscriber gets the newsletters. Any other
    /// subscription of the address to the form gives way to it.
    pub async fn confirm(
        &self,
        store: &Store,
        form: &Form,
        opened: &Opened,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        store
            .write(vec![Op::ConfirmSubscription {
                id: opened.row.id.clone(),
                at: now,
                retain_until: form.retain_until(now),
                address_keys: self.keys_of(form, &opened.held.address),
            }])
            .await?;
        tracing::info!(form = %form.id, "subscription confirmed");
        Ok(())
    }

    /// Replaces the topics of a confirmed subscription (each one of the form's, at
    /// least one); its time starts again. `Err(None)` when the choice does not do.
    pub async fn change_topics(
        &self,
        store: &Store,
        form: &Form,
        opened: &Opened,
        topics: Vec<String>,
        now: Timestamp,
    ) -> Result<(), Option<NewsletterError>> {
        let options = topic_options(form);
        let known = |t: &String| options.iter().any(|o| &o.value == t);
        if topics.is_empty() || !topics.iter().all(known) {
            return Err(None);
        }
        let ordered: Vec<String> = options
            .iter()
            .filter(|o| topics.contains(&o.value))
            .map(|o| o.value.clone())
            .collect();
        let held = Held {
            address: opened.held.address.clone(),
            topics: ordered,
            lang: opened.held.lang,
            token: opened.held.token.clone(),
        };
        let data = self.seal(&opened.row.id, &held).map_err(Some)?;
        store
            .write(vec![Op::UpdateSubscription {
                id: opened.row.id.clone(),
                data,
                retain_until: form.retain_until(now),
            }])
            .await
            .map_err(|e| Some(e.into()))?;
        tracing::info!(form = %form.id, "subscription topics changed");
        Ok(())
    }

    /// Ends a subscription: its row, with the address, is deleted.
    pub async fn end(&self, store: &Store, opened: &Opened) -> Result<(), StoreError> {
        store
            .write(vec![Op::DeleteSubscription {
                id: opened.row.id.clone(),
            }])
            .await?;
        tracing::info!(form = %opened.row.form_id, "subscription ended by its subscriber");
        let reason = [("reason", "unsubscribed")];
        crate::metrics::count(crate::metrics::SUBSCRIPTIONS_ENDED, &reason);
        Ok(())
    }

    /// What the server holds of the newsletter subscriptions of privacy request
    /// `request_id`'s sender: those, on every subscription form, of the address KRR had
    /// for them when they sent it.
    pub async fn of_request(
        &self,
        store: &Store,
        catalog: &Catalog,
        request_id: &str,
    ) -> Result<HeldSubscriptions, NewsletterError> {
        let Some(data) = store.contact_address_of(request_id).await? else {
            return Ok(HeldSubscriptions::default());
        };
        let bytes = self
            .vault
            .decrypt(VaultColumn::ContactAddress.place(request_id), &data)
            .map_err(|_| NewsletterError::Crypto)?;
        let address = zeroize::Zeroizing::new(
            String::from_utf8(bytes.to_vec()).map_err(|_| NewsletterError::Crypto)?,
        );
        let mut subscriptions = Vec::new();
        for form in catalog.forms().filter(|f| f.subscription.is_some()) {
            let mut rows = Vec::new();
            for key in self.keys_of(form, &address) {
                rows.extend(store.subscriptions_of(form.id.as_str(), &key).await?);
            }
            for row in rows {
                let Some(held) = self.open_held(&row.id, &row.data) else {
                    tracing::warn!("a subscription does not open with the vault's keys");
                    continue;
                };
                subscriptions.push(Subscribed {
                    topics: topic_options(form)
                        .into_iter()
                        .filter(|o| held.topics.contains(&o.value))
                        .map(|o| (o.value.clone(), o.label.get(Lang::Nb).to_string()))
                        .collect(),
                    id: row.id,
                    form_id: row.form_id,
                    created: row.created_at,
                    confirmed: row.confirmed_at,
                    ends: row.retain_until,
                });
            }
        }
        Ok(HeldSubscriptions {
            address: Some(address),
            subscriptions,
        })
    }

    /// Ends `subscriptions` on their subscriber's request for erasure: their rows, with
    /// the address, are deleted in one write.
    pub async fn erase(
        &self,
        store: &Store,
        subscriptions: &[Subscribed],
    ) -> Result<(), StoreError> {
        if subscriptions.is_empty() {
            return Ok(());
        }
        let ops = subscriptions
            .iter()
            .map(|s| Op::DeleteSubscription { id: s.id.clone() })
            .collect();
        store.write(ops).await?;
        tracing::info!(
            count = subscriptions.len(),
            "subscriptions erased on request"
        );
        let reason = [("reason", "erased")];
        let n = subscriptions.len() as u64;
        crate::metrics::add(crate::metrics::SUBSCRIPTIONS_ENDED, &reason, n);
        Ok(())
    }

    /// How many confirmed subscribers `form_id` has, in all and by topic: counts
    /// only, for the caseworkers who write the news.
    pub async fn subscriber_counts(
        &self,
        store: &Store,
        form_id: &str,
    ) -> Result<SubscriberCounts, StoreError> {
        let mut after = String::new();
        let mut counts = SubscriberCounts::default();
        loop {
            let page = store.subscribers_after(form_id, &after, PAGE).await?;
            let Some(last) = page.last() else {
                return Ok(counts);
            };
            after.clone_from(&last.id);
            for held in page
                .iter()
                .filter_map(|row| self.open_held(&row.id, &row.data))
            {
                counts.total += 1;
                for topic in &held.topics {
                    *counts.by_topic.entry(topic.clone()).or_default() += 1;
                }
            }
        }
    }

    /// A newsletter's text as a subscriber gets it: with the footer that says why it
    /// came and gives their `link`, in their language.
    fn with_footer(&self, body: &str, lang: Lang, link: &str) -> String {
        let site = self.site_name(lang);
        let footer = t(lang, Msg::NewsletterFooter { site: &site, link });
        format!("{}\n\n-- \n{footer}\n", body.trim_end())
    }

    /// A newsletter mailed once to `to` (the writer's own address, say) before it goes
    /// out: as a subscriber in bokmål gets it, but for "[Prøve]" before the subject and
    /// the subscriber's own link, which it cannot have. Nothing is stored.
    pub async fn test_send(
        &self,
        catalog: &Catalog,
        caseworker: &crate::store::Caseworker,
        form_id: &str,
        draft: Draft,
        to: &str,
    ) -> Result<(), NewsletterError> {
        let form = form_of(catalog, caseworker, form_id)?;
        let draft = checked(form, draft)?;
        if !validator::ValidateEmail::validate_email(&to) {
            return Err(NewsletterError::Invalid(
                "test_to",
                "must be an e-mail address".into(),
            ));
        }
        let link = format!("{}/nyhetsbrev/…", self.site_url);
        let body = self.with_footer(&draft.body, Lang::Nb, &link);
        let subject = format!("[Prøve] {}", draft.subject);
        self.mailer
            .send_with(crate::mail::Kind::NewsletterTest, to, &subject, &body, None)
            .await
            .map_err(|_| NewsletterError::Mail)?;
        tracing::info!(form = %form.id, "newsletter test mailed");
        Ok(())
    }

    /// One pass over the newsletters waiting to be mailed: each that no other server
    /// holds is taken on and mailed to the end, a page of subscribers at a time.
    /// Returns how many mails were sent.
    pub async fn deliver(
        &self,
        store: &Store,
        clock: &dyn crate::clock::Clock,
    ) -> Result<i64, StoreError> {
        let mut sent_all = 0;
        for letter in store.newsletters_to_deliver(clock.now()).await? {
            let now = clock.now();
            let claim = Op::ClaimNewsletter {
                id: letter.id.clone(),
                now,
                until: Timestamp(now.millis() + LEASE_MILLIS),
            };
            match store.write(vec![claim]).await {
                Ok(()) => {}
                Err(StoreError::Gone) => continue,
                Err(err) => return Err(err),
            }
            sent_all += self.deliver_one(store, clock, letter).await?;
        }
        Ok(sent_all)
    }

    async fn deliver_one(
        &self,
        store: &Store,
        clock: &dyn crate::clock::Clock,
        letter: Newsletter,
    ) -> Result<i64, StoreError> {
        let mut cursor = letter.cursor.clone();
        let mut sent_all = 0;
        loop {
            let page = store
                .subscribers_after(&letter.form_id, &cursor, PAGE)
                .await?;
            let (mut sent, mut failed) = (0, 0);
            // The subscriptions whose address the mail server refused for good, and
            // those it took.
            let (mut refused, mut taken) = (Vec::new(), Vec::new());
            // A slow mail server must not outlast the hold: past half of it, the page
            // stops where it is and the hold is renewed with the progress.
            let started = std::time::Instant::now();
            let mut handled = 0;
            for row in &page {
                if started.elapsed() > std::time::Duration::from_millis(LEASE_MILLIS as u64 / 2) {
                    break;
                }
                handled += 1;
                cursor.clone_from(&row.id);
                let Some(held) = self.open_held(&row.id, &row.data) else {
                    failed += 1;
                    continue;
                };
                let wanted = letter
                    .topic
                    .as_ref()
                    .is_none_or(|topic| held.topics.contains(topic));
                if !wanted {
                    continue;
                }
                let lang = held.lang;
                let link = self.link(&held.token);
                let body = self.with_footer(&letter.body, lang, &link);
                let one_click = format!("{link}/avmeld");
                let bounce_tag = self.bounce_tags.tag(&row.id, &letter.id);
                let list = crate::mail::ListMail {
                    unsubscribe: &one_click,
                    bounce_tag: &bounce_tag,
                };
                match self
                    .mailer
                    .send_with(
                        crate::mail::Kind::Newsletter,
                        &held.address,
                        &letter.subject,
                        &body,
                        Some(list),
                    )
                    .await
                {
                    Ok(()) => {
                        sent += 1;
                        taken.push(row.id.clone());
                    }
                    Err(crate::mail::MailError::Refused(_)) => {
                        failed += 1;
                        refused.push(row);
                    }
                    Err(crate::mail::MailError::Failed(_)) => failed += 1,
                }
            }
            // A mail server that refused every address of a page of several is more
            // likely wrong itself than all those mailboxes gone: such refusals are not
            // held against the subscribers.
            if sent == 0 && failed > 1 {
                refused.clear();
            }
            let ended = refused
                .iter()
                .filter(|row| row.refusals_in_a_row() + 1 >= REFUSALS_TO_END)
                .count() as i64;
            let now = clock.now();
            let finished = page.len() < PAGE as usize && handled == page.len();
            let mut ops = vec![
                Op::NewsletterProgress {
                    id: letter.id.clone(),
                    cursor: cursor.clone(),
                    sent,
                    failed,
                    ended,
                    until: Timestamp(now.millis() + LEASE_MILLIS),
                    finished_at: finished.then_some(now),
                },
                Op::SubscriptionsRefused {
                    ids: refused.iter().map(|row| row.id.clone()).collect(),
                    end_at: REFUSALS_TO_END,
                },
                Op::SubscriptionsTaken {
                    ids: taken,
                    newsletter: letter.id.clone(),
                },
            ];
            if failed > 0 {
                tracing::warn!(newsletter = %letter.id, failed, "newsletter mails not taken by the mail server");
            }
            if ended > 0 {
                tracing::info!(
                    newsletter = %letter.id,
                    ended,
                    "subscriptions ended: their address refused {REFUSALS_TO_END} newsletters in a row"
                );
            }
            if finished {
                ops.push(Op::Audit(AuditEntry {
                    at: now,
                    actor: crate::store::actors::caseworker(&letter.created_by),
                    action: actions::NEWSLETTER_SENT,
                    submission_id: None,
                    queue: Some(letter.queue.clone()),
                }));
            }
            store.write(ops).await?;
            crate::metrics::add(
                crate::metrics::SUBSCRIPTIONS_ENDED,
                &[("reason", "refused")],
                ended as u64,
            );
            sent_all += sent;
            if finished {
                tracing::info!(newsletter = %letter.id, form = %letter.form_id, "newsletter delivered");
                return Ok(sent_all);
            }
        }
    }
}

/// Confirmed subscribers, in all and by topic value.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriberCounts {
    pub total: i64,
    pub by_topic: std::collections::BTreeMap<String, i64>,
}

/// What a caseworker of a subscription form's queue sees of it: how many subscribe,
/// and the newsletters sent, newest first.
pub async fn overview(
    newsletters: &Newsletters,
    store: &Store,
    catalog: &Catalog,
    caseworker: &crate::store::Caseworker,
    form_id: &str,
) -> Result<(SubscriberCounts, Vec<Newsletter>), NewsletterError> {
    let form = form_of(catalog, caseworker, form_id)?;
    let counts = newsletters
        .subscriber_counts(store, form.id.as_str())
        .await?;
    let sent = store.newsletters_of(form.id.as_str()).await?;
    Ok((counts, sent))
}

/// What a caseworker sends: to the subscribers of `topic`, or all.
pub struct Draft {
    pub topic: Option<String>,
    pub subject: String,
    pub body: String,
}

/// The subscription form `form_id`, if the caseworker is in its queue (the default
/// queue of its routing): those who may send its newsletters.
pub fn form_of<'c>(
    catalog: &'c Catalog,
    caseworker: &crate::store::Caseworker,
    form_id: &str,
) -> Result<&'c Arc<Form>, NewsletterError> {
    catalog
        .form(form_id)
        .filter(|f| f.subscription.is_some())
        .filter(|f| {
            caseworker
                .queues
                .iter()
                .any(|q| q == f.routing.default.as_str())
        })
        .ok_or(NewsletterError::NotFound)
}

/// A draft whose subject and text do, and whose topic is one of the form's: the subject
/// trimmed, the text with `\n` line breaks.
fn checked(form: &Form, draft: Draft) -> Result<Draft, NewsletterError> {
    let subject = draft.subject.trim().to_string();
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT {
        return Err(NewsletterError::Invalid(
            "subject",
            format!("must be 1 to {MAX_SUBJECT} characters"),
        ));
    }
    if subject.chars().any(char::is_control) {
        return Err(NewsletterError::Invalid(
            "subject",
            "must be one line without control characters".into(),
        ));
    }
    let body = draft.body.replace("\r\n", "\n");
    if body.trim().is_empty() || body.chars().count() > MAX_BODY {
        return Err(NewsletterError::Invalid(
            "body",
            format!("must be 1 to {MAX_BODY} characters"),
        ));
    }
    if body
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(NewsletterError::Invalid(
            "body",
            "must be plain text: no control characters but line breaks and tabs".into(),
        ));
    }
    if let Some(topic) = &draft.topic
        && !topic_options(form).iter().any(|o| &o.value == topic)
    {
        let known: Vec<&str> = topic_options(form)
            .iter()
            .map(|o| o.value.as_str())
            .collect();
        return Err(NewsletterError::Invalid(
            "topic",
            format!(
                "'{topic}' is not a topic of {}; its topics: {}",
                form.id,
                known.join(", ")
            ),
        ));
    }
    Ok(Draft {
        topic: draft.topic,
        subject,
        body,
    })
}

/// A newsletter from a caseworker of the form's queue, kept to be mailed by
/// [`Newsletters::deliver`]; it names how many subscribers it is for.
pub async fn create(
    newsletters: &Newsletters,
    store: &Store,
    catalog: &Catalog,
    caseworker: &crate::store::Caseworker,
    form_id: &str,
    draft: Draft,
    now: Timestamp,
) -> Result<Newsletter, NewsletterError> {
    let form = form_of(catalog, caseworker, form_id)?;
    let Draft {
        topic,
        subject,
        body,
    } = checked(form, draft)?;
    let counts = newsletters.subscriber_counts(store, form_id).await?;
    let recipients = match &topic {
        Some(topic) => counts.by_topic.get(topic).copied().unwrap_or(0),
        None => counts.total,
    };
    let letter = Newsletter {
        id: crate::submission::random_id().ok_or(NewsletterError::Crypto)?,
        form_id: form.id.to_string(),
        queue: form.routing.default.to_string(),
        topic,
        subject,
        body,
        created_at: now,
        created_by: caseworker.id.clone(),
        recipients,
        cursor: String::new(),
        sent: 0,
        failed: 0,
        ended: 0,
        finished_at: None,
    };
    store.write(vec![Op::AddNewsletter(letter.clone())]).await?;
    tracing::info!(newsletter = %letter.id, form = %letter.form_id, recipients, "newsletter to be mailed");
    Ok(letter)
}

/// A newsletter, for a caseworker of its queue.
pub async fn status(
    store: &Store,
    caseworker: &crate::store::Caseworker,
    id: &str,
) -> Result<Newsletter, NewsletterError> {
    store
        .newsletter(id)
        .await?
        .filter(|n| caseworker.queues.contains(&n.queue))
        .ok_or(NewsletterError::NotFound)
}

/// Deletes the subscriptions whose time has ended: unconfirmed sign-ups after
/// [`CONFIRM_HOURS`], confirmed ones after the form's retention.
pub async fn delete_ended(store: &Store, now: Timestamp) -> Result<(), StoreError> {
    store
        .write(vec![Op::DeleteSubscriptionsEndedBy { now }])
        .await
}
