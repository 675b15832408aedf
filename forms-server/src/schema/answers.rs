//! A citizen's answers checked against a form.
//!
//! [`RawAnswers`] is what arrived (from an HTML form post or the JSON API), decoded but
//! unchecked. [`Form::validate`](super::Form::validate) turns it into [`Answers`], or
//! every problem found, each tied to its field, so the page can show them all at once.

use std::collections::BTreeMap;

use serde::Serialize;
use validator::ValidateEmail;

use super::{FieldKind, Form};

/// What arrived, in arrival order: field id and text.
#[derive(Debug, Default, Clone)]
pub struct RawAnswers(pub Vec<(String, RawValue)>);

/// One submitted value before checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    Text(String),
    /// The JSON API sent something other than a string or null.
    NotText,
}

impl RawAnswers {
    /// The text given for `field`, as typed, for showing the form again.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.0.iter().find_map(|(k, v)| match v {
            RawValue::Text(t) if k == field => Some(t.as_str()),
            _ => None,
        })
    }
}

/// Answers that passed every check: field id to normalised text. Empty optional fields
/// are absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Answers(BTreeMap<String, String>);

impl Answers {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// What is wrong with one field's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Required,
    TooLong {
        max: usize,
        len: usize,
    },
    InvalidEmail,
    NotText,
    /// The field was sent more than once.
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
            Problem::InvalidEmail => "invalid_email",
            Problem::NotText => "not_text",
            Problem::Repeated => "repeated",
            Problem::Unknown => "unknown_field",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: Problem,
}

/// Line breaks as the browser sends them (CRLF) count as one character, as they do in
/// the browser's own `maxlength`.
fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

impl Form {
    /// Checks every answer; returns all problems in the form's field order, problems
    /// with unknown or repeated fields last.
    pub fn validate(&self, raw: &RawAnswers) -> Result<Answers, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut given: BTreeMap<&str, &RawValue> = BTreeMap::new();
        let mut stray = Vec::new();
        for (key, value) in &raw.0 {
            if self.field(key).is_none() {
                stray.push(FieldError {
                    field: key.clone(),
                    problem: Problem::Unknown,
                });
            } else if given.insert(key.as_str(), value).is_some() {
                stray.push(FieldError {
                    field: key.clone(),
                    problem: Problem::Repeated,
                });
            }
        }

        let mut answers = BTreeMap::new();
        for field in &self.fields {
            let problem = match given.get(field.id.as_str()) {
                Some(RawValue::NotText) => Some(Problem::NotText),
                None => field.required.then_some(Problem::Required),
                Some(RawValue::Text(text)) => {
                    let text = normalise(text);
                    let value = match field.kind {
                        FieldKind::Email => text.trim().to_string(),
                        FieldKind::Text | FieldKind::Textarea => text,
                    };
                    let len = value.chars().count();
                    if value.trim().is_empty() {
                        field.required.then_some(Problem::Required)
                    } else if len > field.max_length {
                        Some(Problem::TooLong {
                            max: field.max_length,
                            len,
                        })
                    } else if field.kind == FieldKind::Email && !value.validate_email() {
                        Some(Problem::InvalidEmail)
                    } else {
                        answers.insert(field.id.clone(), value);
                        None
                    }
                }
            };
            if let Some(problem) = problem {
                errors.push(FieldError {
                    field: field.id.clone(),
                    problem,
                });
            }
        }
        errors.extend(stray);
        if errors.is_empty() {
            Ok(Answers(answers))
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Auth, Field, FormId, GuardPolicy, QueueId, Text};
    use super::*;

    fn form() -> Form {
        let text = |s: &str| Text {
            nb: s.into(),
            nn: None,
            en: None,
        };
        Form {
            id: FormId::parse("kontakt").unwrap(),
            title: text("Kontakt"),
            description: None,
            auth: Auth::None,
            content_guard: GuardPolicy::Off,
            queue: QueueId::parse("servicetorget").unwrap(),
            retention_months: 24,
            fields: vec![
                Field {
                    id: "message".into(),
                    kind: FieldKind::Textarea,
                    label: text("Din henvendelse"),
                    hint: None,
                    required: true,
                    max_length: 10,
                    prefill: None,
                },
                Field {
                    id: "email".into(),
                    kind: FieldKind::Email,
                    label: text("E-post"),
                    hint: None,
                    required: false,
                    max_length: 254,
                    prefill: None,
                },
            ],
            schema_sha256: String::new(),
            source: "kontakt.yaml".into(),
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

    fn problems(pairs: &[(&str, &str)]) -> Vec<(String, Problem)> {
        match form().validate(&raw(pairs)) {
            Ok(_) => vec![],
            Err(errors) => errors.into_iter().map(|e| (e.field, e.problem)).collect(),
        }
    }

    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<(String, Problem)>);

    #[test]
    fn table_of_answers() {
        let p = |f: &str, problem: Problem| (f.to_string(), problem);
        let cases: Vec<Case> = vec![
            (vec![("message", "Hei")], vec![]),
            (
                vec![("message", "Hei"), ("email", " ola@example.no ")],
                vec![],
            ),
            (vec![("message", "Hei"), ("email", "")], vec![]),
            (vec![], vec![p("message", Problem::Required)]),
            (
                vec![("message", "  \r\n ")],
                vec![p("message", Problem::Required)],
            ),
            (
                vec![("message", "12345678901")],
                vec![p("message", Problem::TooLong { max: 10, len: 11 })],
            ),
            // Ten characters with CRLF line breaks: each break counts once.
            (vec![("message", "ab\r\ncd\r\nefgh")], vec![]),
            (
                vec![("message", "Hei"), ("email", "ola@")],
                vec![p("email", Problem::InvalidEmail)],
            ),
            (
                vec![("message", "Hei"), ("emial", "x")],
                vec![p("emial", Problem::Unknown)],
            ),
            (
                vec![("message", "a"), ("message", "b")],
                vec![p("message", Problem::Repeated)],
            ),
            (
                vec![("email", "nope")],
                vec![
                    p("message", Problem::Required),
                    p("email", Problem::InvalidEmail),
                ],
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(problems(&input), expected, "{input:?}");
        }
    }

    #[test]
    fn keeps_normalised_values_and_drops_empty_optional_ones() {
        let answers = form()
            .validate(&raw(&[
                ("message", "a\r\nb"),
                ("email", " ola@example.no "),
            ]))
            .unwrap();
        assert_eq!(answers.get("message"), Some("a\nb"));
        assert_eq!(answers.get("email"), Some("ola@example.no"));
        let answers = form()
            .validate(&raw(&[("message", "a"), ("email", " ")]))
            .unwrap();
        assert_eq!(answers.get("email"), None);
    }

    #[test]
    fn a_non_text_value_is_refused() {
        let raw = RawAnswers(vec![("message".into(), RawValue::NotText)]);
        let errors = form().validate(&raw).unwrap_err();
        assert_eq!(errors[0].problem, Problem::NotText);
    }
}
