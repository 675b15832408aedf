//! The schema language: one YAML file a form, plus `queues.yaml`.
//!
//! Owns loading and checking schema files ([`Catalog::load_dir`]), the typed form model
//! ([`Form`], [`Field`]) and validation of a citizen's answers against it
//! ([`answers`]). Every mistake in a file is reported with the file, line and column and
//! what to do about it; a catalog with any mistake is refused whole, so the server never
//! serves half a set of forms.
//!
//! Must never: log answers, or depend on the web layer.

pub mod answers;
mod files;
pub mod json_schema;
pub mod values;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use forms_crypto::seal::Recipient;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::clock::{Date, Timestamp};
use crate::i18n::Lang;
use values::FileType;

pub use files::SchemaError;

/// A form's id: lower-case letters, digits and '-', starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FormId(String);

/// A queue's id, same alphabet as [`FormId`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueId(String);

macro_rules! slug_type {
    ($name:ident, $what:literal) => {
        impl $name {
            /// Parses a slug: 1 to 64 of `a-z`, `0-9`, `-`, starting with a letter.
            pub fn parse(text: &str) -> Result<Self, String> {
                if is_slug(text) {
                    Ok($name(text.to_string()))
                } else {
                    Err(format!(
                        "{} id '{}' must be 1 to 64 lower-case letters a-z, digits or '-', \
                         starting with a letter",
                        $what,
                        text.chars().take(70).collect::<String>()
                    ))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_type!(FormId, "form");
slug_type!(QueueId, "queue");

pub(crate) fn is_slug(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// A text in the form's languages. Bokmål is required; nynorsk and English fall back to
/// bokmål where a form does not give them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub nb: String,
    pub nn: Option<String>,
    pub en: Option<String>,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nb => &self.nb,
            Lang::Nn => self.nn.as_deref().unwrap_or(&self.nb),
            Lang::En => self.en.as_deref().unwrap_or(&self.nb),
        }
    }
}

/// The login a form needs (ID-porten's levels).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// Open to anyone.
    None,
    /// Anyone; a logged-in citizen gets prefilled answers.
    Optional,
    /// MinID and better (level substantial).
    Substantial,
    /// BankID, Buypass, Commfides (level high). Required for sensitive forms.
    High,
}

impl Auth {
    /// Whether the citizen must be logged in to send the form.
    pub fn requires_login(self) -> bool {
        matches!(self, Auth::Substantial | Auth::High)
    }
}

/// Whether the content guard reads the form's free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GuardPolicy {
    /// Free text is not read by the content guard.
    #[default]
    Off,
    /// Free text with identity numbers, health details and the like is refused.
    Refuse,
}

/// Where a field's value may come from after login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum Prefill {
    /// The logged-in citizen's identity number (field type national_id).
    #[serde(rename = "idporten.pid")]
    IdportenPid,
    /// E-mail address from the contact register (field type email).
    #[serde(rename = "krr.email")]
    KrrEmail,
    /// Mobile number from the contact register (field type phone).
    #[serde(rename = "krr.mobile")]
    KrrMobile,
}

impl Prefill {
    /// The name a schema uses, e.g. `krr.email`.
    pub fn name(self) -> &'static str {
        match self {
            Prefill::IdportenPid => "idporten.pid",
            Prefill::KrrEmail => "krr.email",
            Prefill::KrrMobile => "krr.mobile",
        }
    }
}

/// A bound for a date answer: a fixed date, or a distance from the day of answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateBound {
    Fixed(Date),
    /// Days, months and years from today (negative for the past).
    Relative {
        days: i64,
        months: i64,
    },
}

impl DateBound {
    pub fn resolve(self, today: Date) -> Date {
        match self {
            DateBound::Fixed(date) => date,
            DateBound::Relative { days, months } => today.plus_months(months).plus_days(days),
        }
    }
}

/// How a single choice is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceDisplay {
    Radio,
    Select,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceOption {
    pub value: String,
    pub label: Text,
}

/// A regular expression an answer must match as a whole, and what to tell the citizen
/// when it does not.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub regex: regex::Regex,
    pub message: Text,
}

