//! A citizen's answers checked against a form.
//!
//! [`RawAnswers`] is what arrived (from an HTML form post or the JSON API), decoded but
//! unchecked: a flat list of names and values, where a repeating group's answers are
//! named `group.N.field`. [`Form::validate`] walks the form's pages in order, evaluates
//! each page's and field's conditions on the answers before it, drops answers to what
//! was not shown, and returns typed [`Answers`] or every problem found, each tied to its
//! field, so the page can show them all at once.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use validator::ValidateEmail;

use super::values::{self, FileType, IdError, NumberError};
use super::{Condition, Field, FieldKind, Form};
use crate::clock::Date;
use crate::i18n::Lang;

/// What arrived, in arrival order.
#[derive(Debug, Default, Clone)]
pub struct RawAnswers(pub Vec<(String, RawValue)>);

/// One submitted value before checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    Text(String),
    /// An attached file, as uploaded.
    File(RawFile),
    /// A JSON number or boolean, as text: taken by number and consent fields only.
    Json(String),
    /// The JSON API sent something that is neither text, a number, a boolean nor a file.
    NotText,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl RawAnswers {
    /// The first text given for `name`, as typed, for showing the form again.
    pub fn text<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.texts(name).next()
    }

    /// Every text given for `name` (a multiple choice sends one per ticked box).
    pub fn texts<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0.iter().filter_map(move |(k, v)| match v {
            RawValue::Text(t) if k == name => Some(t.as_str()),
            _ => None,
        })
    }

    /// Every file given for `name`.
    pub fn files<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a RawFile> {
        self.0.iter().filter_map(move |(k, v)| match v {
            RawValue::File(f) if k == name => Some(f),
            _ => None,
        })
    }

    /// The item numbers of a repeating group that were sent, in order.
    pub fn group_items(&self, group: &str) -> Vec<usize> {
        let prefix = format!("{group}.");
        let items: BTreeSet<usize> = self
            .0
            .iter()
            .filter_map(|(k, _)| k.strip_prefix(&prefix)?.split('.').next()?.parse().ok())
            .filter(|n| *n < MAX_GROUP_INDEX)
            .collect();
        items.into_iter().collect()
    }
}

/// Group item numbers at or above this are refused as unknown names.
const MAX_GROUP_INDEX: usize = 1000;

/// An attached file that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    #[serde(rename = "type")]
    pub mime: String,
    pub size: usize,
    /// The content, base64 (standard alphabet, padded) in the payload.
    #[serde(with = "base64_bytes")]
    pub data: Vec<u8>,
}

mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// A checked answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Text, and every single value in its normalised form: an e-mail address, a phone
    /// number in E.164, a date in ISO 8601, a number with `.` as decimal point, the
    /// value of the chosen option.
    Text(String),
    /// A ticked consent box.
    Bool(bool),
    /// The values of the ticked options of a multiple choice.
    List(Vec<String>),
    Files(Vec<Attachment>),
    /// A repeating group: one map of answers an item.
    Group(Vec<BTreeMap<String, Value>>),
}

impl Value {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// Answers that passed every check: field id to value. Fields that were not shown, and
/// optional fields left empty, are absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Answers(pub BTreeMap<String, Value>);

impl Answers {
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field)
    }

    pub fn text(&self, field: &str) -> Option<&str> {
        self.get(field).and_then(Value::as_text)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// What is wrong with one answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Required,
    TooLong {
        max: usize,
        len: usize,
    },
    TooShort {
        min: usize,
        len: usize,
    },
    /// Does not match the schema's pattern; the schema says what to write instead.
    Pattern,
    InvalidEmail,
    InvalidPhone,
    InvalidNationalId,
    /// A synthetic test person's number where they are not allowed.
    SyntheticNationalId,
    InvalidOrgNumber,
    InvalidPostcode,
    InvalidDate,
    DateTooEarly {
        min: Date,
    },
    DateTooLate {
        max: Date,
    },
    InvalidNumber,
    TooManyDecimals {
        max: u32,
    },
    NumberTooSmall {
        min: f64,
    },
    NumberTooLarge {
        max: f64,
    },
    /// Not later than (or larger than) the answer to the named field.
    NotAfter {
        other: String,
    },
    /// Not one of the options.
    InvalidChoice,
    TooFewChoices {
        min: usize,
    },
    TooManyChoices {
        max: usize,
    },
    /// A consent box that must be ticked was not.
    ConsentRequired,
    FileTooLarge {
        max: usize,
    },
    TooManyFiles {
        max: usize,
    },
    FileType,
    EmptyFile,
    TooFewItems {
        min: usize,
    },
    TooManyItems {
        max: usize,
    },
    /// Text where a file belongs, a file where text belongs, or a JSON value of the
    /// wrong kind.
    NotText,
    /// A field that takes one value was sent more than once.
    Repeated,
    /// There is no such field in the form.
    Unknown,
}

