//! The way of a submission, from checked answers to a durable, sealed row.
//!
//! [`accept`] validates the answers against the form, builds the canonical payload
//! (answers, form id and schema hash, labels to read it by, auth context, time), seals it
//! to the recipients of the form's queue, and stores it with its audit entry in one
//! transaction. Only after the commit is a [`Receipt`] returned; a citizen logged in who
//! gave an e-mail address is then sent a receipt there too, with the form and the
//! reference but none of the answers.
//!
//! Must never: log or store the plaintext payload, give a receipt before the commit, or
//! put an answer in a mail.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::i18n::Lang;
use crate::schema::answers::{
    Answers, Checked, Context, FieldError, Problem, RawAnswers, Readable, Value,
};
use crate::schema::{Catalog, Form, QueueId};
use crate::store::{AuditEntry, NewSubmission, Op, Store, StoreError, VaultColumn, actions};

/// The payload format version written into every sealed payload. Version 1 had text
/// answers only and `fields` for labels; it is still read (see [`Payload::to_text`]).
pub const PAYLOAD_FORMAT: &str = "forms-submission/2";

/// What the citizen gets back.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub reference: String,
    pub received_at: Timestamp,
    /// The answers as checked and the pages they showed: what was sealed, for the
    /// receipt page's copy (nothing reads them from the store again).
    pub sent: Checked,
    /// A receipt is on its way to the citizen's e-mail address.
    pub mailed: bool,
}

/// The plaintext that is sealed. Self-describing: it carries the labels the citizen saw,
/// so it can be read without the schema it was answered against.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Payload {
    pub format: String,
    pub reference: String,
    pub submission_id: String,
    pub form: PayloadForm,
    pub queue: String,
    pub received_at: String,
    /// Who sent it, when logged in through ID-porten; `None` for anonymous forms.
    pub auth: Option<serde_json::Value>,
    /// Where prefilled values came from, field by field.
    pub prefill: serde_json::Map<String, serde_json::Value>,
    /// The answers by field id, typed (see [`Value`]).
    pub answers: std::collections::BTreeMap<String, Value>,
    /// The answers as label and text in bokmål, in the form's order: what a caseworker
    /// reads, whatever becomes of the schema later.
    #[serde(default)]
    pub readable: Vec<Readable>,
    /// Version 1's labels, field by field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<PayloadField>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PayloadForm {
    pub id: String,
    pub title: String,
    pub schema_sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PayloadField {
    pub id: String,
    pub label: String,
}