/// The kinds of field the language knows, each with its own options.
#[derive(Debug, Clone)]
pub enum FieldKind {
    Text {
        min_length: usize,
        max_length: usize,
        pattern: Option<Pattern>,
    },
    Textarea {
        min_length: usize,
        max_length: usize,
    },
    Email,
    Phone {
        international: bool,
    },
    NationalId,
    OrgNumber,
    Postcode,
    Date {
        min: Option<DateBound>,
        max: Option<DateBound>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
        decimals: u32,
        unit: Option<Text>,
    },
    Choice {
        options: Vec<ChoiceOption>,
        display: ChoiceDisplay,
    },
    MultiChoice {
        options: Vec<ChoiceOption>,
        min_selected: usize,
        max_selected: usize,
    },
    Consent,
    Attachment {
        accept: Vec<FileType>,
        max_bytes: usize,
        max_files: usize,
    },
    Group {
        fields: Vec<Field>,
        min_items: usize,
        max_items: usize,
        item_label: Text,
    },
    Info {
        text: Text,
    },
}

impl FieldKind {
    pub fn options(&self) -> &[ChoiceOption] {
        match self {
            FieldKind::Choice { options, .. } | FieldKind::MultiChoice { options, .. } => options,
            _ => &[],
        }
    }
}

/// A condition on earlier answers, for showing or requiring a field or page.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The answer is this value (for a multiple choice: this is among the values).
    Equals {
        field: String,
        value: String,
    },
    NotEquals {
        field: String,
        value: String,
    },
    /// The field has an answer at all.
    Answered {
        field: String,
        answered: bool,
    },
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

impl Condition {
    /// Every field the condition reads.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Condition::Equals { field, .. }
            | Condition::NotEquals { field, .. }
            | Condition::Answered { field, .. } => vec![field],
            Condition::All(all) | Condition::Any(all) => {
                all.iter().flat_map(Condition::fields).collect()
            }
        }
    }
}

/// A subscription form: its address is the form's first e-mail field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The multiple-choice field whose options are the topics, if there are topics.
    pub topics: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub id: String,
    pub kind: FieldKind,
    pub label: Text,
    pub hint: Option<Text>,
    pub required: bool,
    pub required_if: Option<Condition>,
    pub show_if: Option<Condition>,
    /// For dates and numbers: the answer must be later (larger) than this earlier field's.
    pub after: Option<String>,
    pub prefill: Option<Prefill>,
    /// The HTML `autocomplete` token (WCAG 1.3.5), from the schema or the field type.
    pub autocomplete: Option<String>,
}

impl Field {
    /// Whether the field takes an answer (an information text does not).
    pub fn is_answerable(&self) -> bool {
        !matches!(self.kind, FieldKind::Info { .. })
    }

    /// Whether an answer is always needed: `required`, a consent box (it must be ticked),
    /// or a multiple choice with `min_selected`. `required_if` comes on top of this.
    pub fn must_answer(&self) -> bool {
        self.required
            || match &self.kind {
                FieldKind::Consent => true,
                FieldKind::MultiChoice { min_selected, .. } => *min_selected > 0,
                _ => false,
            }
    }
}

#[derive(Debug, Clone)]
pub struct Page {
    pub id: String,
    pub title: Option<Text>,
    pub show_if: Option<Condition>,
    pub fields: Vec<Field>,
}

/// The first rule whose condition holds picks the queue; otherwise the default.
#[derive(Debug, Clone)]
pub struct Routing {
    pub default: QueueId,
    pub rules: Vec<(Condition, QueueId)>,
}

