//! Reading schema files: YAML through serde, simple rules through the validator crate,
//! then the checks that need the whole form or the whole folder (references, queues,
//! translations, login levels). Every error carries the file, line and column, says
//! what is wrong and how to fix it.
//!
//! The `*File` structs are the file format itself (its leaf enums are the model's own:
//! `Auth`, `Prefill`, `FileType`, `Lang`, …); [`super::json_schema`] derives the
//! JSON Schema for editors from them, so the two cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_saphyr::{Location, Spanned};
use sha2::{Digest, Sha256};
use validator::{Validate, ValidationError};

use super::values::FileType;
use super::{
    Auth, Catalog, ChoiceDisplay, ChoiceOption, Condition, DateBound, Field, FieldKind, Form,
    FormId, GuardPolicy, Page, Pattern, Prefill, Privacy, Queue, QueueId, QueueMember, Routing,
    Subscription, Text,
};
use crate::clock::Date;
use crate::i18n::Lang;

/// One mistake in one schema file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    pub file: PathBuf,
    /// 1-based; 0 when the mistake is about the file as a whole.
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.message
            )
        }
    }
}

impl SchemaError {
    fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        SchemaError {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
        }
    }
}

pub const QUEUES_FILE: &str = "queues.yaml";
/// A schema file larger than this is refused before parsing.
const MAX_FILE_BYTES: u64 = 1 << 20;
/// The largest attachment a schema may allow, in kilobytes (the request body limit
/// must leave room for it).
pub const MAX_ATTACHMENT_KB: u32 = 20_000;

// ---------------------------------------------------------------------------------
// The file format.

/// A text in the languages the form offers.
#[derive(Deserialize, Serialize, JsonSchema, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct TextFile {
    /// Bokmål (always required).
    nb: String,
    /// Nynorsk.
    nn: Option<String>,
    /// English.
    en: Option<String>,
}

impl TextFile {
    fn into_text(self) -> Text {
        Text {
            nb: self.nb,
            nn: self.nn,
            en: self.en,
        }
    }

    fn get(&self, lang: Lang) -> Option<&str> {
        match lang {
            Lang::Nb => Some(&self.nb),
            Lang::Nn => self.nn.as_deref(),
            Lang::En => self.en.as_deref(),
        }
    }
}

/// The field types of the language.
#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
enum KindFile {
    Text,
    Textarea,
    Email,
    Phone,
    NationalId,
    OrgNumber,
    Postcode,
    Date,
    Number,
    Choice,
    MultiChoice,
    Consent,
    Attachment,
    Group,
    Info,
}

impl KindFile {
    fn name(self) -> &'static str {
        match self {
            KindFile::Text => "text",
            KindFile::Textarea => "textarea",
            KindFile::Email => "email",
            KindFile::Phone => "phone",
            KindFile::NationalId => "national_id",
            KindFile::OrgNumber => "org_number",
            KindFile::Postcode => "postcode",
            KindFile::Date => "date",
            KindFile::Number => "number",
            KindFile::Choice => "choice",
            KindFile::MultiChoice => "multi_choice",
            KindFile::Consent => "consent",
            KindFile::Attachment => "attachment",
            KindFile::Group => "group",
            KindFile::Info => "info",
        }
    }
}

/// A YAML scalar read as text: `5`, `2.5`, `true` and `ja` all become strings.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(transparent)]
pub(super) struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a single value (text, number or true/false)")
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The JSON Schema of a [`Scalar`].
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum ScalarSchema {
    Text(String),
    Number(f64),
    Bool(bool),
}

/// A condition on earlier answers. Give `field` with one of `equals`, `not_equals` or
/// `answered`; or `all` / `any` with a list of conditions.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ConditionFile {
    /// The id of an earlier field.
    #[schemars(with = "Option<String>")]
    field: Option<Spanned<String>>,
    /// The answer is this value (for a multiple choice: this value is ticked).
    #[schemars(with = "Option<ScalarSchema>")]
    equals: Option<Spanned<Scalar>>,
    /// The answer is not this value.
    #[schemars(with = "Option<ScalarSchema>")]
    not_equals: Option<Spanned<Scalar>>,
    /// The field has (true) or has not (false) been answered.
    answered: Option<bool>,
    /// Every condition holds.
    #[schemars(with = "Option<Vec<ConditionFile>>")]
    all: Option<Vec<Spanned<ConditionFile>>>,
    /// At least one condition holds.
    #[schemars(with = "Option<Vec<ConditionFile>>")]
    any: Option<Vec<Spanned<ConditionFile>>>,
}

/// One option of a choice.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct OptionFile {
    /// What is stored and what conditions compare with.
    #[schemars(with = "String")]
    value: Spanned<String>,
    #[schemars(with = "TextFile")]
    label: Spanned<TextFile>,
}

#[derive(Deserialize, Serialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[schemars(with = "ConditionFile")]
    when: Spanned<ConditionFile>,
    #[schemars(with = "String")]
    queue: Spanned<String>,
}

/// Where submissions go: the first rule whose `when` holds picks the queue, otherwise
/// `queue`.
#[derive(Deserialize, Serialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
struct RouteFile {
    /// The default queue (declared in queues.yaml).
    #[schemars(with = "String")]
    queue: Spanned<String>,
    #[serde(default)]
    rules: Vec<RuleFile>,
}

#[derive(Deserialize, Serialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
struct RetentionFile {
    /// Months a submission is kept before it is deleted.
    #[validate(range(min = 1, max = 1200, message = "must be between 1 and 1200 months"))]
    months: u32,
    /// The law that requires keeping a submission for all those months, e.g.
    /// `arkivlova § 6`. With it, a citizen's request to erase one is refused until the
    /// months have passed; without it, a caseworker may erase one on request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    required_by: Option<String>,
}

/// What a subscription form keeps besides the address.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SubscriptionFile {
    /// The multiple-choice field whose options are the newsletter's topics (with
    /// `min_selected: 1`); without it, every newsletter goes to every subscriber.
    #[schemars(with = "Option<String>")]
    topics: Option<Spanned<String>>,
}

/// What a citizen is told before sending (GDPR article 13), on the form's privacy page.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PrivacyFile {
    /// What the answers are used for, e.g. "To answer your enquiry."
    #[schemars(with = "TextFile")]
    purpose: Spanned<TextFile>,
    /// What allows the municipality to process them, e.g. "GDPR article 6(1)(e) and
    /// the Public Administration Act".
    #[schemars(with = "TextFile")]
    legal_basis: Spanned<TextFile>,
}

/// One field of a form. Which options apply depends on `type`.
#[derive(Deserialize, Serialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
pub(super) struct FieldFile {
    /// Lower-case letters, digits and '-'; unique in the form.
    #[schemars(with = "String")]
    #[validate(custom(function = "slug"))]
    id: Spanned<String>,
    #[serde(rename = "type")]
    #[schemars(with = "KindFile")]
    kind: Spanned<KindFile>,
    /// The question (for `info`: an optional heading).
    #[schemars(with = "Option<TextFile>")]
    label: Option<Spanned<TextFile>>,
    /// Help shown under the label.
    #[schemars(with = "Option<TextFile>")]
    hint: Option<Spanned<TextFile>>,
    #[serde(default)]
    required: bool,
    /// Required only when this condition holds.
    #[schemars(with = "Option<ConditionFile>")]
    required_if: Option<Spanned<ConditionFile>>,
    /// Shown (and its answer kept) only when this condition holds.
    #[schemars(with = "Option<ConditionFile>")]
    show_if: Option<Spanned<ConditionFile>>,
    /// date, number: the answer must be later or larger than this earlier field's.
    #[schemars(with = "Option<String>")]
    after: Option<Spanned<String>>,
    #[schemars(with = "Option<Prefill>")]
    prefill: Option<Spanned<Prefill>>,
    /// An HTML autocomplete token, such as `name` or `street-address`.
    #[schemars(with = "Option<String>")]
    autocomplete: Option<Spanned<String>>,

