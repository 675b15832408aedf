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

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use forms_crypto::seal::Recipient;

use crate::i18n::Lang;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Auth {
    None,
    Optional,
    Substantial,
    High,
}

/// Whether the content guard reads the form's free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GuardPolicy {
    #[default]
    Off,
    Refuse,
}

/// The kinds of field the language knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Textarea,
    Email,
}

impl FieldKind {
    /// The longest answer allowed when the schema does not say.
    pub fn default_max_length(self) -> usize {
        match self {
            FieldKind::Text => 200,
            FieldKind::Textarea => 4000,
            FieldKind::Email => 254,
        }
    }
}

/// Where a field's value may come from after login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefill {
    IdportenPid,
    KrrEmail,
    KrrMobile,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub id: String,
    pub kind: FieldKind,
    pub label: Text,
    pub hint: Option<Text>,
    pub required: bool,
    pub max_length: usize,
    pub prefill: Option<Prefill>,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub id: FormId,
    pub title: Text,
    pub description: Option<Text>,
    pub auth: Auth,
    pub content_guard: GuardPolicy,
    pub queue: QueueId,
    pub retention_months: u32,
    pub fields: Vec<Field>,
    /// SHA-256 of the schema file as loaded, recorded with every submission.
    pub schema_sha256: String,
    pub source: PathBuf,
}

impl Form {
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// Days a submission is kept, at most, counting a month as 31 days.
    pub fn retention_days(&self) -> i64 {
        i64::from(self.retention_months) * 31
    }
}

/// A caseworker as declared in `queues.yaml`: a name and the public keys of their
/// devices.
#[derive(Debug, Clone)]
pub struct QueueMember {
    pub name: String,
    pub recipients: Vec<Recipient>,
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

/// Every form and queue, checked as a whole.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    forms: BTreeMap<String, Arc<Form>>,
    queues: BTreeMap<String, Queue>,
}

impl Catalog {
    /// Loads `dir/queues.yaml` and every other `dir/*.yaml` as a form. Returns every
    /// mistake found, not just the first.
    pub fn load_dir(dir: &Path) -> Result<Catalog, Vec<SchemaError>> {
        files::load_dir(dir)
    }

    pub fn form(&self, id: &str) -> Option<&Arc<Form>> {
        self.forms.get(id)
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