/// Why a form's answers are collected, and on what legal basis (GDPR article 13).
#[derive(Debug, Clone)]
pub struct Privacy {
    pub purpose: Text,
    pub legal_basis: Text,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub id: FormId,
    pub title: Text,
    pub description: Option<Text>,
    /// The languages the form is offered in; every text has each of them.
    pub languages: Vec<Lang>,
    pub auth: Auth,
    pub content_guard: GuardPolicy,
    /// The form behind login that a refusal by the content guard points to.
    pub secure_form: Option<String>,
    /// The consent field that allows handing the case to another public body.
    pub handover_consent: Option<String>,
    /// Whether special-category data (health, and the like) may be asked for.
    pub sensitive: bool,
    pub routing: Routing,
    pub retention_months: u32,
    /// The law that requires keeping submissions for `retention_months`; without one,
    /// a submission may be erased on the citizen's request before then.
    pub retention_required_by: Option<String>,
    /// What the citizen is told about the processing of their answers.
    pub privacy: Privacy,
    /// Whether citizens exercise their privacy rights with this form (every privacy
    /// page links to it).
    pub privacy_request: bool,
    /// A newsletter sign-up: what is kept to send it (`crate::newsletter`).
    pub subscription: Option<Subscription>,
    /// Extra text on the receipt page.
    pub receipt: Option<Text>,
    pub pages: Vec<Page>,
    /// SHA-256 of the schema file as loaded, recorded with every submission.
    pub schema_sha256: String,
    pub source: PathBuf,
}

impl Form {
    /// Every top-level field, page by page.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.pages.iter().flat_map(|p| p.fields.iter())
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields().find(|f| f.id == id)
    }

    /// The field an answer path names: `email`, or `children.1.name` inside a group.
    pub fn field_at(&self, path: &str) -> Option<&Field> {
        let mut parts = path.split('.');
        let top = self.field(parts.next()?)?;
        match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => Some(top),
            (Some(index), Some(sub), None) if index.parse::<usize>().is_ok() => match &top.kind {
                FieldKind::Group { fields, .. } => fields.iter().find(|f| f.id == sub),
                _ => None,
            },
            _ => None,
        }
    }

    /// Where an answer path comes in the form, for listing problems in the order the
    /// citizen meets the fields: the top-level field's place, then the item's number
    /// and the place of the field inside the item. A path that names no field comes
    /// after all that do.
    pub fn place(&self, path: &str) -> (usize, usize, usize) {
        let mut parts = path.split('.');
        let top = parts.next().unwrap_or_default();
        let Some((index, field)) = self.fields().enumerate().find(|(_, f)| f.id == top) else {
            return (usize::MAX, 0, 0);
        };
        let item = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let inner = match (&field.kind, parts.next()) {
            (FieldKind::Group { fields, .. }, Some(sub)) => fields
                .iter()
                .position(|f| f.id == sub)
                .unwrap_or(usize::MAX),
            _ => 0,
        };
        (index, item, inner)
    }

    /// The index of the page a top-level field is on.
    pub fn page_of(&self, field: &str) -> Option<usize> {
        let top = field.split('.').next()?;
        self.pages
            .iter()
            .position(|p| p.fields.iter().any(|f| f.id == top))
    }

    /// Whether the form takes files (posted as multipart, with a larger body limit).
    pub fn has_attachments(&self) -> bool {
        self.fields()
            .any(|f| matches!(f.kind, FieldKind::Attachment { .. }))
    }

    /// Whether the citizen pages through the form and sees a summary before sending.
    pub fn is_multi_page(&self) -> bool {
        self.pages.len() > 1
    }

    /// When a submission received at `received` is to be deleted: the same day and
    /// time, `retention_months` calendar months later (UTC; the last day of a shorter
    /// month).
    pub fn retain_until(&self, received: Timestamp) -> Timestamp {
        received.plus_months(self.retention_months)
    }

    /// Every queue the form may route to.
    pub fn queues(&self) -> impl Iterator<Item = &QueueId> {
        std::iter::once(&self.routing.default).chain(self.routing.rules.iter().map(|(_, q)| q))
    }

    /// Whether the form can answer in `lang`.
    pub fn offers(&self, lang: Lang) -> bool {
        self.languages.contains(&lang)
    }

    /// `lang` if the form offers it, else bokmål.
    pub fn lang_or_default(&self, lang: Lang) -> Lang {
        if self.offers(lang) { lang } else { Lang::Nb }
    }
}