    /// text, textarea.
    #[validate(range(max = 100000, message = "must be at most 100000"))]
    min_length: Option<usize>,
    /// text, textarea.
    #[validate(range(min = 1, max = 100000, message = "must be between 1 and 100000"))]
    max_length: Option<usize>,
    /// text: a regular expression the whole answer must match.
    #[schemars(with = "Option<String>")]
    pattern: Option<Spanned<String>>,
    /// text: what to tell the citizen when the pattern does not match.
    #[schemars(with = "Option<TextFile>")]
    pattern_message: Option<Spanned<TextFile>>,
    /// phone: accept numbers outside Norway too (default true).
    international: Option<bool>,
    /// date: `today`, `+30d`, `-18y`, `+6m` or `2026-01-31`; number: the smallest value.
    #[schemars(with = "Option<ScalarSchema>")]
    min: Option<Spanned<Scalar>>,
    /// date or number: the largest value, as `min`.
    #[schemars(with = "Option<ScalarSchema>")]
    max: Option<Spanned<Scalar>>,
    /// number: digits allowed after the decimal point (0 for whole numbers).
    #[validate(range(max = 6, message = "must be between 0 and 6"))]
    decimals: Option<u32>,
    /// number: the unit shown after the box (kr, m²).
    unit: Option<TextFile>,
    /// choice, multi_choice.
    #[schemars(with = "Option<Vec<OptionFile>>")]
    options: Option<Spanned<Vec<OptionFile>>>,
    /// choice: radio buttons (default) or a drop-down list.
    display: Option<ChoiceDisplay>,
    /// multi_choice.
    min_selected: Option<usize>,
    /// multi_choice.
    max_selected: Option<usize>,
    /// attachment: the file types accepted, read from the content.
    #[schemars(with = "Option<Vec<FileType>>")]
    accept: Option<Spanned<Vec<FileType>>>,
    /// attachment: the largest file in kilobytes.
    #[validate(range(min = 1, max = 20000, message = "must be between 1 and 20000 kB"))]
    max_size_kb: Option<u32>,
    /// attachment.
    #[validate(range(min = 1, max = 20, message = "must be between 1 and 20"))]
    max_files: Option<usize>,
    /// group: the fields of one item.
    #[schemars(with = "Option<Vec<FieldFile>>")]
    fields: Option<Spanned<Vec<FieldFile>>>,
    /// group.
    min_items: Option<usize>,
    /// group.
    #[validate(range(min = 1, max = 50, message = "must be between 1 and 50"))]
    max_items: Option<usize>,
    /// group: what one item is called ("Barn").
    #[schemars(with = "Option<TextFile>")]
    item_label: Option<Spanned<TextFile>>,
    /// info: the text shown.
    #[schemars(with = "Option<TextFile>")]
    text: Option<Spanned<TextFile>>,
}

#[derive(Deserialize, Serialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
struct PageFile {
    #[schemars(with = "String")]
    #[validate(custom(function = "slug"))]
    id: Spanned<String>,
    #[schemars(with = "Option<TextFile>")]
    title: Option<Spanned<TextFile>>,
    #[schemars(with = "Option<ConditionFile>")]
    show_if: Option<Spanned<ConditionFile>>,
    fields: Vec<FieldFile>,
}

/// A form: one file in form-schemas/.
#[derive(Deserialize, Serialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
pub(super) struct FormFile {
    /// Lower-case letters, digits and '-'; the form's address is /skjema/ID.
    #[schemars(with = "String")]
    #[validate(custom(function = "slug"))]
    id: Spanned<String>,
    #[schemars(with = "TextFile")]
    title: Spanned<TextFile>,
    #[schemars(with = "Option<TextFile>")]
    description: Option<Spanned<TextFile>>,
    /// The languages the form is offered in; every text must have each (default all).
    #[schemars(with = "Option<Vec<Lang>>")]
    languages: Option<Spanned<Vec<Lang>>>,
    #[schemars(with = "Auth")]
    auth: Spanned<Auth>,
    content_guard: Option<GuardPolicy>,
    /// The form behind login where sensitive details belong; the content guard's refusal
    /// links to it. Required with `content_guard: refuse`.
    secure_form: Option<String>,
    /// A consent field by which the citizen allows the case to be handed to another
    /// public body; without a ticked box (or a consent the caseworker records), a
    /// handover is refused.
    #[schemars(with = "Option<String>")]
    handover_consent: Option<Spanned<String>>,
    /// Whether special-category data (health, beliefs and the like) may be asked for;
    /// such forms need login at level high.
    #[schemars(with = "Option<bool>")]
    sensitive: Option<Spanned<bool>>,
    #[validate(nested)]
    route: RouteFile,
    #[validate(nested)]
    retention: RetentionFile,
    /// Whether this form is how citizens exercise their privacy rights (access,
    /// correction, erasure); every form's privacy page links to it.
    #[serde(default)]
    privacy_request: bool,
    /// A sign-up for the municipality's newsletter: the server keeps the address (the
    /// form's required e-mail field) and the topics, encrypted, to send the news, once
    /// the citizen has confirmed by a link mailed to the address; each newsletter links
    /// to a page where the topics are changed or the subscription ended. `retention` is
    /// how long a subscription lasts after its last confirmation or change.
    #[schemars(with = "Option<SubscriptionFile>")]
    subscription: Option<Spanned<SubscriptionFile>>,
    /// Why the answers are collected and on what legal basis: the form's privacy page
    /// tells the citizen, with who reads them, how long they are kept and the citizen's
    /// rights, which the server takes from the rest of the schema.
    // Required, but an `Option` so that the checker reports its absence at the form's
    // line with a fix; editors see it as required.
    #[schemars(with = "PrivacyFile")]
    privacy: Option<PrivacyFile>,
    /// Extra text on the receipt page.
    #[schemars(with = "Option<TextFile>")]
    receipt: Option<Spanned<TextFile>>,
    /// The fields of a one-page form (or use `pages`).
    #[schemars(with = "Option<Vec<FieldFile>>")]
    fields: Option<Spanned<Vec<FieldFile>>>,
    /// The pages of a form in several steps, with a summary before sending.
    #[schemars(with = "Option<Vec<PageFile>>")]
    pages: Option<Spanned<Vec<PageFile>>>,
}

#[derive(Deserialize, Serialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
struct MemberFile {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    name: String,
    /// The caseworker's age public keys (age1…), one per device.
    #[schemars(with = "Vec<String>")]
    #[validate(custom(function = "at_least_one_key"))]
    recipients: Vec<Spanned<String>>,
    /// Where the caseworker is told of new submissions in the queue (never their
    /// content).
    #[validate(email(message = "must be an e-mail address"))]
    email: Option<String>,
}

#[derive(Deserialize, Serialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
struct QueueFile {
    #[schemars(with = "String")]
    #[validate(custom(function = "slug"))]
    id: Spanned<String>,
    name: TextFile,
    #[validate(custom(function = "at_least_one_caseworker"), nested)]
    caseworkers: Vec<MemberFile>,
}

/// form-schemas/queues.yaml: the queues and their caseworkers' public keys.
#[derive(Deserialize, Serialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
pub(super) struct QueuesFile {
    #[validate(custom(function = "at_least_one_queue"), nested)]
    queues: Vec<QueueFile>,
}

fn non_empty<T>(items: &[T], message: &'static str) -> Result<(), ValidationError> {
    if items.is_empty() {
        Err(ValidationError::new("empty").with_message(message.into()))
    } else {
        Ok(())
    }
}

fn at_least_one_key(items: &[Spanned<String>]) -> Result<(), ValidationError> {
    non_empty(items, "give at least one age public key (age1…)")
}

fn at_least_one_caseworker(items: &[MemberFile]) -> Result<(), ValidationError> {
    non_empty(items, "a queue needs at least one caseworker")
}