impl Payload {
    /// A plain-text rendering for a caseworker to read, with the time received in
    /// Norwegian time (the JSON keeps it in UTC).
    pub fn to_text(&self) -> String {
        let received = crate::clock::Timestamp::show_rfc3339_nb(&self.received_at);
        let mut out = format!(
            "{}\nReferanse: {}\nMottatt: {}\nSkjema: {} ({})\nKø: {}\n",
            self.form.title,
            self.reference,
            received,
            self.form.id,
            &self.form.schema_sha256.get(..12).unwrap_or_default(),
            self.queue
        );
        let version_1 = self.fields.iter().filter_map(|f| {
            let value = self.answers.get(&f.id)?.as_text()?;
            Some((f.label.as_str(), value))
        });
        let items: Vec<(&str, &str)> = if self.readable.is_empty() {
            version_1.collect()
        } else {
            self.readable
                .iter()
                .map(|r| (r.label.as_str(), r.value.as_str()))
                .collect()
        };
        for (label, value) in items {
            out.push_str(&format!("\n{label}:\n"));
            for line in value.lines() {
                out.push_str("  ");
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

#[derive(Debug)]
pub enum SubmitError {
    /// The answers do not fit the form; nothing was stored.
    Invalid(Vec<FieldError>),
    /// The content guard found sensitive personal data in the free text, per answer,
    /// listed in the form's order with any other problems of the answers; nothing was
    /// stored.
    Sensitive(Vec<FieldError>),
    /// The form needs an ID-porten login the citizen does not have.
    LoginRequired,
    /// The sender's network address has sent its hour's share; it may send again after
    /// this many seconds. Nothing was stored.
    TooMany {
        retry_after: u64,
    },
    /// The form routes to a queue that has no recipients (a configuration error).
    NoRecipients(String),
    /// The form takes newsletter subscriptions, which this installation cannot (it
    /// lacks what the reason names).
    NoSubscriptions(&'static str),
    Seal(forms_crypto::seal::SealError),
    Random,
    Store(StoreError),
}

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::Invalid(errors) => write!(f, "{} invalid answers", errors.len()),
            SubmitError::Sensitive(errors) => {
                write!(f, "sensitive content in {} answers", errors.len())
            }
            SubmitError::LoginRequired => f.write_str("the form needs login"),
            SubmitError::NoSubscriptions(missing) => {
                write!(f, "the form takes subscriptions, which need {missing}")
            }
            SubmitError::TooMany { retry_after } => {
                write!(f, "too many submissions; again in {retry_after} s")
            }
            SubmitError::NoRecipients(queue) => write!(f, "queue '{queue}' has no recipients"),
            SubmitError::Seal(err) => write!(f, "{err}"),
            SubmitError::Random => f.write_str("no randomness for ids"),
            SubmitError::Store(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for SubmitError {}

/// Tries before giving up on finding an unused reference number. With 40 random bits a
/// year, a second try is already rare.
const REFERENCE_TRIES: usize = 4;

/// The address kept with a privacy request to find its sender's newsletter
/// subscriptions by: the one KRR has for them. Not an address typed into the form,
/// which would let anyone ask whose subscriptions an address has.
fn contact_address<'s>(form: &Form, sender: Option<&'s Sender<'_>>) -> Option<&'s str> {
    if !form.privacy_request {
        return None;
    }
    sender?.citizen.contact.as_ref()?.email.as_deref()
}

/// The logged-in sender of a submission.
pub struct Sender<'a> {
    pub citizen: &'a crate::auth::session::Citizen,
    /// The keyed HMAC of their identity number, for "Mine innsendinger".
    pub key: String,
    /// The language they filled in the form in: that of the receipt by e-mail.
    pub lang: Lang,
}

/// Where submissions are taken in, and the rules of this installation.
#[derive(Clone, Copy)]
pub struct Intake<'a> {
    pub catalog: &'a Catalog,
    pub store: &'a Store,
    pub now: Timestamp,
    /// Whether synthetic test persons' identity numbers are accepted.
    pub allow_synthetic_ids: bool,
    /// The field vault, to keep the citizen's reply address apart from the sealed
    /// submission; without it no reply address is kept.
    pub vault: Option<&'a forms_crypto::vault::Keyring>,
    /// Outgoing mail, to tell caseworkers of new submissions.
    pub mailer: Option<&'a std::sync::Arc<crate::mail::Mailer>>,
    /// The hourly limit and the sender's address; `None` when there is no limit.
    pub limit: Option<(&'a crate::limit::Limiter, std::net::IpAddr)>,
    /// Newsletter subscriptions, where the installation can take them.
    pub newsletters: Option<&'a crate::newsletter::Newsletters>,
    /// The language of the page the answers came from.
    pub lang: Lang,
}

/// What became of answers that passed the form's check.
pub enum Accepted {
    /// Sealed and stored: the receipt.
    Stored(Receipt),
    /// A newsletter sign-up, kept until the citizen confirms it from the mail sent to
    /// the address (`crate::newsletter`).
    AwaitsConfirmation,
}

/// Tells the queue's caseworkers that a submission has come, without any of its
/// content, after the receipt (a slow mail server never delays a citizen).
fn notify_caseworkers(mailer: &std::sync::Arc<crate::mail::Mailer>, queue: &crate::schema::Queue) {
    let addresses: Vec<String> = queue
        .members
        .iter()
        .filter_map(|m| m.email.clone())
        .collect();
    if addresses.is_empty() {
        return;
    }
    let queue_id = queue.id.to_string();
    let subject = format!("Ny innsending i køen {}", queue.name.nb);
    let body = format!(
        "Det har kommet en ny innsending i køen {} ({queue_id}).\n\n\
         Hent og åpne den på din egen maskin med forms caseworker pull. Av hensyn til \
         personvernet står ingenting av innholdet i denne e-posten.\n",
        queue.name.nb
    );
    send_later(
        mailer,
        crate::mail::Kind::Notice,
        addresses,
        subject,
        body,
        move || {
            tracing::warn!(queue = %queue_id, "a caseworker was not notified: the mail server did not take it");
        },
    );
}

/// Sends one message to each of `addresses` in a task of its own, so that a slow mail
/// server never delays the citizen; `failed` logs each address the server did not take
/// (without the address).
pub(crate) fn send_later(
    mailer: &std::sync::Arc<crate::mail::Mailer>,
    kind: crate::mail::Kind,
    addresses: Vec<String>,
    subject: String,
    body: String,
    failed: impl Fn() + Send + 'static,
) {
    let mailer = mailer.clone();
    tokio::spawn(async move {
        for address in addresses {
            if mailer.send(kind, &address, &subject, &body).await.is_err() {
                failed();
            }
        }
    });
}

/// Sends the logged-in citizen a receipt at `address`, after the receipt page (a slow
/// mail server never delays a citizen): the form, the reference and the time, none of
/// the answers. Only after login: an open form would let anyone have the municipality
/// mail any address.
fn mail_receipt(
    mailer: &std::sync::Arc<crate::mail::Mailer>,
    address: &str,
    form: &Form,
    reference: &str,
    received: Timestamp,
    lang: Lang,
) {
    use crate::i18n::{Msg, t};
    let title = form.title.get(lang);
    let subject = t(lang, Msg::ReceiptMailSubject { title });
    let body = t(
        lang,
        Msg::ReceiptMailBody {
            title,
            reference,
            received: &received.display_nb(),
        },
    );
    let form_id = form.id.clone();
    send_later(
        mailer,
        crate::mail::Kind::Receipt,
        vec![address.to_string()],
        subject,
        body,
        move || {
            tracing::warn!(form = %form_id, "the receipt was not mailed: the mail server did not take it");
        },
    );
}

/// The first e-mail address among the answers: where an answer by e-mail goes.
pub(crate) fn reply_address<'a>(form: &Form, answers: &'a Answers) -> Option<&'a str> {
    form.fields()
        .filter(|f| matches!(f.kind, crate::schema::FieldKind::Email))
        .find_map(|f| match answers.get(&f.id) {
            Some(Value::Text(address)) if !address.is_empty() => Some(address.as_str()),
            _ => None,
        })
}

/// Validates, seals and durably stores a submission. A form that needs login takes
/// nothing without a sender logged in at its level. Each outcome is counted in the
/// metrics, by form.
pub async fn accept(
    intake: &Intake<'_>,
    form: &Form,
    raw: &RawAnswers,
    sender: Option<&Sender<'_>>,
) -> Result<Accepted, SubmitError> {
    let result = take_in(intake, form, raw, sender).await;
    let outcome = match &result {
        Ok(Accepted::Stored(_)) => "stored",
        Ok(Accepted::AwaitsConfirmation) => "awaits_confirmation",
        Err(SubmitError::Invalid(_)) => "invalid",
        Err(SubmitError::Sensitive(_)) => "sensitive",
        Err(SubmitError::LoginRequired) => "login_required",
        Err(SubmitError::TooMany { .. }) => "too_many",
        Err(SubmitError::NoRecipients(_) | SubmitError::NoSubscriptions(_)) => "unavailable",
        Err(SubmitError::Seal(_) | SubmitError::Random | SubmitError::Store(_)) => "failed",
    };
    let form_id = form.id.to_string();
    crate::metrics::count(
        crate::metrics::SUBMISSIONS,
        &[("form", form_id.as_str()), ("outcome", outcome)],
    );
    result
}

async fn take_in(
    intake: &Intake<'_>,
    form: &Form,
    raw: &RawAnswers,
    sender: Option<&Sender<'_>>,
) -> Result<Accepted, SubmitError> {
    let Intake {
        catalog,
        store,
        now,
        allow_synthetic_ids,
        vault,
        mailer,
        limit,
        newsletters,
        lang,
    } = *intake;
    let needed = crate::auth::idporten::Level::for_form(form.auth);
    let has = sender.map(|s| s.citizen.login.level);
    if needed.is_some() && (has.is_none() || has < needed) {
        tracing::info!(form = %form.id, "submission refused: the form needs login");
        return Err(SubmitError::LoginRequired);
    }
    let ctx = Context::at(now, allow_synthetic_ids);
    // Every problem at once: the guard reads the answers that are valid even when
    // others are not, so the citizen does not fix one thing only to meet the next.
    let mut checked = form.check(raw, &ctx);
    let mut errors = std::mem::take(&mut checked.errors);
    let found = match catalog.guard() {
        Some(guard) if form.content_guard == crate::schema::GuardPolicy::Refuse => {
            guard_answers(guard, &checked.answers)
        }
        _ => Vec::new(),
    };
    if !found.is_empty() {
        let mut kinds: Vec<&str> = found
            .iter()
            .flat_map(|e| match &e.problem {
                Problem::Sensitive { kinds } => kinds.iter().map(|k| k.name()).collect(),
                _ => Vec::new(),
            })
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        tracing::info!(
            form = %form.id,
            kinds = %kinds.join(","),
            other_problems = errors.len(),
            "submission refused: sensitive personal data"
        );
        let count = Op::CountGuardRefusal {
            day: now.norwegian_day().to_string(),
            form_id: form.id.to_string(),
            kinds,
        };
        if let Err(err) = store.write(vec![count]).await {
            tracing::warn!(error = %err, "cannot count a refusal by the content guard");
        }
        errors.extend(found);
        errors.sort_by_key(|e| form.place(&e.field));
        return Err(SubmitError::Sensitive(errors));
    }
    if !errors.is_empty() {
        tracing::info!(form = %form.id, problems = errors.len(), "submission refused: invalid answers");
        return Err(SubmitError::Invalid(errors));
    }
    let answers = &checked.answers;
    let count = limit.map(|(limiter, ip)| limiter.count(ip, now));
    if form.subscription.is_some() {
        let newsletters = newsletters.ok_or(SubmitError::NoSubscriptions(
            "[vault], [mail] and [site] url",
        ))?;
        return match newsletters
            .sign_up(store, form, answers, lang, now, count)
            .await
        {
            Ok(()) => Ok(Accepted::AwaitsConfirmation),
            Err(crate::newsletter::NewsletterError::Store(err)) => Err(not_stored(form, err)),
            Err(_) => Err(SubmitError::Random),
        };
    }
    let queue = form.queue_for(answers).clone();
    let recipients = catalog
        .queue(queue.as_str())
        .map(|q| q.recipients())
        .unwrap_or_default();
    if recipients.is_empty() {
        return Err(SubmitError::NoRecipients(queue.to_string()));
    }
    let mut last_error = StoreError::Conflict;
    for _ in 0..REFERENCE_TRIES {
        let id = submission_id(now).ok_or(SubmitError::Random)?;
        let reference = new_reference(now).ok_or(SubmitError::Random)?;
        let mut payload = build_payload(form, answers, &queue, &id, &reference, now);
        if let Some(sender) = sender {
            add_sender(&mut payload, form, raw, sender);
        }
        let plaintext =
            zeroize::Zeroizing::new(serde_json::to_vec(&payload).map_err(|_| SubmitError::Random)?);
        // Inline: about 0.2 ms of CPU. Moving it to the blocking pool was measured
        // (benches/submit.rs) and made no difference in throughput on two cores.
        let sealed =
            forms_crypto::seal::seal(&plaintext, &recipients).map_err(SubmitError::Seal)?;
        // An address kept beside the sealed answers, where there is a vault to keep it.
        let in_vault = |column: VaultColumn, address: Option<&str>| match (vault, address) {
            (Some(vault), Some(address)) => vault
                .encrypt(column.place(&id), address.as_bytes())
                .map(Some)
                .map_err(|_| SubmitError::Random),
            _ => Ok(None),
        };
        let mut ops = vec![
            Op::InsertSubmission(NewSubmission {
                id: id.clone(),
                reference: reference.clone(),
                form_id: form.id.to_string(),
                schema_sha256: form.schema_sha256.clone(),
                queue: queue.to_string(),
                received_at: now,
                retain_until: form.retain_until(now),
                sealed,
                citizen: sender.map(|s| s.key.clone()),
                handover_consent: form
                    .handover_consent
                    .as_ref()
                    .is_some_and(|field| matches!(answers.get(field), Some(Value::Bool(true)))),
                reply_to: in_vault(VaultColumn::ReplyAddress, reply_address(form, answers))?,
                contact_address: in_vault(
                    VaultColumn::ContactAddress,
                    contact_address(form, sender),
                )?,
            }),
            Op::Audit(AuditEntry {
                at: now,
                actor: crate::store::actors::CITIZEN.into(),
                action: actions::SUBMISSION_RECEIVED,
                submission_id: Some(id),
                queue: Some(queue.to_string()),
            }),
        ];
        ops.extend(count.clone());
        match store.write(ops).await {
            Ok(()) => {
                tracing::info!(form = %form.id, reference = %reference, "submission received");
                if let (Some(mailer), Some(queue)) = (mailer, catalog.queue(queue.as_str())) {
                    notify_caseworkers(mailer, queue);
                }
                let mut mailed = false;
                if let (Some(mailer), Some(sender), Some(address)) =
                    (mailer, sender, reply_address(form, answers))
                {
                    mail_receipt(mailer, address, form, &reference, now, sender.lang);
                    mailed = true;
                }
                return Ok(Accepted::Stored(Receipt {
                    reference,
                    received_at: now,
                    sent: checked,
                    mailed,
                }));
            }
            Err(StoreError::Conflict) => last_error = StoreError::Conflict,
            Err(err) => return Err(not_stored(form, err)),
        }
    }
    Err(SubmitError::Store(last_error))
}

/// Why the store took nothing of a submission to `form`: over the sender's hourly
/// limit (logged as a refusal), or a failure.
fn not_stored(form: &Form, err: StoreError) -> SubmitError {
    match err {
        StoreError::OverLimit(retry_after) => {
            tracing::info!(form = %form.id, retry_after, "submission refused: too many from one address");
            SubmitError::TooMany { retry_after }
        }
        err => SubmitError::Store(err),
    }
}

fn build_payload(
    form: &Form,
    answers: &Answers,
    queue: &QueueId,
    id: &str,
    reference: &str,
    now: Timestamp,
) -> Payload {
    Payload {
        format: PAYLOAD_FORMAT.into(),
        reference: reference.into(),
        submission_id: id.into(),
        form: PayloadForm {
            id: form.id.to_string(),
            title: form.title.nb.clone(),
            schema_sha256: form.schema_sha256.clone(),
        },
        queue: queue.to_string(),
        received_at: now.rfc3339(),
        auth: None,
        prefill: serde_json::Map::new(),
        readable: form.readable(answers, Lang::Nb),
        answers: answers.0.clone(),
        fields: Vec::new(),
    }
}

/// Who sent it (`pid`, `acr`, `amr`) and, for each prefilled field, where its value
/// came from and whether the citizen changed it.
fn add_sender(payload: &mut Payload, form: &Form, raw: &RawAnswers, sender: &Sender<'_>) {
    let login = &sender.citizen.login;
    payload.auth = Some(serde_json::json!({
        "pid": login.pid,
        "acr": login.acr,
        "amr": login.amr,
        "level": login.level,
    }));
    for field in form.fields() {
        let Some(source) = field.prefill else {
            continue;
        };
        let offered = sender.citizen.offered(source);
        let sent = raw.text(&field.id).map(str::trim).unwrap_or_default();
        payload.prefill.insert(
            field.id.clone(),
            serde_json::json!({
                "source": source.name(),
                "prefilled": offered.is_some(),
                "changed": offered.is_some_and(|o| o.trim() != sent),
            }),
        );
    }
}

/// Every text answer the content guard finds sensitive data in, with the kinds.
fn guard_answers(guard: &crate::guard::Guard, answers: &Answers) -> Vec<FieldError> {
    let mut found = Vec::new();
    for (name, value) in &answers.0 {
        value.each_leaf(name, &mut |path, leaf| {
            let Value::Text(text) = leaf else { return };
            let kinds = guard.scan(text);
            if !kinds.is_empty() {
                found.push(FieldError {
                    field: path.to_string(),
                    problem: Problem::Sensitive {
                        kinds: kinds.into_iter().collect(),
                    },
                });
            }
        });
    }
    found
}

/// A random 128-bit id in hex.
pub fn random_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    forms_crypto::random_bytes(&mut bytes).ok()?;
    Some(forms_crypto::hex::encode(&bytes))
}

/// A submission's id: 48 bits of milliseconds, then 80 random bits, in hex. Ids made
/// later sort later, so the database's index on them grows at one end instead of
/// touching a random page for every insert (and every page written costs disk time at
/// each commit).
pub fn submission_id(now: Timestamp) -> Option<String> {
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&now.0.max(0).to_be_bytes()[2..]);
    forms_crypto::random_bytes(&mut bytes[6..]).ok()?;
    Some(forms_crypto::hex::encode(&bytes))
}

/// Crockford's base 32: no I, L, O or U, so a reference read aloud or retyped is not
/// mistaken.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A reference number such as `2026-7K3F-9QXA`: the year, then 40 random bits.
pub fn new_reference(now: Timestamp) -> Option<String> {
    let mut bytes = [0u8; 5];
    forms_crypto::random_bytes(&mut bytes).ok()?;
    let mut bits = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let mut symbols = [0u8; 8];
    for symbol in symbols.iter_mut().rev() {
        *symbol = CROCKFORD[(bits & 31) as usize];
        bits >>= 5;
    }
    let (year, _, _) = now.date();
    let text = std::str::from_utf8(&symbols).ok()?;
    Some(format!("{year}-{}-{}", &text[..4], &text[4..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::idporten::{KrrContact, Level, LoggedIn};
    use crate::auth::session::Citizen;
    use crate::schema::answers::RawValue;

    /// The payload says who sent it, and for each prefilled field where the value came
    /// from and whether the citizen changed it.
    #[test]
    fn the_payload_records_the_sender_and_prefill_sources() {
        let catalog = Catalog::shipped();
        let form = catalog.form("kontaktregister").unwrap();
        let citizen = Citizen {
            login: LoggedIn {
                pid: "17819010188".into(),
                level: Level::Substantial,
                acr: "idporten-loa-substantial".into(),
                amr: vec!["Minid-PIN".into()],
                sid: None,
                id_token: String::new(),
                access_token: None,
            },
            contact: Some(KrrContact {
                email: Some("kari@example.no".into()),
                mobile: Some("+4791234567".into()),
            }),
        };
        let sender = Sender {
            citizen: &citizen,
            key: "k".into(),
            lang: Lang::Nb,
        };
        let raw = RawAnswers(vec![
            ("epost".into(), RawValue::Text("kari@example.no".into())),
            ("telefon".into(), RawValue::Text("+47 400 00 000".into())),
        ]);
        let mut payload = build_payload(
            form,
            &Answers::default(),
            form.queues().next().unwrap(),
            "id",
            "ref",
            Timestamp(0),
        );
        add_sender(&mut payload, form, &raw, &sender);
        let auth = payload.auth.unwrap();
        assert_eq!(auth["pid"], "17819010188");
        assert_eq!(auth["acr"], "idporten-loa-substantial");
        assert_eq!(auth["amr"][0], "Minid-PIN");
        assert_eq!(payload.prefill["epost"]["source"], "krr.email");
        assert_eq!(payload.prefill["epost"]["changed"], false);
        assert_eq!(payload.prefill["telefon"]["source"], "krr.mobile");
        assert_eq!(payload.prefill["telefon"]["changed"], true);
        assert!(Level::High > Level::Substantial);
        assert_eq!(Level::from_acr("Level4"), Some(Level::High));
    }

    #[test]
    fn submission_ids_sort_by_time_and_differ() {
        let a = submission_id(Timestamp(1_795_438_509_000)).unwrap();
        let b = submission_id(Timestamp(1_795_438_509_001)).unwrap();
        let c = submission_id(Timestamp(1_795_438_509_001)).unwrap();
        assert_eq!(a.len(), 32);
        assert!(a < b);
        assert_ne!(b, c);
        assert_eq!(&b[..12], &c[..12]);
    }

    #[test]
    fn references_are_readable_and_differ() {
        let now = Timestamp(1_795_438_509_000);
        let a = new_reference(now).unwrap();
        let b = new_reference(now).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 14);
        assert!(a.starts_with("2026-"));
        assert!(
            a[5..].bytes().all(|c| c == b'-' || CROCKFORD.contains(&c)),
            "{a}"
        );
    }

    #[test]
    fn text_rendering_follows_the_form_order_and_indents_lines() {
        let payload = Payload {
            format: PAYLOAD_FORMAT.into(),
            reference: "2026-AAAA-BBBB".into(),
            submission_id: "x".into(),
            form: PayloadForm {
                id: "kontakt".into(),
                title: "Kontakt kommunen".into(),
                schema_sha256: "ab".repeat(32),
            },
            queue: "servicetorget".into(),
            received_at: "2026-11-23T12:00:00Z".into(),
            auth: None,
            prefill: Default::default(),
            answers: [(
                "message".to_string(),
                Value::Text("linje 1\nlinje 2".to_string()),
            )]
            .into_iter()
            .collect(),
            readable: Vec::new(),
            fields: vec![
                PayloadField {
                    id: "message".into(),
                    label: "Din henvendelse".into(),
                },
                PayloadField {
                    id: "email".into(),
                    label: "E-post".into(),
                },
            ],
        };
        let text = payload.to_text();
        assert!(text.contains("Referanse: 2026-AAAA-BBBB"));
        assert!(text.contains("Mottatt: 23.11.2026 kl. 13:00\n"), "{text}");
        assert!(text.contains("Din henvendelse:\n  linje 1\n  linje 2\n"));
        assert!(!text.contains("E-post"), "unanswered fields are left out");
    }
}