/// A caseworker as declared in `queues.yaml`: a name and the public keys of their
/// devices.
#[derive(Debug, Clone)]
pub struct QueueMember {
    pub name: String,
    pub recipients: Vec<Recipient>,
    /// Where the caseworker is told of new submissions.
    pub email: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Queue {
    pub id: QueueId,
    pub name: Text,
    pub members: Vec<QueueMember>,
}

impl Queue {
    /// Everyone a submission to this queue is sealed to.
    pub fn recipients(&self) -> Vec<Recipient> {
        self.members
            .iter()
            .flat_map(|m| m.recipients.iter().cloned())
            .collect()
    }
}

/// What changes when a schema file in `dir` changes: each YAML file's name, size and
/// modification time.
pub fn fingerprint(dir: &Path) -> Vec<(PathBuf, crate::files::Stamp)> {
    let mut paths = files::form_paths(dir).unwrap_or_default();
    paths.push(dir.join(files::QUEUES_FILE));
    paths
        .into_iter()
        .map(|p| {
            let stamp = crate::files::stamp(&p);
            (p, stamp)
        })
        .collect()
}

/// Every form and queue, checked as a whole.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    forms: BTreeMap<String, Arc<Form>>,
    queues: BTreeMap<String, Queue>,
    /// The content guard, from the word files in `guard/`, if the folder has them.
    guard: Option<Arc<crate::guard::Guard>>,
}

impl Catalog {
    /// The forms shipped in `form-schemas/`, for tests.
    #[cfg(test)]
    pub(crate) fn shipped() -> Catalog {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../form-schemas");
        Catalog::load_dir(&dir).unwrap_or_else(|errors| panic!("{errors:?}"))
    }

    /// Loads `dir/queues.yaml` and every other `dir/*.yaml` as a form. Returns every
    /// mistake found, not just the first.
    pub fn load_dir(dir: &Path) -> Result<Catalog, Vec<SchemaError>> {
        files::load_dir(dir)
    }

    pub fn form(&self, id: &str) -> Option<&Arc<Form>> {
        self.forms.get(id)
    }

    /// The content guard of this folder's word files.
    pub fn guard(&self) -> Option<&crate::guard::Guard> {
        self.guard.as_deref()
    }

    pub fn forms(&self) -> impl Iterator<Item = &Arc<Form>> {
        self.forms.values()
    }

    pub fn queue(&self, id: &str) -> Option<&Queue> {
        self.queues.get(id)
    }

    pub fn queues(&self) -> impl Iterator<Item = &Queue> {
        self.queues.values()
    }

    /// Replaces every queue's members by one development caseworker with the given key.
    /// Only `forms dev` does this, so that local test data is sealed to local keys and
    /// never to the real caseworkers listed in `queues.yaml`.
    pub fn replace_recipients_for_dev(&mut self, keys: &BTreeMap<String, Recipient>) {
        for (id, queue) in &mut self.queues {
            if let Some(key) = keys.get(id) {
                queue.members = vec![QueueMember {
                    name: format!("dev caseworker of {id}"),
                    recipients: vec![key.clone()],
                    email: None,
                }];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in ["kontakt", "a", "barnehage-soknad", "k2"] {
            assert!(FormId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Kontakt", "2k", "-a", "a b", "å", &"a".repeat(65)] {
            assert!(FormId::parse(bad).is_err(), "{bad}");
        }
    }

    /// Problems are listed in the order the citizen meets the fields: by page and
    /// field, then by a group's item and the field inside it; unknown names last.
    #[test]
    fn answer_paths_sort_in_the_forms_order() {
        let catalog = Catalog::shipped();
        let form = catalog.form("barnehage").unwrap();
        let mut paths = vec![
            "ukjent",
            "barn.1.navn",
            "barn.0.fodselsdato",
            "barn.0.navn",
            "mobil",
        ];
        paths.sort_by_key(|p| form.place(p));
        assert_eq!(
            paths,
            [
                "mobil",
                "barn.0.navn",
                "barn.0.fodselsdato",
                "barn.1.navn",
                "ukjent"
            ]
        );
    }

    #[test]
    fn text_falls_back_to_bokmal() {
        let text = Text {
            nb: "Hei".into(),
            nn: None,
            en: Some("Hello".into()),
        };
        assert_eq!(text.get(Lang::Nb), "Hei");
        assert_eq!(text.get(Lang::Nn), "Hei");
        assert_eq!(text.get(Lang::En), "Hello");
    }
}