fn at_least_one_queue(items: &[QueueFile]) -> Result<(), ValidationError> {
    non_empty(items, "declare at least one queue")
}

fn slug(id: &Spanned<String>) -> Result<(), ValidationError> {
    if super::is_slug(&id.value) {
        Ok(())
    } else {
        Err(ValidationError::new("slug").with_message(
            "must be 1 to 64 lower-case letters a-z, digits or '-', starting with a letter".into(),
        ))
    }
}

// ---------------------------------------------------------------------------------
// Parsing.

/// Parses and validates one file; `Err` holds every located error serde-saphyr reports.
fn parse_file<T>(path: &Path, text: &str) -> Result<T, Vec<SchemaError>>
where
    T: for<'de> Deserialize<'de> + Validate,
{
    serde_saphyr::from_str_validate::<T>(text).map_err(|err| located_errors(path, &err))
}

fn located_errors(path: &Path, err: &serde_saphyr::Error) -> Vec<SchemaError> {
    let (line, column) = err
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((0, 0));
    // serde-saphyr renders a snippet with the location; keep the first line, which is
    // the message, and give the location in our own format.
    let text = err.to_string();
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid schema");
    let message = with_suggestion(strip_location_prefix(first));
    vec![SchemaError {
        file: path.to_path_buf(),
        line,
        column,
        message,
    }]
}

/// `error: line 8 column 11: unknown variant …` becomes `unknown variant …`.
fn strip_location_prefix(message: &str) -> &str {
    let rest = message.strip_prefix("error: ").unwrap_or(message);
    match rest.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((position, tail)) if position.contains(" column ") => tail,
        _ => rest,
    }
}

