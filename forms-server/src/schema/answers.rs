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

    /// Calls `f` with every value inside this answer at `path`, the items of a
    /// repeating group each at `path.INDEX.FIELD`, and the group itself not at all.
    pub fn each_leaf<'a>(&'a self, path: &str, f: &mut impl FnMut(&str, &'a Value)) {
        match self {
            Value::Group(items) => {
                for (i, item) in items.iter().enumerate() {
                    for (sub, value) in item {
                        value.each_leaf(&format!("{path}.{i}.{sub}"), f);
                    }
                }
            }
            leaf => f(path, leaf),
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
    /// A control character other than a line break or tab: nothing a person types, and
    /// in a caseworker's terminal an escape sequence could act on its own.
    ControlCharacter,
    /// A field that takes one value was sent more than once.
    Repeated,
    /// There is no such field in the form.
    Unknown,
    /// Sensitive personal data in the free text of a form that refuses it (the content
    /// guard): the kinds found, never the text.
    Sensitive {
        kinds: Vec<crate::guard::Kind>,
    },
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
            Problem::ControlCharacter => "control_character",
            Problem::Repeated => "repeated",
            Problem::Unknown => "unknown_field",
            Problem::Sensitive { .. } => "sensitive",
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

impl Context {
    /// The context of answers given at `now`.
    pub fn at(now: crate::clock::Timestamp, allow_synthetic_ids: bool) -> Context {
        Context {
            today: now.norwegian_day(),
            allow_synthetic_ids,
        }
    }
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

impl<'a> Scope<'a> {
    /// The top-level answers alone.
    fn top(top: &'a BTreeMap<String, Value>) -> Self {
        Scope { item: None, top }
    }

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
        Scope::top(&self.0).holds(condition)
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
            let page_shown = Scope::top(&answers).shown(page.show_if.as_ref());
            if page_shown {
                shown_pages.push(page_index);
            }
            for field in &page.fields {
                let shown = page_shown && Scope::top(&answers).shown(field.show_if.as_ref());
                if let FieldKind::Group { fields, .. } = &field.kind {
                    let items = raw.group_items(&field.id);
                    for n in &items {
                        for sub in fields {
                            known.insert(format!("{}.{n}.{}", field.id, sub.id));
                        }
                    }
                    if !shown {
                        continue;
                    }
                    match check_group(field, &items, raw, ctx, &answers) {
                        Ok(Some(value)) => {
                            answers.insert(field.id.clone(), value);
                        }
                        Ok(None) => {}
                        Err(mut errs) => errors.append(&mut errs),
                    }
                    continue;
                }
                if field.is_answerable() {
                    known.insert(field.id.clone());
                }
                if !shown || !field.is_answerable() {
                    continue;
                }
                match check_field(field, &field.id, raw, &Scope::top(&answers), ctx) {
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
}

/// Checks the items of a repeating group that were sent (`items`: their numbers).
fn check_group(
    group: &Field,
    items: &[usize],
    raw: &RawAnswers,
    ctx: &Context,
    top: &BTreeMap<String, Value>,
) -> Result<Option<Value>, Vec<FieldError>> {
    let FieldKind::Group {
        fields,
        min_items,
        max_items,
        ..
    } = &group.kind
    else {
        return Ok(None);
    };
    let (min_items, max_items) = (*min_items, *max_items);
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
            .is_some_and(|c| Scope::top(top).holds(c));
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
            match check_field(sub, &key, raw, &scope, ctx) {
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

/// Checks the values sent under `name` for `field`: `Ok(None)` when an optional field
/// is left empty.
fn check_field(
    field: &Field,
    name: &str,
    raw: &RawAnswers,
    scope: &Scope<'_>,
    ctx: &Context,
) -> Result<Option<Value>, Problem> {
    let given: Vec<&RawValue> = raw
        .0
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v)
        .collect();
    let required =
        field.must_answer() || field.required_if.as_ref().is_some_and(|c| scope.holds(c));
    let missing = |required: bool| {
        if !required {
            Ok(None)
        } else if matches!(field.kind, FieldKind::Consent) {
            Err(Problem::ConsentRequired)
        } else {
            Err(Problem::Required)
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
                return missing(required);
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
            let text = match given.as_slice() {
                [] => return missing(required),
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
                return missing(required);
            }
            if text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                return Err(Problem::ControlCharacter);
            }
            check_single(field, text, scope, ctx).map(Some)
        }
    }
}

/// A text's length in characters within `min..=max`.
fn check_length(text: &str, min: usize, max: usize) -> Result<(), Problem> {
    let len = text.chars().count();
    if len > max {
        Err(Problem::TooLong { max, len })
    } else if len < min {
        Err(Problem::TooShort { min, len })
    } else {
        Ok(())
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
            check_length(&text, *min_length, *max_length)?;
            if pattern.as_ref().is_some_and(|p| !p.regex.is_match(&text)) {
                return Err(Problem::Pattern);
            }
            text
        }
        FieldKind::Textarea {
            min_length,
            max_length,
        } => {
            check_length(&text, *min_length, *max_length)?;
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::schema::Catalog;

    /// A small deterministic random source (xorshift64*), for property tests.
    pub(crate) struct Rng(pub u64);

    impl Rng {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        pub(crate) fn below(&mut self, n: usize) -> usize {
            if n == 0 {
                0
            } else {
                (self.next() % n as u64) as usize
            }
        }
    }

    const FORM: &str = "id: alle
title: { nb: Alle, nn: Alle, en: All }
auth: optional
route:
  queue: servicetorget
  rules:
    - when: { field: valg, equals: b }
      queue: personvern
    - when: { field: flere, equals: z }
      queue: kommunikasjon
retention: { months: 1 }
privacy: { purpose: { nb: Test, nn: Test, en: Test }, legal_basis: { nb: Test, nn: Test, en: Test } }
pages:
  - id: en
    title: { nb: En, nn: Ein, en: One }
    fields:
      - id: tekst
        type: text
        pattern: '[A-Z]{2}[0-9]{3}'
        pattern_message: { nb: To bokstaver og tre sifre, nn: To bokstavar og tre siffer, en: 'Two letters, three digits' }
        label: { nb: Kode, nn: Kode, en: Code }
      - id: lang
        type: textarea
        min_length: 5
        max_length: 20
        label: { nb: Lang, nn: Lang, en: Long }
      - id: epost
        type: email
        label: { nb: E-post, nn: E-post, en: E-mail }
      - id: tlf
        type: phone
        international: false
        label: { nb: Telefon, nn: Telefon, en: Phone }
      - id: fnr
        type: national_id
        label: { nb: Fnr, nn: Fnr, en: Id }
      - id: orgnr
        type: org_number
        label: { nb: Orgnr, nn: Orgnr, en: Org }
      - id: postnr
        type: postcode
        label: { nb: Postnr, nn: Postnr, en: Postcode }
      - id: fra
        type: date
        min: -1y
        max: +1y
        label: { nb: Fra, nn: Frå, en: From }
      - id: til
        type: date
        after: fra
        label: { nb: Til, nn: Til, en: To }
      - id: tall
        type: number
        min: 1
        max: 10
        decimals: 1
        label: { nb: Tall, nn: Tal, en: Number }
      - id: valg
        type: choice
        label: { nb: Valg, nn: Val, en: Choice }
        options:
          - { value: a, label: { nb: A, nn: A, en: A } }
          - { value: b, label: { nb: B, nn: B, en: B } }
      - id: flere
        type: multi_choice
        max_selected: 2
        label: { nb: Flere, nn: Fleire, en: Several }
        options:
          - { value: x, label: { nb: X, nn: X, en: X } }
          - { value: y, label: { nb: Y, nn: Y, en: Y } }
          - { value: z, label: { nb: Z, nn: Z, en: Z } }
      - id: ok
        type: consent
        show_if: { field: valg, equals: a }
        label: { nb: Jeg godtar, nn: Eg godtek, en: I agree }
      - id: fil
        type: attachment
        accept: [png, pdf]
        max_size_kb: 1
        max_files: 2
        label: { nb: Fil, nn: Fil, en: File }
      - id: barn
        type: group
        max_items: 2
        label: { nb: Barn, nn: Born, en: Children }
        item_label: { nb: Barn, nn: Barn, en: Child }
        fields:
          - id: navn
            type: text
            required: true
            label: { nb: Navn, nn: Namn, en: Name }
          - id: alder
            type: number
            label: { nb: Alder, nn: Alder, en: Age }
          - id: merknad
            type: text
            show_if: { field: alder, answered: true }
            required_if: { field: valg, equals: b }
            label: { nb: Merknad, nn: Merknad, en: Note }
      - id: info
        type: info
        text: { nb: Les dette, nn: Les dette, en: Read this }
  - id: to
    title: { nb: To, nn: To, en: Two }
    show_if: { field: valg, equals: b }
    fields:
      - id: hvorfor
        type: textarea
        required: true
        label: { nb: Hvorfor, nn: Kvifor, en: Why }
";

    fn form() -> std::sync::Arc<Form> {
        let catalog: Catalog = crate::schema::files::tests::load(&[("alle.yaml", FORM)])
            .unwrap_or_else(|e| panic!("{e:?}"));
        catalog.form("alle").unwrap().clone()
    }

    fn ctx() -> Context {
        Context {
            today: Date::parse("2026-11-23").unwrap(),
            allow_synthetic_ids: false,
        }
    }

    fn raw(pairs: &[(&str, &str)]) -> RawAnswers {
        RawAnswers(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), RawValue::Text(v.to_string())))
                .collect(),
        )
    }

    fn problems(form: &Form, raw: &RawAnswers) -> Vec<(String, Problem)> {
        match form.validate(raw, &ctx()) {
            Ok(_) => vec![],
            Err(errors) => errors.into_iter().map(|e| (e.field, e.problem)).collect(),
        }
    }

    #[test]
    fn every_field_type_with_valid_and_invalid_values() {
        let form = form();
        let d = |s: &str| Date::parse(s).unwrap();
        let long = "x".repeat(21);
        // (field, value, expected problem or None, normalised value)
        let cases: Vec<(&str, &str, Option<Problem>, &str)> = vec![
            ("tekst", "AB123", None, "AB123"),
            ("tekst", "ab123", Some(Problem::Pattern), ""),
            ("tekst", "AB1234", Some(Problem::Pattern), ""),
            ("lang", "hei du", None, "hei du"),
            (
                "lang",
                "hei",
                Some(Problem::TooShort { min: 5, len: 3 }),
                "",
            ),
            (
                "lang",
                &long,
                Some(Problem::TooLong { max: 20, len: 21 }),
                "",
            ),
            ("lang", "hei\tdu\r\nder", None, "hei\tdu\nder"),
            (
                "lang",
                "hei \u{1b}[2J du",
                Some(Problem::ControlCharacter),
                "",
            ),
            ("lang", "hei du\u{0}", Some(Problem::ControlCharacter), ""),
            ("tekst", "AB\u{85}123", Some(Problem::ControlCharacter), ""),
            ("epost", " kari@example.no ", None, "kari@example.no"),
            ("epost", "kari@", Some(Problem::InvalidEmail), ""),
            ("tlf", "912 34 567", None, "+4791234567"),
            ("tlf", "+46 70 123 45 67", Some(Problem::InvalidPhone), ""),
            ("fnr", "01010750160", None, "01010750160"),
            ("fnr", "41018036736", None, "41018036736"),
            ("fnr", "01010750161", Some(Problem::InvalidNationalId), ""),
            ("fnr", "01810712345", Some(Problem::InvalidNationalId), ""),
            ("orgnr", "974 760 673", None, "974760673"),
            ("orgnr", "974760674", Some(Problem::InvalidOrgNumber), ""),
            ("postnr", "0150", None, "0150"),
            ("postnr", "150", Some(Problem::InvalidPostcode), ""),
            ("fra", "17.05.2026", None, "2026-05-17"),
            ("fra", "2026-02-30", Some(Problem::InvalidDate), ""),
            (
                "fra",
                "2025-11-22",
                Some(Problem::DateTooEarly {
                    min: d("2025-11-23"),
                }),
                "",
            ),
            (
                "fra",
                "2027-11-24",
                Some(Problem::DateTooLate {
                    max: d("2027-11-23"),
                }),
                "",
            ),
            ("tall", "2,5", None, "2.5"),
            (
                "tall",
                "2,55",
                Some(Problem::TooManyDecimals { max: 1 }),
                "",
            ),
            ("tall", "0", Some(Problem::NumberTooSmall { min: 1.0 }), ""),
            (
                "tall",
                "11",
                Some(Problem::NumberTooLarge { max: 10.0 }),
                "",
            ),
            ("tall", "ti", Some(Problem::InvalidNumber), ""),
            ("valg", "a", None, "a"),
            ("valg", "c", Some(Problem::InvalidChoice), ""),
        ];
        for (field, value, expected, normal) in cases {
            let mut pairs = vec![(field, value)];
            if field == "valg" && value == "a" {
                pairs.push(("ok", "true"));
            }
            let result = form.validate(&raw(&pairs), &ctx());
            match expected {
                None => {
                    let answers = result.unwrap_or_else(|e| panic!("{field}={value}: {e:?}"));
                    assert_eq!(answers.text(field), Some(normal), "{field}={value}");
                }
                Some(problem) => {
                    let errors = result.expect_err(&format!("{field}={value}"));
                    assert_eq!(
                        errors,
                        vec![FieldError {
                            field: field.into(),
                            problem
                        }],
                        "{field}={value}"
                    );
                }
            }
        }
    }

    #[test]
    fn synthetic_identity_numbers_only_where_configuration_allows() {
        let form = form();
        let synthetic = raw(&[("fnr", "01810750045")]);
        // 01810750045: 1 January 2007 with month + 80 (a Tenor test person).
        let strict = form.validate(&synthetic, &ctx());
        let allowed = form.validate(
            &synthetic,
            &Context {
                allow_synthetic_ids: true,
                ..ctx()
            },
        );
        match (strict, allowed) {
            (Err(errors), Ok(_)) => assert_eq!(errors[0].problem, Problem::SyntheticNationalId),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dates_after_other_dates() {
        let form = form();
        assert!(
            form.validate(
                &raw(&[("fra", "2026-11-01"), ("til", "2026-11-02")]),
                &ctx()
            )
            .is_ok()
        );
        assert_eq!(
            problems(&form, &raw(&[("fra", "2026-11-01"), ("til", "2026-11-01")])),
            vec![(
                "til".to_string(),
                Problem::NotAfter {
                    other: "fra".into()
                }
            )]
        );
        // With no start date there is nothing to compare with.
        assert!(
            form.validate(&raw(&[("til", "2020-01-01")]), &ctx())
                .is_ok()
        );
    }

    #[test]
    fn multiple_choice_keeps_the_schema_order_and_counts() {
        let form = form();
        let answers = form
            .validate(&raw(&[("flere", "y"), ("flere", "x")]), &ctx())
            .unwrap();
        assert_eq!(
            answers.get("flere"),
            Some(&Value::List(vec!["x".into(), "y".into()]))
        );
        assert_eq!(
            problems(
                &form,
                &raw(&[("flere", "x"), ("flere", "y"), ("flere", "z")])
            ),
            vec![("flere".to_string(), Problem::TooManyChoices { max: 2 })]
        );
        assert_eq!(
            problems(&form, &raw(&[("flere", "w")])),
            vec![("flere".to_string(), Problem::InvalidChoice)]
        );
        assert_eq!(
            problems(&form, &raw(&[("tekst", "AB123"), ("tekst", "AB124")])),
            vec![("tekst".to_string(), Problem::Repeated)]
        );
    }

    fn file(name: &str, bytes: &[u8]) -> (String, RawValue) {
        (
            "fil".into(),
            RawValue::File(RawFile {
                name: name.into(),
                bytes: bytes.to_vec(),
            }),
        )
    }

    #[test]
    fn attachments_are_judged_by_their_content_not_their_name() {
        let form = form();
        let png = b"\x89PNG\r\n\x1a\n rest of a small picture".to_vec();
        let pdf = b"%PDF-1.7 a small document".to_vec();
        // A PNG named .jpg is a PNG; accepted, and recorded as image/png.
        let answers = form
            .validate(&RawAnswers(vec![file("bilde.jpg", &png)]), &ctx())
            .unwrap();
        match answers.get("fil") {
            Some(Value::Files(files)) => {
                assert_eq!(files[0].mime, "image/png");
                assert_eq!(files[0].name, "bilde.jpg");
                assert_eq!(files[0].data, png);
            }
            other => panic!("{other:?}"),
        }
        // A program named .png is refused.
        let exe = b"MZ\x90\0\x03 not a picture at all".to_vec();
        assert_eq!(
            problems(&form, &RawAnswers(vec![file("bilde.png", &exe)])),
            vec![("fil".to_string(), Problem::FileType)]
        );
        // A JPEG (not accepted here) named .pdf is refused.
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
        assert_eq!(
            problems(&form, &RawAnswers(vec![file("skjema.pdf", &jpeg)])),
            vec![("fil".to_string(), Problem::FileType)]
        );
        assert_eq!(
            problems(
                &form,
                &RawAnswers(vec![
                    file("a.pdf", &pdf),
                    file("b.pdf", &pdf),
                    file("c.pdf", &pdf)
                ])
            ),
            vec![("fil".to_string(), Problem::TooManyFiles { max: 2 })]
        );
        let mut big = pdf.clone();
        big.resize(1001, b' ');
        assert_eq!(
            problems(&form, &RawAnswers(vec![file("stor.pdf", &big)])),
            vec![("fil".to_string(), Problem::FileTooLarge { max: 1000 })]
        );
        assert_eq!(
            problems(&form, &RawAnswers(vec![file("tom.pdf", b"")])),
            vec![("fil".to_string(), Problem::EmptyFile)]
        );
        assert_eq!(
            problems(&form, &raw(&[("fil", "not a file")])),
            vec![("fil".to_string(), Problem::NotText)]
        );
    }

    #[test]
    fn repeating_groups() {
        let form = form();
        let answers = form
            .validate(
                &raw(&[
                    ("barn.0.navn", "Ada"),
                    ("barn.1.navn", "Ole"),
                    ("barn.1.alder", "4"),
                    ("barn.1.merknad", "allergi"),
                ]),
                &ctx(),
            )
            .unwrap();
        match answers.get("barn") {
            Some(Value::Group(items)) => {
                assert_eq!(items.len(), 2);
                assert_eq!(items[1].get("alder"), Some(&Value::Text("4".into())));
                assert_eq!(
                    items[1].get("merknad"),
                    Some(&Value::Text("allergi".into()))
                );
                // Item 0 has no age, so its note was not shown.
                assert_eq!(items[0].get("merknad"), None);
            }
            other => panic!("{other:?}"),
        }
        // A wholly empty item is dropped; a half-filled one is checked.
        assert!(
            form.validate(&raw(&[("barn.0.navn", ""), ("barn.0.alder", "")]), &ctx())
                .is_ok()
        );
        assert_eq!(
            problems(&form, &raw(&[("barn.0.alder", "3")])),
            vec![("barn.0.navn".to_string(), Problem::Required)]
        );
        assert_eq!(
            problems(
                &form,
                &raw(&[
                    ("barn.0.navn", "A"),
                    ("barn.1.navn", "B"),
                    ("barn.2.navn", "C")
                ])
            ),
            vec![("barn".to_string(), Problem::TooManyItems { max: 2 })]
        );
        assert_eq!(
            problems(&form, &raw(&[("barn.0.fornavn", "A")])),
            vec![("barn.0.fornavn".to_string(), Problem::Unknown)]
        );
        // Conditions inside an item may read answers outside the group.
        assert_eq!(
            problems(
                &form,
                &raw(&[
                    ("valg", "b"),
                    ("hvorfor", "fordi"),
                    ("barn.0.navn", "A"),
                    ("barn.0.alder", "2")
                ])
            ),
            vec![("barn.0.merknad".to_string(), Problem::Required)]
        );
    }

    #[test]
    fn a_multiple_choice_with_min_selected_must_be_answered() {
        let catalog = crate::schema::files::tests::load(&[(
            "tema.yaml",
            "id: tema
title: { nb: Tema }
languages: [nb]
auth: none
route: { queue: kommunikasjon }
retention: { months: 1 }
privacy: { purpose: { nb: Test, nn: Test, en: Test }, legal_basis: { nb: Test, nn: Test, en: Test } }
fields:
  - id: tema
    type: multi_choice
    min_selected: 2
    label: { nb: Tema }
    options:
      - { value: a, label: { nb: A } }
      - { value: b, label: { nb: B } }
",
        )])
        .unwrap_or_else(|e| panic!("{e:?}"));
        let form = catalog.form("tema").unwrap();
        assert!(form.field("tema").unwrap().must_answer());
        assert_eq!(
            problems(form, &raw(&[])),
            vec![("tema".to_string(), Problem::Required)]
        );
        assert_eq!(
            problems(form, &raw(&[("tema", "a")])),
            vec![("tema".to_string(), Problem::TooFewChoices { min: 2 })]
        );
        assert_eq!(
            problems(form, &raw(&[("tema", "a"), ("tema", "b")])),
            vec![]
        );
    }

    #[test]
    fn hidden_answers_are_dropped_and_conditional_requirements_hold() {
        let form = form();
        // `ok` shows only when valg = a; sent with valg = b it is dropped silently.
        let answers = form
            .validate(
                &raw(&[("valg", "b"), ("ok", "true"), ("hvorfor", "fordi")]),
                &ctx(),
            )
            .unwrap();
        assert_eq!(answers.get("ok"), None);
        // Shown, the consent must be ticked, whether the box sent nothing or an empty value.
        assert_eq!(
            problems(&form, &raw(&[("valg", "a")])),
            vec![("ok".to_string(), Problem::ConsentRequired)]
        );
        assert_eq!(
            problems(&form, &raw(&[("valg", "a"), ("ok", "")])),
            vec![("ok".to_string(), Problem::ConsentRequired)]
        );
        // Page two shows only when valg = b; its required field is then required, and
        // its answers are dropped otherwise.
        assert_eq!(
            problems(&form, &raw(&[("valg", "b")])),
            vec![("hvorfor".to_string(), Problem::Required)]
        );
        let answers = form
            .validate(
                &raw(&[("valg", "a"), ("ok", "true"), ("hvorfor", "skjult")]),
                &ctx(),
            )
            .unwrap();
        assert_eq!(answers.get("hvorfor"), None);
        let checked = form.check(&raw(&[("valg", "a")]), &ctx());
        assert_eq!(checked.shown_pages, vec![0]);
        let checked = form.check(&raw(&[("valg", "b")]), &ctx());
        assert_eq!(checked.shown_pages, vec![0, 1]);
        // An information text takes no answer.
        assert_eq!(
            problems(&form, &raw(&[("info", "x")])),
            vec![("info".to_string(), Problem::Unknown)]
        );
    }

    #[test]
    fn routing_picks_the_first_rule_that_holds() {
        let form = form();
        let route = |pairs: &[(&str, &str)]| {
            let answers = form.validate(&raw(pairs), &ctx()).unwrap();
            form.queue_for(&answers).to_string()
        };
        assert_eq!(route(&[]), "servicetorget");
        assert_eq!(route(&[("valg", "b"), ("hvorfor", "x")]), "personvern");
        assert_eq!(route(&[("flere", "z")]), "kommunikasjon");
        // Both rules hold: the first wins.
        assert_eq!(
            route(&[("valg", "b"), ("hvorfor", "x"), ("flere", "z")]),
            "personvern"
        );
    }

    #[test]
    fn readable_answers_use_labels_in_the_citizens_language() {
        let form = form();
        let answers = form
            .validate(
                &raw(&[
                    ("valg", "a"),
                    ("ok", "true"),
                    ("fra", "2026-05-17"),
                    ("tall", "2.5"),
                    ("barn.0.navn", "Ada"),
                ]),
                &ctx(),
            )
            .unwrap();
        let readable = form.readable(&answers, Lang::Nn);
        let find = |field: &str| readable.iter().find(|r| r.field == field).unwrap();
        assert_eq!(find("fra").value, "17.05.2026");
        assert_eq!(find("fra").label, "Frå");
        assert_eq!(find("tall").value, "2,5");
        assert_eq!(find("ok").value, "Ja");
        assert_eq!(find("barn.0.navn").label, "Barn 1 – Namn");
    }

    /// Answer decoding never panics: random names and values (texts, files, JSON
    /// scalars, group names with odd indexes) against every shipped form and this one.
    #[test]
    fn validation_survives_random_answers() {
        let mut forms = vec![form()];
        let shipped = Catalog::shipped();
        forms.extend(shipped.forms().cloned());
        let mut names: Vec<String> = Vec::new();
        for form in &forms {
            for field in form.fields() {
                names.push(field.id.clone());
                if let FieldKind::Group { fields, .. } = &field.kind {
                    for sub in fields {
                        names.push(format!("{}.0.{}", field.id, sub.id));
                        names.push(format!("{}.999.{}", field.id, sub.id));
                        names.push(format!("{}.99999999999999999999.{}", field.id, sub.id));
                    }
                }
            }
        }
        names.extend(["", ".", "a..b", "barn.x.navn", "_csrf"].map(String::from));
        let values = [
            "",
            " ",
            "ja",
            "true",
            "2026-02-29",
            "31.12.9999",
            "0001-01-01",
            "-0",
            "1e309",
            "١٢٣",
            "01010750160",
            "+",
            "\u{0}",
            "ø",
            "a\r\nb",
            "999999999999999999999999",
            "NaN",
            "inf",
        ];
        let mut rng = Rng(42);
        for round in 0..20_000 {
            let form = &forms[round % forms.len()];
            let mut answers = RawAnswers::default();
            for _ in 0..rng.below(12) {
                let name = names[rng.below(names.len())].clone();
                let value = match rng.below(6) {
                    0 => RawValue::File(RawFile {
                        name: values[rng.below(values.len())].into(),
                        bytes: (0..rng.below(40)).map(|_| rng.next() as u8).collect(),
                    }),
                    1 => RawValue::Json(values[rng.below(values.len())].into()),
                    2 => RawValue::NotText,
                    _ => {
                        let mut text = values[rng.below(values.len())].to_string();
                        if rng.below(4) == 0 {
                            text = text.repeat(rng.below(500));
                        }
                        RawValue::Text(text)
                    }
                };
                answers.0.push((name, value));
            }
            let checked = form.check(&answers, &ctx());
            let _ = form.readable(&checked.answers, Lang::En);
            let _ = form.queue_for(&checked.answers);
        }
    }
}