impl Problem {
    /// A stable machine-readable code for the JSON API.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Required => "required",
            Problem::TooLong { .. } => "too_long",
            Problem::TooShort { .. } => "too_short",
            Problem::Pattern => "pattern",
            Problem::InvalidEmail => "invalid_email",
            Problem::InvalidPhone => "invalid_phone",
            Problem::InvalidNationalId => "invalid_national_id",
            Problem::SyntheticNationalId => "synthetic_national_id",
            Problem::InvalidOrgNumber => "invalid_org_number",
            Problem::InvalidPostcode => "invalid_postcode",
            Problem::InvalidDate => "invalid_date",
            Problem::DateTooEarly { .. } => "date_too_early",
            Problem::DateTooLate { .. } => "date_too_late",
            Problem::InvalidNumber => "invalid_number",
            Problem::TooManyDecimals { .. } => "too_many_decimals",
            Problem::NumberTooSmall { .. } => "number_too_small",
            Problem::NumberTooLarge { .. } => "number_too_large",
            Problem::NotAfter { .. } => "not_after",
            Problem::InvalidChoice => "invalid_choice",
            Problem::TooFewChoices { .. } => "too_few_choices",
            Problem::TooManyChoices { .. } => "too_many_choices",
            Problem::ConsentRequired => "consent_required",
            Problem::FileTooLarge { .. } => "file_too_large",
            Problem::TooManyFiles { .. } => "too_many_files",
            Problem::FileType => "file_type",
            Problem::EmptyFile => "empty_file",
            Problem::TooFewItems { .. } => "too_few_items",
            Problem::TooManyItems { .. } => "too_many_items",
            Problem::NotText => "not_text",
            Problem::Repeated => "repeated",
            Problem::Unknown => "unknown_field",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The answer's name: `email`, or `children.0.name` inside a group.
    pub field: String,
    pub problem: Problem,
}

/// What validation needs besides the form and the answers.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// Today, for dates relative to the day of answering.
    pub today: Date,
    /// Whether synthetic test persons' identity numbers are accepted (test and
    /// development only).
    pub allow_synthetic_ids: bool,
}

/// Line breaks as the browser sends them (CRLF) count as one character, as they do in
/// the browser's own `maxlength`.
fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The answers a condition is evaluated against: the group item being checked, if any,
/// then the top-level answers.
struct Scope<'a> {
    item: Option<&'a BTreeMap<String, Value>>,
    top: &'a BTreeMap<String, Value>,
}

impl Scope<'_> {
    fn get(&self, field: &str) -> Option<&Value> {
        self.item
            .and_then(|item| item.get(field))
            .or_else(|| self.top.get(field))
    }

    fn holds(&self, condition: &Condition) -> bool {
        match condition {
            Condition::Equals { field, value } => self.has_value(field, value),
            Condition::NotEquals { field, value } => !self.has_value(field, value),
            Condition::Answered { field, answered } => self.get(field).is_some() == *answered,
            Condition::All(all) => all.iter().all(|c| self.holds(c)),
            Condition::Any(any) => any.iter().any(|c| self.holds(c)),
        }
    }

    fn has_value(&self, field: &str, value: &str) -> bool {
        match self.get(field) {
            Some(Value::Text(t)) => t == value,
            Some(Value::List(list)) => list.iter().any(|v| v == value),
            Some(Value::Bool(b)) => (value == "true") == *b,
            _ => false,
        }
    }

    fn shown(&self, condition: Option<&Condition>) -> bool {
        condition.is_none_or(|c| self.holds(c))
    }
}

/// The outcome of checking answers: what is valid so far, every problem, and which
/// pages the answers make visible.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub answers: Answers,
    pub errors: Vec<FieldError>,
    /// Indexes of the pages shown, in order.
    pub shown_pages: Vec<usize>,
}