/// Adds "did you mean …?" to serde's "unknown variant `x`, expected one of `a`, `b`"
/// and "unknown field" messages, when one of the expected names is close.
fn with_suggestion(message: &str) -> String {
    let Some(rest) = message
        .strip_prefix("unknown variant `")
        .or_else(|| message.strip_prefix("unknown field `"))
    else {
        return message.to_string();
    };
    let Some((given, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    if given.contains(' ') {
        return format!(
            "{message}; a comma inside {{ … }} ends a value, so put a text with commas in \
             quotes ('…')"
        );
    }
    // serde writes the expected names with or without backticks.
    let list = expected
        .split_once("expected one of ")
        .map(|(_, list)| list)
        .unwrap_or_default();
    let candidates: Vec<&str> = list
        .split(", ")
        .map(|c| c.trim_matches('`'))
        .filter(|c| !c.is_empty())
        .collect();
    match closest(given, candidates.iter().copied()) {
        Some(best) => format!("{message}; did you mean '{best}'?"),
        None => message.to_string(),
    }
}

/// The candidate nearest to `given` by edit distance, if near enough to be a typo.
pub(super) fn closest<'a>(
    given: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (given.chars().count() / 3).max(1);
    candidates
        .map(|c| (edit_distance(given, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "did you mean 'x'?" when a candidate is near `given`, else what `otherwise` says.
fn did_you_mean<'a>(
    given: &str,
    candidates: impl Iterator<Item = &'a str>,
    otherwise: impl FnOnce() -> String,
) -> String {
    match closest(given, candidates) {
        Some(best) => format!("did you mean '{best}'?"),
        None => otherwise(),
    }
}

/// Levenshtein distance over characters, with transpositions counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

fn read_file(path: &Path) -> Result<(String, String), SchemaError> {
    let meta = std::fs::metadata(path)
        .map_err(|err| SchemaError::whole_file(path, format!("cannot read the file: {err}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(SchemaError::whole_file(
            path,
            format!("the file is larger than {MAX_FILE_BYTES} bytes"),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|err| SchemaError::whole_file(path, format!("cannot read the file: {err}")))?;
    let hash = forms_crypto::hex::encode(&Sha256::digest(&bytes));
    let text = String::from_utf8(bytes)
        .map_err(|_| SchemaError::whole_file(path, "the file is not valid UTF-8"))?;
    Ok((text, hash))
}

/// The form files of a folder: every `*.yaml` but queues.yaml, sorted.
pub(super) fn form_paths(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && p.file_name().is_some_and(|n| n != QUEUES_FILE)
        })
        .collect();
    paths.sort();
    Ok(paths)
}

pub(super) fn load_dir(dir: &Path) -> Result<Catalog, Vec<SchemaError>> {
    let mut errors = Vec::new();
    let paths = form_paths(dir).map_err(|err| {
        vec![SchemaError::whole_file(
            dir,
            format!("cannot read the schema folder: {err}"),
        )]
    })?;
    let queues = load_queues(&dir.join(QUEUES_FILE)).unwrap_or_else(|mut errs| {
        errors.append(&mut errs);
        BTreeMap::new()
    });

    let mut forms: BTreeMap<String, Arc<Form>> = BTreeMap::new();
    for path in paths {
        match load_form(&path, &queues) {
            Ok(form) => {
                if let Some(other) = forms.get(form.id.as_str()) {
                    errors.push(SchemaError::whole_file(
                        &path,
                        format!(
                            "form id '{}' is already used by {}; every form needs its own id",
                            form.id,
                            other.source.display()
                        ),
                    ));
                } else {
                    forms.insert(form.id.as_str().to_string(), Arc::new(form));
                }
            }
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if errors.is_empty() && forms.is_empty() {
        errors.push(SchemaError::whole_file(
            dir,
            "the folder holds no form (*.yaml)",
        ));
    }
    let guard_dir = dir.join(GUARD_DIR);
    let guard = if guard_dir.is_dir() {
        match crate::guard::words::Words::load_dir(&guard_dir) {
            Ok(words) => Some(Arc::new(crate::guard::Guard::new(words))),
            Err(errs) => {
                for err in errs {
                    // The message starts with the word file it is about.
                    match err.0.split_once(": ") {
                        Some((file, message)) => {
                            errors.push(SchemaError::whole_file(Path::new(file), message))
                        }
                        None => errors.push(SchemaError::whole_file(&guard_dir, err.0)),
                    }
                }
                None
            }
        }
    } else {
        None
    };
    for form in forms.values() {
        if form.content_guard != GuardPolicy::Refuse {
            continue;
        }
        let secure = form.secure_form.as_deref().map(|id| forms.get(id));
        let problem = match secure {
            None => Some("content_guard: refuse needs secure_form: the form behind login that the refusal points to".to_string()),
            Some(None) => Some(format!(
                "secure_form '{}' is not a form in this folder",
                form.secure_form.as_deref().unwrap_or_default()
            )),
            Some(Some(other)) if !other.auth.requires_login() => Some(format!(
                "secure_form '{}' is open to anyone; it must need login (auth: substantial or high)",
                other.id
            )),
            Some(Some(_)) => None,
        };
        if let Some(problem) = problem {
            errors.push(SchemaError::whole_file(&form.source, problem));
        }
    }
    if guard.is_none() && !guard_dir.is_dir() {
        for form in forms.values() {
            if form.content_guard == GuardPolicy::Refuse {
                errors.push(SchemaError::whole_file(
                    &form.source,
                    format!(
                        "content_guard: refuse needs the guard's word files in {}",
                        guard_dir.display()
                    ),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(Catalog {
            forms,
            queues,
            guard,
        })
    } else {
        Err(errors)
    }
}

/// The content guard's word files: a folder beside the forms.
pub const GUARD_DIR: &str = "guard";

fn load_queues(path: &Path) -> Result<BTreeMap<String, Queue>, Vec<SchemaError>> {
    let (text, _) = read_file(path).map_err(|e| vec![e])?;
    let file: QueuesFile = parse_file(path, &text)?;
    let mut errors = Vec::new();
    let mut queues = BTreeMap::new();
    let at = |loc: Location, message: String| SchemaError {
        file: path.to_path_buf(),
        line: loc.line(),
        column: loc.column(),
        message,
    };
    for queue in file.queues {
        let mut members = Vec::new();
        for member in queue.caseworkers {
            let mut recipients = Vec::new();
            for key in &member.recipients {
                match key.value.parse() {
                    Ok(recipient) => recipients.push(recipient),
                    Err(err) => errors.push(at(
                        key.referenced,
                        format!("caseworker '{}': {err}", member.name),
                    )),
                }
            }
            members.push(QueueMember {
                name: member.name,
                recipients,
                email: member.email,
            });
        }
        let id = match QueueId::parse(&queue.id.value) {
            Ok(id) => id,
            Err(message) => {
                errors.push(at(queue.id.referenced, message));
                continue;
            }
        };
        if queues.contains_key(id.as_str()) {
            errors.push(at(
                queue.id.referenced,
                format!("queue '{id}' is declared twice; give each queue its own id"),
            ));
            continue;
        }
        queues.insert(
            id.as_str().to_string(),
            Queue {
                id,
                name: queue.name.into_text(),
                members,
            },
        );
    }
    if errors.is_empty() {
        Ok(queues)
    } else {
        Err(errors)
    }
}

fn load_form(path: &Path, queues: &BTreeMap<String, Queue>) -> Result<Form, Vec<SchemaError>> {
    let (text, schema_sha256) = read_file(path).map_err(|e| vec![e])?;
    let file: FormFile = parse_file(path, &text)?;
    let mut checker = Checker {
        path,
        errors: Vec::new(),
        languages: Vec::new(),
        auth: Auth::None,
        queues,
    };
    let form = checker.form(file, schema_sha256);
    match form {
        Some(form) if checker.errors.is_empty() => Ok(form),
        _ => {
            checker.errors.sort_by_key(|e| (e.line, e.column));
            Err(checker.errors)
        }
    }
}

// ---------------------------------------------------------------------------------
// Checking a form and building the model.

/// A field seen so far, for checking references to it.
struct Seen {
    kind: KindFile,
    options: Vec<String>,
}

struct Checker<'a> {
    path: &'a Path,
    errors: Vec<SchemaError>,
    languages: Vec<Lang>,
    /// The form's login level, for checking prefills.
    auth: Auth,
    queues: &'a BTreeMap<String, Queue>,
}

impl Checker<'_> {
    /// Runs the validator crate's rules of a part that serde-saphyr could not reach
    /// (inside a located list), reporting each at `loc`.
    fn rules(&mut self, part: &impl Validate, loc: Location, what: &str) {
        let Err(errors) = part.validate() else {
            return;
        };
        let mut found: Vec<(String, String)> = errors
            .field_errors()
            .into_iter()
            .flat_map(|(name, list)| {
                list.iter().map(move |e| {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| e.code.to_string());
                    (name.to_string(), message)
                })
            })
            .collect();
        found.sort();
        for (name, message) in found {
            self.error(loc, format!("{what}: '{name}' {message}"));
        }
    }

    fn error(&mut self, loc: Location, message: impl Into<String>) {
        self.errors.push(SchemaError {
            file: self.path.to_path_buf(),
            line: loc.line(),
            column: loc.column(),
            message: message.into(),
        });
    }

    /// A text with every language the form offers.
    fn text(&mut self, text: Spanned<TextFile>, what: &str) -> Text {
        for lang in self.languages.clone() {
            match text.value.get(lang) {
                None => self.error(
                    text.referenced,
                    format!(
                        "{what} has no '{lang}' text; the form is offered in {}, so add \
                         '{lang}:' (or remove '{lang}' from languages)",
                        self.language_list()
                    ),
                ),
                Some(s) if s.trim().is_empty() || s.chars().count() > 2000 => self.error(
                    text.referenced,
                    format!("{what}: the '{lang}' text must be 1 to 2000 characters"),
                ),
                Some(_) => {}
            }
        }
        text.value.into_text()
    }

    fn language_list(&self) -> String {
        self.languages
            .iter()
            .map(|l| l.tag())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn opt_text(&mut self, text: Option<Spanned<TextFile>>, what: &str) -> Option<Text> {
        text.map(|t| self.text(t, what))
    }

    fn queue(&mut self, queue: &Spanned<String>, what: &str) -> Option<QueueId> {
        match QueueId::parse(&queue.value) {
            Ok(q) if self.queues.contains_key(q.as_str()) || self.queues.is_empty() => Some(q),
            Ok(q) => {
                let known: Vec<&str> = self.queues.keys().map(String::as_str).collect();
                let hint = did_you_mean(q.as_str(), known.iter().copied(), || {
                    format!("declare it there or use one of: {}", known.join(", "))
                });
                self.error(
                    queue.referenced,
                    format!("{what} '{q}' is not declared in {QUEUES_FILE}; {hint}"),
                );
                None
            }
            Err(message) => {
                self.error(queue.referenced, message);
                None
            }
        }
    }

    fn form(&mut self, file: FormFile, schema_sha256: String) -> Option<Form> {
        self.languages = match &file.languages {
            None => Lang::ALL.to_vec(),
            Some(list) => {
                let mut langs: Vec<Lang> = Vec::new();
                for lang in &list.value {
                    if !langs.contains(lang) {
                        langs.push(*lang);
                    }
                }
                if !langs.contains(&Lang::Nb) {
                    self.error(
                        list.referenced,
                        "languages must include 'nb': every form is offered in bokmål",
                    );
                }
                langs
            }
        };
        let id = match FormId::parse(&file.id.value) {
            Ok(id) => Some(id),
            Err(message) => {
                self.error(file.id.referenced, message);
                None
            }
        };
        let title = self.text(file.title, "title");
        let description = self.opt_text(file.description, "description");
        let receipt = self.opt_text(file.receipt, "receipt");
        let privacy = match file.privacy {
            Some(p) => Some(Privacy {
                purpose: self.text(p.purpose, "privacy.purpose"),
                legal_basis: self.text(p.legal_basis, "privacy.legal_basis"),
            }),
            None => {
                self.error(
                    file.id.referenced,
                    "the form has no 'privacy:'; add its 'purpose' (what the answers are \
                     used for) and 'legal_basis' (what allows it): the citizen is told both \
                     before sending (GDPR article 13)",
                );
                None
            }
        };
        let auth = file.auth.value;
        self.auth = auth;
        let sensitive = file.sensitive.as_ref().is_some_and(|s| s.value);
        if let Some(s) = &file.sensitive
            && s.value
            && auth != Auth::High
        {
            self.error(
                s.referenced,
                "a form that allows sensitive data needs 'auth: high' (BankID level); \
                 MinID's level is for simple forms of non-sensitive character",
            );
        }

        // Pages: either `fields` (one page) or `pages`.
        let pages_file: Vec<PageFile> = match (file.fields, file.pages) {
            (Some(fields), None) => vec![PageFile {
                id: Spanned::new("main".into(), fields.referenced, fields.defined),
                title: None,
                show_if: None,
                fields: fields.value,
            }],
            (None, Some(pages)) => {
                if pages.value.is_empty() {
                    self.error(pages.referenced, "'pages' is empty; add at least one page");
                }
                pages.value
            }
            (Some(fields), Some(_)) => {
                self.error(
                    fields.referenced,
                    "give either 'fields' (a one-page form) or 'pages', not both",
                );
                return None;
            }
            (None, None) => {
                self.error(
                    file.id.referenced,
                    "the form has no fields; add 'fields:' (or 'pages:' for several steps)",
                );
                return None;
            }
        };

        let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
        let mut page_ids = BTreeSet::new();
        let mut pages = Vec::new();
        for page in pages_file {
            self.rules(
                &page,
                page.id.referenced,
                &format!("page '{}'", page.id.value),
            );
            if !page_ids.insert(page.id.value.clone()) {
                self.error(
                    page.id.referenced,
                    format!(
                        "page id '{}' is used twice; give each page its own id",
                        page.id.value
                    ),
                );
            }
            let title = self.opt_text(page.title, "page title");
            let show_if = page.show_if.map(|c| self.condition(c, &seen, None));
            if page.fields.is_empty() {
                self.error(
                    page.id.referenced,
                    format!("page '{}' has no fields", page.id.value),
                );
            }
            let mut fields = Vec::new();
            for field in page.fields {
                if let Some(f) = self.field(field, &mut seen, None) {
                    fields.push(f);
                }
            }
            pages.push(Page {
                id: page.id.value,
                title,
                show_if,
                fields,
            });
        }
        if pages.len() > 1 && pages.iter().any(|p| p.title.is_none()) {
            self.error(
                file.id.referenced,
                "every page of a form in several steps needs a 'title'",
            );
        }

        // Routing: queues declared, rule conditions over fields of the form.
        let default = self.queue(&file.route.queue, "route.queue");
        let mut rules = Vec::new();
        for rule in file.route.rules {
            let queue = self.queue(&rule.queue, "route rule queue");
            let when = self.condition(rule.when, &seen, None);
            if let Some(queue) = queue {
                rules.push((when, queue));
            }
        }

        let handover_consent = file.handover_consent.and_then(|field| {
            let fits = pages
                .iter()
                .flat_map(|p: &Page| p.fields.iter())
                .any(|f| f.id == field.value && matches!(f.kind, FieldKind::Consent));
            if fits {
                Some(field.value)
            } else {
                self.error(
                    field.referenced,
                    format!(
                        "handover_consent '{}' must name a consent field of this form",
                        field.value
                    ),
                );
                None
            }
        });
        let subscription = file
            .subscription
            .and_then(|sub| self.subscription(sub, &pages));
        let form = Form {
            id: id?,
            title,
            description,
            languages: self.languages.clone(),
            auth,
            content_guard: file.content_guard.unwrap_or_default(),
            secure_form: file.secure_form,
            handover_consent,
            sensitive,
            routing: Routing {
                default: default?,
                rules,
            },
            retention_months: file.retention.months,
            retention_required_by: file.retention.required_by.clone(),
            privacy: privacy?,
            privacy_request: file.privacy_request,
            subscription,
            receipt,
            pages,
            schema_sha256,
            source: self.path.to_path_buf(),
        };
        Some(form)
    }

    /// A subscription needs an address that is always asked for, and its topics a
    /// multiple choice that is always answered.
    fn subscription(
        &mut self,
        sub: Spanned<SubscriptionFile>,
        pages: &[Page],
    ) -> Option<Subscription> {
        let always = |f: &&Field| f.must_answer() && f.show_if.is_none();
        let fields = || pages.iter().flat_map(|p| p.fields.iter());
        let address = fields().find(|f| matches!(f.kind, FieldKind::Email));
        if !address.as_ref().is_some_and(always) {
            self.error(
                sub.referenced,
                "a subscription needs an e-mail field, required and always shown, as the \
                 first e-mail field of the form: the address the newsletter goes to",
            );
            return None;
        }
        let topics = match sub.value.topics {
            None => None,
            Some(topics) => {
                let fits = fields().filter(always).any(|f| {
                    f.id == topics.value && matches!(f.kind, FieldKind::MultiChoice { .. })
                });
                if !fits {
                    self.error(
                        topics.referenced,
                        format!(
                            "subscription.topics '{}' must name a multiple-choice field of \
                             this form with min_selected: 1 and no show_if",
                            topics.value
                        ),
                    );
                    return None;
                }
                Some(topics.value)
            }
        };
        Some(Subscription { topics })
    }

    fn prefill(&mut self, loc: Location, prefill: Prefill, kind: KindFile) {
        let (name, fits) = match prefill {
            Prefill::IdportenPid => ("idporten.pid", KindFile::NationalId),
            Prefill::KrrEmail => ("krr.email", KindFile::Email),
            Prefill::KrrMobile => ("krr.mobile", KindFile::Phone),
        };
        if kind != fits {
            self.error(
                loc,
                format!(
                    "prefill '{name}' fills a field of type '{}', not '{}'",
                    fits.name(),
                    kind.name()
                ),
            );
        }
        if self.auth == Auth::None {
            self.error(
                loc,
                format!(
                    "prefill '{name}' needs a logged-in citizen, but the form has 'auth: none'; \
                     use 'auth: optional' or higher, or remove the prefill"
                ),
            );
        }
    }

    /// Checks a condition: every field it reads exists and comes before `group` (or
    /// among the group's earlier fields), and compared values are options of the field.
    fn condition(
        &mut self,
        cond: Spanned<ConditionFile>,
        seen: &BTreeMap<String, Seen>,
        item: Option<&BTreeMap<String, Seen>>,
    ) -> Condition {
        let loc = cond.referenced;
        let c = cond.value;
        let forms_used = [
            c.equals.is_some(),
            c.not_equals.is_some(),
            c.answered.is_some(),
            c.all.is_some(),
            c.any.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        let fallback = Condition::All(Vec::new());
        if forms_used != 1 {
            self.error(
                loc,
                "a condition needs exactly one of 'equals', 'not_equals', 'answered' \
                 (each with 'field'), 'all' or 'any'",
            );
            return fallback;
        }
        let group = match (c.all, c.any) {
            (Some(list), _) => Some(("all", list, Condition::All as fn(_) -> _)),
            (_, Some(list)) => Some(("any", list, Condition::Any as fn(_) -> _)),
            _ => None,
        };
        if let Some((word, list, make)) = group {
            if c.field.is_some() {
                self.error(
                    loc,
                    format!("'{word}' takes a list of conditions, not 'field'"),
                );
            }
            return make(
                list.into_iter()
                    .map(|x| self.condition(x, seen, item))
                    .collect(),
            );
        }
        let Some(field) = c.field else {
            self.error(
                loc,
                "the condition needs 'field': the id of an earlier field",
            );
            return fallback;
        };
        let Some(target) = self.reference(&field, seen, item, "the condition") else {
            return fallback;
        };
        let field_id = field.value.clone();
        let check_value = |this: &mut Self, value: &Spanned<Scalar>| {
            let v = &value.value.0;
            let ok = match target.kind {
                KindFile::Choice | KindFile::MultiChoice => target.options.iter().any(|o| o == v),
                KindFile::Consent => v == "true" || v == "false",
                _ => true,
            };
            if !ok {
                let hint = did_you_mean(v, target.options.iter().map(String::as_str), || {
                    if target.kind == KindFile::Consent {
                        "use true or false".into()
                    } else {
                        format!("use one of: {}", target.options.join(", "))
                    }
                });
                this.error(
                    value.referenced,
                    format!("'{v}' is not an option of field '{field_id}'; {hint}"),
                );
            }
            v.clone()
        };
        if let Some(value) = c.equals {
            let value = check_value(self, &value);
            Condition::Equals {
                field: field.value,
                value,
            }
        } else if let Some(value) = c.not_equals {
            let value = check_value(self, &value);
            Condition::NotEquals {
                field: field.value,
                value,
            }
        } else {
            Condition::Answered {
                field: field.value,
                answered: c.answered.unwrap_or(true),
            }
        }
    }

    /// Resolves a reference to an earlier field.
    fn reference<'s>(
        &mut self,
        field: &Spanned<String>,
        seen: &'s BTreeMap<String, Seen>,
        item: Option<&'s BTreeMap<String, Seen>>,
        what: &str,
    ) -> Option<&'s Seen> {
        let id = &field.value;
        if let Some(found) = item.and_then(|i| i.get(id)).or_else(|| seen.get(id)) {
            if matches!(
                found.kind,
                KindFile::Info | KindFile::Group | KindFile::Attachment
            ) {
                self.error(
                    field.referenced,
                    format!(
                        "{what} reads field '{id}', of type '{}', which has no value to compare",
                        found.kind.name()
                    ),
                );
                return None;
            }
            return Some(found);
        }
        let known = item
            .into_iter()
            .flat_map(|i| i.keys())
            .chain(seen.keys())
            .map(String::as_str);
        let hint = did_you_mean(id, known, || {
            "a condition can only read fields that come before it".into()
        });
        self.error(
            field.referenced,
            format!(
                "{what} reads field '{id}', which is not an earlier field of this form; {hint}"
            ),
        );
        None
    }

    fn field(
        &mut self,
        mut file: FieldFile,
        seen: &mut BTreeMap<String, Seen>,
        group: Option<&BTreeMap<String, Seen>>,
    ) -> Option<Field> {
        let kind = file.kind.value;
        let id = file.id.value.clone();
        let type_loc = file.kind.referenced;
        self.rules(&file, file.id.referenced, &format!("field '{id}'"));

        // Options that do not belong to this type.
        let present: [(&str, bool, &[KindFile]); 22] = [
            (
                "min_length",
                file.min_length.is_some(),
                &[KindFile::Text, KindFile::Textarea],
            ),
            (
                "max_length",
                file.max_length.is_some(),
                &[KindFile::Text, KindFile::Textarea],
            ),
            ("pattern", file.pattern.is_some(), &[KindFile::Text]),
            (
                "pattern_message",
                file.pattern_message.is_some(),
                &[KindFile::Text],
            ),
            (
                "international",
                file.international.is_some(),
                &[KindFile::Phone],
            ),
            (
                "min",
                file.min.is_some(),
                &[KindFile::Date, KindFile::Number],
            ),
            (
                "max",
                file.max.is_some(),
                &[KindFile::Date, KindFile::Number],
            ),
            (
                "after",
                file.after.is_some(),
                &[KindFile::Date, KindFile::Number],
            ),
            ("decimals", file.decimals.is_some(), &[KindFile::Number]),
            ("unit", file.unit.is_some(), &[KindFile::Number]),
            (
                "options",
                file.options.is_some(),
                &[KindFile::Choice, KindFile::MultiChoice],
            ),
            ("display", file.display.is_some(), &[KindFile::Choice]),
            (
                "min_selected",
                file.min_selected.is_some(),
                &[KindFile::MultiChoice],
            ),
            (
                "max_selected",
                file.max_selected.is_some(),
                &[KindFile::MultiChoice],
            ),
            ("accept", file.accept.is_some(), &[KindFile::Attachment]),
            (
                "max_size_kb",
                file.max_size_kb.is_some(),
                &[KindFile::Attachment],
            ),
            (
                "max_files",
                file.max_files.is_some(),
                &[KindFile::Attachment],
            ),
            ("fields", file.fields.is_some(), &[KindFile::Group]),
            ("min_items", file.min_items.is_some(), &[KindFile::Group]),
            ("max_items", file.max_items.is_some(), &[KindFile::Group]),
            ("item_label", file.item_label.is_some(), &[KindFile::Group]),
            ("text", file.text.is_some(), &[KindFile::Info]),
        ];
        for (name, is_present, kinds) in present {
            if is_present && !kinds.contains(&kind) {
                let types: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
                self.error(
                    type_loc,
                    format!(
                        "field '{id}' is of type '{}', which has no '{name}'; remove '{name}' \
                         or use type {}",
                        kind.name(),
                        types.join(" or ")
                    ),
                );
            }
        }

        if seen.contains_key(&id) {
            self.error(
                file.id.referenced,
                format!("field id '{id}' is used twice in this form; give each field its own id"),
            );
        }
        if group.is_some() && matches!(kind, KindFile::Group | KindFile::Attachment) {
            self.error(
                type_loc,
                format!("a group cannot hold a field of type '{}'", kind.name()),
            );
        }

        let label = match (file.label.take(), kind) {
            (Some(label), _) => Some(self.text(label, &format!("field '{id}': label"))),
            (None, KindFile::Info) => None,
            (None, _) => {
                self.error(
                    file.id.referenced,
                    format!("field '{id}' needs a 'label': the question the citizen answers"),
                );
                None
            }
        };
        let hint = self.opt_text(file.hint.take(), &format!("field '{id}': hint"));
        if let Some(prefill) = &file.prefill {
            self.prefill(prefill.referenced, prefill.value, kind);
        }
        let show_if = file.show_if.take().map(|c| self.condition(c, seen, group));
        let required_if = file
            .required_if
            .take()
            .map(|c| self.condition(c, seen, group));
        if file.required && required_if.is_some() {
            self.error(
                file.id.referenced,
                format!("field '{id}' has both 'required: true' and 'required_if'; keep one"),
            );
        }
        let after = match &file.after {
            Some(after) => {
                match self.reference(after, seen, group, &format!("field '{id}': after")) {
                    Some(other) if other.kind != kind => {
                        self.error(
                        after.referenced,
                        format!(
                            "'after' compares with field '{}', of type '{}'; it must be a '{}' field too",
                            after.value,
                            other.kind.name(),
                            kind.name()
                        ),
                    );
                        None
                    }
                    Some(_) => Some(after.value.clone()),
                    None => None,
                }
            }
            None => None,
        };
        let autocomplete = match &file.autocomplete {
            Some(token) if !AUTOCOMPLETE_TOKENS.contains(&token.value.as_str()) => {
                let hint = did_you_mean(&token.value, AUTOCOMPLETE_TOKENS.iter().copied(), || {
                    "use an HTML autocomplete token such as 'name' or 'street-address'".into()
                });
                self.error(
                    token.referenced,
                    format!("'{}' is not an autocomplete token; {hint}", token.value),
                );
                None
            }
            Some(token) => Some(token.value.clone()),
            None => default_autocomplete(kind).map(str::to_string),
        };

        let field_kind = self.kind(type_loc, kind, &mut file, seen, group.is_some());

        let options = field_kind
            .as_ref()
            .map(|k| k.options().iter().map(|o| o.value.clone()).collect())
            .unwrap_or_default();
        seen.insert(id.clone(), Seen { kind, options });

        Some(Field {
            id,
            kind: field_kind?,
            label: label.unwrap_or_else(|| Text {
                nb: String::new(),
                nn: None,
                en: None,
            }),
            hint,
            required: file.required || kind == KindFile::Consent,
            required_if,
            show_if,
            after,
            prefill: file.prefill.map(|p| p.value),
            autocomplete,
        })
    }

    #[allow(clippy::too_many_lines)]
    fn kind(
        &mut self,
        type_loc: Location,
        kind: KindFile,
        o: &mut FieldFile,
        seen: &BTreeMap<String, Seen>,
        in_group: bool,
    ) -> Option<FieldKind> {
        let name = &o.id.value.clone();
        let (min_length, max_length) = (o.min_length, o.max_length);
        let lengths = |this: &mut Self, default_max: usize| {
            let min = min_length.unwrap_or(0);
            let max = max_length.unwrap_or(default_max);
            if min > max {
                this.error(
                    type_loc,
                    format!("field '{name}': min_length {min} is larger than max_length {max}"),
                );
            }
            (min, max)
        };
        Some(match kind {
            KindFile::Text => {
                let (min_length, max_length) = lengths(self, 200);
                let pattern = match (o.pattern.take(), o.pattern_message.take()) {
                    (Some(p), Some(message)) => {
                        let message =
                            self.text(message, &format!("field '{name}': pattern_message"));
                        match regex::Regex::new(&format!("^(?:{})$", p.value)) {
                            Ok(regex) => Some(Pattern { regex, message }),
                            Err(err) => {
                                let first = err.to_string();
                                let first =
                                    first.lines().last().unwrap_or_default().trim().to_string();
                                self.error(
                                    p.referenced,
                                    format!("field '{name}': the pattern is not a valid regular expression: {first}"),
                                );
                                None
                            }
                        }
                    }
                    (Some(p), None) => {
                        self.error(
                            p.referenced,
                            format!(
                                "field '{name}' has a 'pattern' but no 'pattern_message'; add one \
                                 that tells the citizen what to write"
                            ),
                        );
                        None
                    }
                    (None, _) => None,
                };
                FieldKind::Text {
                    min_length,
                    max_length,
                    pattern,
                }
            }
            KindFile::Textarea => {
                let (min_length, max_length) = lengths(self, 4000);
                FieldKind::Textarea {
                    min_length,
                    max_length,
                }
            }
            KindFile::Email => FieldKind::Email,
            KindFile::Phone => FieldKind::Phone {
                international: o.international.unwrap_or(true),
            },
            KindFile::NationalId => FieldKind::NationalId,
            KindFile::OrgNumber => FieldKind::OrgNumber,
            KindFile::Postcode => FieldKind::Postcode,
            KindFile::Date => {
                let bound = |this: &mut Self, b: Option<Spanned<Scalar>>| {
                    let b = b?;
                    let parsed = parse_date_bound(&b.value.0);
                    if parsed.is_none() {
                        this.error(
                            b.referenced,
                            format!(
                                "field '{name}': '{}' is not a date bound; write 'today', a \
                                 distance such as '+30d', '-18y' or '+6m', or a date like \
                                 '2026-01-31'",
                                b.value.0
                            ),
                        );
                    }
                    parsed
                };
                let min = bound(self, o.min.take());
                let max = bound(self, o.max.take());
                if let (Some(DateBound::Fixed(a)), Some(DateBound::Fixed(b))) = (min, max)
                    && a > b
                {
                    self.error(
                        type_loc,
                        format!("field '{name}': min {a} is after max {b}"),
                    );
                }
                FieldKind::Date { min, max }
            }
            KindFile::Number => {
                let bound = |this: &mut Self, b: Option<Spanned<Scalar>>| {
                    let b = b?;
                    let parsed = b.value.0.parse::<f64>().ok().filter(|v| v.is_finite());
                    if parsed.is_none() {
                        this.error(
                            b.referenced,
                            format!("field '{name}': '{}' is not a number", b.value.0),
                        );
                    }
                    parsed
                };
                let min = bound(self, o.min.take());
                let max = bound(self, o.max.take());
                if let (Some(a), Some(b)) = (min, max)
                    && a > b
                {
                    self.error(
                        type_loc,
                        format!("field '{name}': min {a} is larger than max {b}"),
                    );
                }
                FieldKind::Number {
                    min,
                    max,
                    decimals: o.decimals.unwrap_or(0),
                    unit: o.unit.take().map(TextFile::into_text),
                }
            }
            KindFile::Choice | KindFile::MultiChoice => {
                let Some(list) = o.options.take() else {
                    self.error(
                        type_loc,
                        format!("field '{name}' of type '{}' needs 'options'", kind.name()),
                    );
                    return None;
                };
                if list.value.len() < 2 {
                    self.error(
                        list.referenced,
                        format!("field '{name}': give at least two options"),
                    );
                }
                let mut options: Vec<ChoiceOption> = Vec::new();
                for option in list.value {
                    let value = option.value.value.trim().to_string();
                    if value.is_empty() || value.len() > 100 {
                        self.error(
                            option.value.referenced,
                            format!(
                                "field '{name}': an option's value must be 1 to 100 characters"
                            ),
                        );
                    } else if options.iter().any(|o| o.value == value) {
                        self.error(
                            option.value.referenced,
                            format!("field '{name}': option value '{value}' is used twice"),
                        );
                    }
                    let label =
                        self.text(option.label, &format!("field '{name}': option '{value}'"));
                    options.push(ChoiceOption { value, label });
                }
                if kind == KindFile::Choice {
                    FieldKind::Choice {
                        options,
                        display: o.display.unwrap_or(ChoiceDisplay::Radio),
                    }
                } else {
                    let min_selected = o.min_selected.unwrap_or(0);
                    let max_selected = o.max_selected.unwrap_or(options.len());
                    if min_selected > max_selected
                        || max_selected > options.len()
                        || max_selected == 0
                    {
                        self.error(
                            type_loc,
                            format!(
                                "field '{name}': min_selected ({min_selected}) and max_selected \
                                 ({max_selected}) must fit the {} options",
                                options.len()
                            ),
                        );
                    }
                    FieldKind::MultiChoice {
                        options,
                        min_selected,
                        max_selected,
                    }
                }
            }
            KindFile::Consent => FieldKind::Consent,
            KindFile::Attachment => {
                let accept: Vec<FileType> = match o.accept.take() {
                    Some(list) if list.value.is_empty() => {
                        self.error(
                            list.referenced,
                            format!("field '{name}': 'accept' is empty"),
                        );
                        Vec::new()
                    }
                    Some(list) => list.value,
                    None => {
                        self.error(
                            type_loc,
                            format!(
                                "field '{name}' of type 'attachment' needs 'accept': the file \
                                 types to take, from pdf, jpeg, png, heic, webp"
                            ),
                        );
                        Vec::new()
                    }
                };
                FieldKind::Attachment {
                    accept,
                    max_bytes: o.max_size_kb.unwrap_or(5_000).min(MAX_ATTACHMENT_KB) as usize
                        * 1000,
                    max_files: o.max_files.unwrap_or(1),
                }
            }
            KindFile::Group => {
                if in_group {
                    return None;
                }
                let item_label = match o.item_label.take() {
                    Some(l) => self.text(l, &format!("field '{name}': item_label")),
                    None => {
                        self.error(
                            type_loc,
                            format!("group '{name}' needs an 'item_label', such as {{ nb: Barn }}"),
                        );
                        return None;
                    }
                };
                let Some(sub_files) = o.fields.take().filter(|f| !f.value.is_empty()) else {
                    self.error(
                        type_loc,
                        format!("group '{name}' needs 'fields': the fields of one item"),
                    );
                    return None;
                };
                // A group's fields may read the item's own earlier fields and the
                // form's fields before the group.
                let mut inner: BTreeMap<String, Seen> = BTreeMap::new();
                let mut fields = Vec::new();
                for sub in sub_files.value {
                    if let Some(f) = self.field(sub, &mut inner, Some(seen)) {
                        fields.push(f);
                    }
                }
                let min_items = o.min_items.unwrap_or(0);
                let max_items = o.max_items.unwrap_or(10);
                if min_items > max_items {
                    self.error(
                        type_loc,
                        format!("group '{name}': min_items {min_items} is larger than max_items {max_items}"),
                    );
                }
                FieldKind::Group {
                    fields,
                    min_items,
                    max_items,
                    item_label,
                }
            }
            KindFile::Info => match o.text.take() {
                Some(text) => FieldKind::Info {
                    text: self.text(text, &format!("field '{name}': text")),
                },
                None => {
                    self.error(type_loc, format!("info field '{name}' needs 'text'"));
                    return None;
                }
            },
        })
    }
}

/// `today`, `+30d`, `-18y`, `+6m`, or an ISO date.
fn parse_date_bound(text: &str) -> Option<DateBound> {
    let text = text.trim();
    if text == "today" {
        return Some(DateBound::Relative { days: 0, months: 0 });
    }
    if let Some(date) = Date::parse(text) {
        return Some(DateBound::Fixed(date));
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let unit = rest.chars().last()?;
    let number: i64 = rest[..rest.len() - unit.len_utf8()].parse().ok()?;
    if !(0..=1200).contains(&number) {
        return None;
    }
    match unit {
        'd' => Some(DateBound::Relative {
            days: sign * number,
            months: 0,
        }),
        'm' => Some(DateBound::Relative {
            days: 0,
            months: sign * number,
        }),
        'y' => Some(DateBound::Relative {
            days: 0,
            months: sign * number * 12,
        }),
        _ => None,
    }
}

/// The autocomplete token a field type gets when the schema gives none.
fn default_autocomplete(kind: KindFile) -> Option<&'static str> {
    match kind {
        KindFile::Email => Some("email"),
        KindFile::Phone => Some("tel"),
        KindFile::Postcode => Some("postal-code"),
        _ => None,
    }
}

/// The HTML autocomplete tokens for data about the user (WCAG 2.1, 1.3.5).
const AUTOCOMPLETE_TOKENS: &[&str] = &[
    "name",
    "honorific-prefix",
    "given-name",
    "additional-name",
    "family-name",
    "honorific-suffix",
    "nickname",
    "username",
    "organization-title",
    "organization",
    "street-address",
    "address-line1",
    "address-line2",
    "address-line3",
    "address-level4",
    "address-level3",
    "address-level2",
    "address-level1",
    "country",
    "country-name",
    "postal-code",
    "bday",
    "bday-day",
    "bday-month",
    "bday-year",
    "sex",
    "url",
    "photo",
    "tel",
    "tel-national",
    "email",
    "language",
    "off",
];

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// Loads `files` from a fresh folder, with the shipped queues.yaml unless given.
    pub(crate) fn load(files: &[(&str, &str)]) -> Result<Catalog, Vec<SchemaError>> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("forms-schema-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if !files.iter().any(|(name, _)| *name == QUEUES_FILE) {
            std::fs::copy(
                repo().join("form-schemas").join(QUEUES_FILE),
                dir.join(QUEUES_FILE),
            )
            .unwrap();
        }
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let result = load_dir(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        result
    }

    #[test]
    fn the_shipped_forms_pass_and_route_to_their_own_queues() {
        let catalog = Catalog::load_dir(&repo().join("form-schemas")).unwrap();
        let ids: Vec<&str> = catalog.forms().map(|f| f.id.as_str()).collect();
        for id in [
            "kontakt",
            "barnehage",
            "feilmelding",
            "innsyn",
            "retting",
            "nyhetsbrev",
            "kontaktregister",
        ] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
        for form in catalog.forms() {
            assert_eq!(form.schema_sha256.len(), 64);
            for queue in form.queues() {
                assert!(
                    !catalog
                        .queue(queue.as_str())
                        .unwrap()
                        .recipients()
                        .is_empty(),
                    "{queue}"
                );
            }
        }
        let barnehage = catalog.form("barnehage").unwrap();
        assert_eq!(barnehage.auth, Auth::High);
        assert!(barnehage.sensitive && barnehage.is_multi_page());
    }

    /// Every file in tests/schemas/broken starts with `# expect LINE: FRAGMENT`; loading
    /// it must give an error at that line whose message holds the fragment.
    #[test]
    fn each_broken_schema_gets_its_error_at_its_line() {
        let dir = repo().join("tests/schemas/broken");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        assert!(paths.len() >= 30, "only {} broken schemas", paths.len());
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            let header = text.lines().next().unwrap();
            let (line, fragment) = header
                .strip_prefix("# expect ")
                .and_then(|rest| rest.split_once(": "))
                .unwrap_or_else(|| {
                    panic!("{}: no '# expect LINE: FRAGMENT' header", path.display())
                });
            let line: u64 = line.parse().unwrap();
            let errors = load(&[("broken.yaml", &text)]).expect_err(&path.display().to_string());
            assert!(
                errors.iter().any(|e| e.line == line
                    && e.message.contains(fragment)
                    && e.file.ends_with("broken.yaml")),
                "{}: expected line {line} with {fragment:?}, got:\n{}",
                path.display(),
                errors
                    .iter()
                    .map(|e| format!("  {e}\n"))
                    .collect::<String>()
            );
            for error in &errors {
                assert!(!error.message.starts_with("error:"), "{error}");
            }
        }
    }

    #[test]
    fn broken_queue_keys_are_reported_at_their_line() {
        let queues = "queues:
  - id: servicetorget
    name: { nb: Servicetorget }
    caseworkers:
      - name: Kari
        recipients: [age1xl3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]
";
        let form = std::fs::read_to_string(repo().join("form-schemas/kontakt.yaml")).unwrap();
        let errors = load(&[(QUEUES_FILE, queues), ("kontakt.yaml", &form)]).unwrap_err();
        assert_eq!(errors[0].line, 6, "{}", errors[0]);
        assert!(
            errors[0].message.contains("caseworker 'Kari'"),
            "{}",
            errors[0]
        );
        let no_members =
            "queues:\n  - id: servicetorget\n    name: { nb: S }\n    caseworkers: []\n";
        let errors = load(&[(QUEUES_FILE, no_members), ("kontakt.yaml", &form)]).unwrap_err();
        assert!(
            errors[0].message.contains("at least one caseworker"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn date_bounds() {
        let today = Date::parse("2026-11-23").unwrap();
        let cases = [
            ("today", "2026-11-23"),
            ("+30d", "2026-12-23"),
            ("-18y", "2008-11-23"),
            ("+3m", "2027-02-23"),
            ("2026-01-31", "2026-01-31"),
        ];
        for (bound, expected) in cases {
            assert_eq!(
                parse_date_bound(bound).unwrap().resolve(today).to_string(),
                expected,
                "{bound}"
            );
        }
        for bad in ["yesterday", "+d", "+5w", "18y", "+99999y", ""] {
            assert!(parse_date_bound(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn suggestions_pick_the_nearest_name() {
        assert_eq!(
            closest("emial", ["email", "text"].into_iter()),
            Some("email")
        );
        assert_eq!(closest("x", ["email", "text"].into_iter()), None);
        assert_eq!(
            with_suggestion("unknown variant `txet`, expected one of `text`, `textarea`"),
            "unknown variant `txet`, expected one of `text`, `textarea`; did you mean 'text'?"
        );
    }

    /// The loader never panics, whatever the file holds: mutations of the shipped forms
    /// (bytes flipped, lines dropped or repeated, truncation) are loaded thousands of
    /// times, and each either loads or reports located errors.
    #[test]
    fn the_loader_survives_mutated_files() {
        let mut seeds = Vec::new();
        for entry in std::fs::read_dir(repo().join("form-schemas")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") && !path.ends_with(QUEUES_FILE) {
                seeds.push(std::fs::read(&path).unwrap());
            }
        }
        let queues =
            std::fs::read_to_string(repo().join("form-schemas").join(QUEUES_FILE)).unwrap();
        let dir = std::env::temp_dir().join(format!("forms-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(QUEUES_FILE), queues).unwrap();
        let mut rng = crate::schema::answers::tests::Rng(0x5eed_f00d);
        let alphabet: &[u8] = b" :-{}[],'\"#\n\t&*!|>%@`?abcxyz019";
        for round in 0..3000 {
            let mut bytes = seeds[round % seeds.len()].clone();
            for _ in 0..1 + rng.below(6) {
                let len = bytes.len().max(1);
                match rng.below(5) {
                    0 => {
                        let i = rng.below(len);
                        if i < bytes.len() {
                            bytes[i] = alphabet[rng.below(alphabet.len())];
                        }
                    }
                    1 => bytes.truncate(rng.below(len)),
                    2 => {
                        let i = rng.below(len).min(bytes.len());
                        bytes.insert(i, alphabet[rng.below(alphabet.len())]);
                    }
                    3 => {
                        // Drop a line.
                        let text = String::from_utf8_lossy(&bytes).to_string();
                        let lines: Vec<&str> = text.lines().collect();
                        let skip = rng.below(lines.len().max(1));
                        bytes = lines
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| *i != skip)
                            .map(|(_, l)| *l)
                            .collect::<Vec<_>>()
                            .join("\n")
                            .into_bytes();
                    }
                    _ => {
                        // Repeat a line.
                        let text = String::from_utf8_lossy(&bytes).to_string();
                        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                        if !lines.is_empty() {
                            let i = rng.below(lines.len());
                            let line = lines[i].clone();
                            lines.insert(i, line);
                        }
                        bytes = lines.join("\n").into_bytes();
                    }
                }
            }
            let path = dir.join("mutant.yaml");
            std::fs::write(&path, &bytes).unwrap();
            if let Err(errors) = load_dir(&dir) {
                assert!(!errors.is_empty());
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