impl Answers {
    /// Whether `condition` holds for these answers.
    pub fn holds(&self, condition: &Condition) -> bool {
        Scope {
            item: None,
            top: &self.0,
        }
        .holds(condition)
    }
}

impl Form {
    /// Checks every answer; returns all problems in the form's field order, problems
    /// with unknown or repeated names last.
    pub fn validate(&self, raw: &RawAnswers, ctx: &Context) -> Result<Answers, Vec<FieldError>> {
        let checked = self.check(raw, ctx);
        if checked.errors.is_empty() {
            Ok(checked.answers)
        } else {
            Err(checked.errors)
        }
    }

    /// Checks every answer and keeps what is valid, for paging through a form.
    pub fn check(&self, raw: &RawAnswers, ctx: &Context) -> Checked {
        let mut errors = Vec::new();
        let mut answers: BTreeMap<String, Value> = BTreeMap::new();
        let mut known: BTreeSet<String> = BTreeSet::new();
        let mut shown_pages = Vec::new();
        for (page_index, page) in self.pages.iter().enumerate() {
            let page_shown = Scope {
                item: None,
                top: &answers,
            }
            .shown(page.show_if.as_ref());
            if page_shown {
                shown_pages.push(page_index);
            }
            for field in &page.fields {
                let shown = page_shown
                    && Scope {
                        item: None,
                        top: &answers,
                    }
                    .shown(field.show_if.as_ref());
                if let FieldKind::Group {
                    fields,
                    min_items,
                    max_items,
                    ..
                } = &field.kind
                {
                    let items = raw.group_items(&field.id);
                    for n in &items {
                        for sub in fields {
                            known.insert(format!("{}.{n}.{}", field.id, sub.id));
                        }
                    }
                    if !shown {
                        continue;
                    }
                    match self.check_group(
                        field, fields, *min_items, *max_items, &items, raw, ctx, &answers,
                    ) {
                        Ok(Some(value)) => {
                            answers.insert(field.id.clone(), value);
                        }
                        Ok(None) => {}
                        Err(mut errs) => errors.append(&mut errs),
                    }
                    continue;
                }
                known.insert(field.id.clone());
                if !shown || !field.is_answerable() {
                    continue;
                }
                let scope = Scope {
                    item: None,
                    top: &answers,
                };
                let given: Vec<&RawValue> = raw
                    .0
                    .iter()
                    .filter(|(k, _)| *k == field.id)
                    .map(|(_, v)| v)
                    .collect();
                match check_field(field, &given, &scope, ctx) {
                    Ok(Some(value)) => {
                        answers.insert(field.id.clone(), value);
                    }
                    Ok(None) => {}
                    Err(problem) => errors.push(FieldError {
                        field: field.id.clone(),
                        problem,
                    }),
                }
            }
        }
        // Names that belong to no field of the form: reported once each.
        let mut reported = BTreeSet::new();
        for (name, _) in &raw.0 {
            if !known.contains(name) && reported.insert(name.as_str()) {
                errors.push(FieldError {
                    field: name.clone(),
                    problem: Problem::Unknown,
                });
            }
        }
        Checked {
            answers: Answers(answers),
            errors,
            shown_pages,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_group(
        &self,
        group: &Field,
        fields: &[Field],
        min_items: usize,
        max_items: usize,
        items: &[usize],
        raw: &RawAnswers,
        ctx: &Context,
        top: &BTreeMap<String, Value>,
    ) -> Result<Option<Value>, Vec<FieldError>> {
        let name = |n: usize, sub: &str| format!("{}.{n}.{sub}", group.id);
        let blank = |n: usize| {
            fields.iter().all(|sub| {
                raw.0.iter().all(|(k, v)| {
                    *k != name(n, &sub.id) || matches!(v, RawValue::Text(t) if t.trim().is_empty())
                })
            })
        };
        // Items left wholly empty are dropped, unless that leaves too few: then blank
        // ones are checked too, so the citizen sees which answers are missing.
        let required = group.required
            || group
                .required_if
                .as_ref()
                .is_some_and(|c| Scope { item: None, top }.holds(c));
        let needed = if required {
            min_items.max(1)
        } else {
            min_items
        };
        let mut checked: Vec<usize> = items.iter().copied().filter(|n| !blank(*n)).collect();
        for n in items {
            if checked.len() >= needed {
                break;
            }
            if !checked.contains(n) {
                checked.push(*n);
            }
        }
        checked.sort_unstable();
        let mut errors = Vec::new();
        if checked.len() > max_items {
            errors.push(FieldError {
                field: group.id.clone(),
                problem: Problem::TooManyItems { max: max_items },
            });
        }
        if checked.len() < needed {
            errors.push(FieldError {
                field: group.id.clone(),
                problem: if checked.is_empty() && min_items <= 1 {
                    Problem::Required
                } else {
                    Problem::TooFewItems { min: needed }
                },
            });
        }
        if checked.is_empty() {
            return if errors.is_empty() {
                Ok(None)
            } else {
                Err(errors)
            };
        }
        let mut values = Vec::new();
        for n in checked {
            let mut item: BTreeMap<String, Value> = BTreeMap::new();
            for sub in fields {
                let scope = Scope {
                    item: Some(&item),
                    top,
                };
                if !scope.shown(sub.show_if.as_ref()) || !sub.is_answerable() {
                    continue;
                }
                let key = name(n, &sub.id);
                let given: Vec<&RawValue> = raw
                    .0
                    .iter()
                    .filter(|(k, _)| *k == key)
                    .map(|(_, v)| v)
                    .collect();
                match check_field(sub, &given, &scope, ctx) {
                    Ok(Some(value)) => {
                        item.insert(sub.id.clone(), value);
                    }
                    Ok(None) => {}
                    Err(problem) => errors.push(FieldError {
                        field: key,
                        problem,
                    }),
                }
            }
            values.push(item);
        }
        if errors.is_empty() {
            Ok(Some(Value::Group(values)))
        } else {
            Err(errors)
        }
    }
}

/// Checks one field's values: `Ok(None)` when an optional field is left empty.
fn check_field(
    field: &Field,
    given: &[&RawValue],
    scope: &Scope<'_>,
    ctx: &Context,
) -> Result<Option<Value>, Problem> {
    let required = field.required || field.required_if.as_ref().is_some_and(|c| scope.holds(c));
    let missing = |required: bool| {
        if required {
            Err(Problem::Required)
        } else {
            Ok(None)
        }
    };
    match &field.kind {
        FieldKind::MultiChoice {
            options,
            min_selected,
            max_selected,
        } => {
            let mut chosen: Vec<String> = Vec::new();
            for value in given {
                let RawValue::Text(text) = value else {
                    return Err(Problem::NotText);
                };
                let text = text.trim();
                if text.is_empty() {
                    continue;
                }
                if !options.iter().any(|o| o.value == text) {
                    return Err(Problem::InvalidChoice);
                }
                if !chosen.iter().any(|c| c == text) {
                    chosen.push(text.to_string());
                }
            }
            if chosen.is_empty() {
                return missing(required || *min_selected > 0);
            }
            if chosen.len() < *min_selected {
                return Err(Problem::TooFewChoices { min: *min_selected });
            }
            if chosen.len() > *max_selected {
                return Err(Problem::TooManyChoices { max: *max_selected });
            }
            // In the schema's order, whatever order the boxes came in.
            chosen.sort_by_key(|c| options.iter().position(|o| o.value == *c));
            Ok(Some(Value::List(chosen)))
        }
        FieldKind::Attachment {
            accept,
            max_bytes,
            max_files,
        } => {
            let mut files = Vec::new();
            for value in given {
                match value {
                    RawValue::File(file) => files.push(file),
                    // An empty text is a file input left empty by a browser.
                    RawValue::Text(t) if t.is_empty() => {}
                    _ => return Err(Problem::NotText),
                }
            }
            if files.is_empty() {
                return missing(required);
            }
            if files.len() > *max_files {
                return Err(Problem::TooManyFiles { max: *max_files });
            }
            let mut out = Vec::new();
            for file in files {
                if file.bytes.is_empty() {
                    return Err(Problem::EmptyFile);
                }
                if file.bytes.len() > *max_bytes {
                    return Err(Problem::FileTooLarge { max: *max_bytes });
                }
                let Some(kind) = FileType::sniff(&file.bytes).filter(|k| accept.contains(k)) else {
                    return Err(Problem::FileType);
                };
                out.push(Attachment {
                    name: values::safe_file_name(&file.name),
                    mime: kind.mime().to_string(),
                    size: file.bytes.len(),
                    data: file.bytes.clone(),
                });
            }
            Ok(Some(Value::Files(out)))
        }
        _ => {
            let text = match given {
                [] => return missing(required || matches!(field.kind, FieldKind::Consent)),
                [RawValue::Text(text)] => normalise(text),
                [RawValue::Json(text)]
                    if matches!(field.kind, FieldKind::Number { .. } | FieldKind::Consent) =>
                {
                    text.clone()
                }
                [_] => return Err(Problem::NotText),
                _ => return Err(Problem::Repeated),
            };
            if text.trim().is_empty() {
                if matches!(field.kind, FieldKind::Consent) {
                    return Err(Problem::ConsentRequired);
                }
                return missing(required);
            }
            check_single(field, text, scope, ctx).map(Some)
        }
    }
}

/// Checks a field that takes one text value, which is not empty.
fn check_single(
    field: &Field,
    text: String,
    scope: &Scope<'_>,
    ctx: &Context,
) -> Result<Value, Problem> {
    let value = match &field.kind {
        FieldKind::Text {
            min_length,
            max_length,
            pattern,
        } => {
            let len = text.chars().count();
            if len > *max_length {
                return Err(Problem::TooLong {
                    max: *max_length,
                    len,
                });
            }
            if len < *min_length {
                return Err(Problem::TooShort {
                    min: *min_length,
                    len,
                });
            }
            if pattern.as_ref().is_some_and(|p| !p.regex.is_match(&text)) {
                return Err(Problem::Pattern);
            }
            text
        }
        FieldKind::Textarea {
            min_length,
            max_length,
        } => {
            let len = text.chars().count();
            if len > *max_length {
                return Err(Problem::TooLong {
                    max: *max_length,
                    len,
                });
            }
            if len < *min_length {
                return Err(Problem::TooShort {
                    min: *min_length,
                    len,
                });
            }
            text
        }
        FieldKind::Email => {
            let email = text.trim().to_string();
            if email.chars().count() > 254 || !email.validate_email() {
                return Err(Problem::InvalidEmail);
            }
            email
        }
        FieldKind::Phone { international } => {
            values::phone(&text, *international).ok_or(Problem::InvalidPhone)?
        }
        FieldKind::NationalId => match values::national_id(&text, ctx.allow_synthetic_ids) {
            Ok((digits, _)) => digits,
            Err(IdError::Invalid) => return Err(Problem::InvalidNationalId),
            Err(IdError::Synthetic) => return Err(Problem::SyntheticNationalId),
        },
        FieldKind::OrgNumber => values::org_number(&text).ok_or(Problem::InvalidOrgNumber)?,
        FieldKind::Postcode => values::postcode(&text).ok_or(Problem::InvalidPostcode)?,
        FieldKind::Date { min, max } => {
            let date = Date::parse(&text).ok_or(Problem::InvalidDate)?;
            if let Some(min) = min.map(|b| b.resolve(ctx.today))
                && date < min
            {
                return Err(Problem::DateTooEarly { min });
            }
            if let Some(max) = max.map(|b| b.resolve(ctx.today))
                && date > max
            {
                return Err(Problem::DateTooLate { max });
            }
            if let Some(other) = &field.after
                && let Some(earlier) = scope
                    .get(other)
                    .and_then(Value::as_text)
                    .and_then(Date::parse)
                && date <= earlier
            {
                return Err(Problem::NotAfter {
                    other: other.clone(),
                });
            }
            date.to_string()
        }
        FieldKind::Number {
            min, max, decimals, ..
        } => {
            let (normal, number) = values::decimal(&text, *decimals).map_err(|e| match e {
                NumberError::Invalid => Problem::InvalidNumber,
                NumberError::TooManyDecimals => Problem::TooManyDecimals { max: *decimals },
            })?;
            if let Some(min) = min
                && number < *min
            {
                return Err(Problem::NumberTooSmall { min: *min });
            }
            if let Some(max) = max
                && number > *max
            {
                return Err(Problem::NumberTooLarge { max: *max });
            }
            if let Some(other) = &field.after
                && let Some(earlier) = scope
                    .get(other)
                    .and_then(Value::as_text)
                    .and_then(|t| t.parse::<f64>().ok())
                && number <= earlier
            {
                return Err(Problem::NotAfter {
                    other: other.clone(),
                });
            }
            normal
        }
        FieldKind::Choice { options, .. } => {
            let chosen = text.trim();
            if !options.iter().any(|o| o.value == chosen) {
                return Err(Problem::InvalidChoice);
            }
            chosen.to_string()
        }
        FieldKind::Consent => {
            return match text.trim() {
                "true" | "on" | "ja" | "yes" => Ok(Value::Bool(true)),
                _ => Err(Problem::ConsentRequired),
            };
        }
        FieldKind::MultiChoice { .. }
        | FieldKind::Attachment { .. }
        | FieldKind::Group { .. }
        | FieldKind::Info { .. } => return Err(Problem::NotText),
    };
    Ok(Value::Text(value))
}

impl Form {
    /// The queue the answers go to: the first routing rule that holds, else the
    /// default.
    pub fn queue_for(&self, answers: &Answers) -> &super::QueueId {
        let scope = Scope {
            item: None,
            top: &answers.0,
        };
        self.routing
            .rules
            .iter()
            .find(|(condition, _)| scope.holds(condition))
            .map(|(_, queue)| queue)
            .unwrap_or(&self.routing.default)
    }
}

/// One answer made readable: the label and the value as the citizen would say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readable {
    /// The answer's name (`children.0.name` inside a group).
    pub field: String,
    pub label: String,
    pub value: String,
}

impl Form {
    /// The answers as label and text, in the form's order, in `lang`: what the summary
    /// page shows and what the caseworker reads.
    pub fn readable(&self, answers: &Answers, lang: Lang) -> Vec<Readable> {
        let mut out = Vec::new();
        for field in self.fields() {
            let Some(value) = answers.get(&field.id) else {
                continue;
            };
            match (&field.kind, value) {
                (
                    FieldKind::Group {
                        fields, item_label, ..
                    },
                    Value::Group(items),
                ) => {
                    for (n, item) in items.iter().enumerate() {
                        for sub in fields {
                            if let Some(v) = item.get(&sub.id) {
                                out.push(Readable {
                                    field: format!("{}.{n}.{}", field.id, sub.id),
                                    label: format!(
                                        "{} {} – {}",
                                        item_label.get(lang),
                                        n + 1,
                                        sub.label.get(lang)
                                    ),
                                    value: readable_value(sub, v, lang),
                                });
                            }
                        }
                    }
                }
                _ => out.push(Readable {
                    field: field.id.clone(),
                    label: field.label.get(lang).to_string(),
                    value: readable_value(field, value, lang),
                }),
            }
        }
        out
    }
}

fn readable_value(field: &Field, value: &Value, lang: Lang) -> String {
    let option_label = |v: &str| {
        field
            .kind
            .options()
            .iter()
            .find(|o| o.value == v)
            .map(|o| o.label.get(lang).to_string())
            .unwrap_or_else(|| v.to_string())
    };
    match (&field.kind, value) {
        (FieldKind::Choice { .. }, Value::Text(v)) => option_label(v),
        (FieldKind::Date { .. }, Value::Text(v)) => Date::parse(v)
            .map(Date::display_nb)
            .unwrap_or_else(|| v.clone()),
        (
            FieldKind::Number {
                unit: Some(unit), ..
            },
            Value::Text(v),
        ) => {
            format!("{} {}", v.replace('.', ","), unit.get(lang))
        }
        (FieldKind::Number { .. }, Value::Text(v)) => v.replace('.', ","),
        (_, Value::Text(v)) => v.clone(),
        (_, Value::Bool(true)) => crate::i18n::t(lang, crate::i18n::Msg::Yes),
        (_, Value::Bool(false)) => crate::i18n::t(lang, crate::i18n::Msg::No),
        (_, Value::List(values)) => values
            .iter()
            .map(|v| option_label(v))
            .collect::<Vec<_>>()
            .join(", "),
        (_, Value::Files(files)) => files
            .iter()
            .map(|f| format!("{} ({} kB)", f.name, f.size.div_ceil(1000)))
            .collect::<Vec<_>>()
            .join(", "),
        (_, Value::Group(items)) => format!("{}", items.len()),
    }
}
