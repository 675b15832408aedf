//! Reading schema files: YAML through serde, rules through the validator crate, and the
//! checks across files (a form's queue must be declared). Every error carries the file,
//! line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use sha2::{Digest, Sha256};
use validator::{Validate, ValidationError};

use super::{
    Auth, Catalog, Field, FieldKind, Form, FormId, GuardPolicy, Prefill, Queue, QueueId,
    QueueMember, Text,
};

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

    fn at<T>(file: &Path, spanned: &Spanned<T>, message: impl Into<String>) -> Self {
        SchemaError {
            file: file.to_path_buf(),
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
            message: message.into(),
        }
    }
}

const QUEUES_FILE: &str = "queues.yaml";
/// A schema file larger than this is refused before parsing.
const MAX_FILE_BYTES: u64 = 1 << 20;

#[derive(Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
struct TextFile {
    #[validate(length(min = 1, max = 2000, message = "must be 1 to 2000 characters"))]
    nb: String,
    #[validate(length(min = 1, max = 2000, message = "must be 1 to 2000 characters"))]
    nn: Option<String>,
    #[validate(length(min = 1, max = 2000, message = "must be 1 to 2000 characters"))]
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
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
enum AuthFile {
    None,
    Optional,
    Substantial,
    High,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
enum GuardFile {
    Off,
    Refuse,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
enum KindFile {
    Text,
    Textarea,
    Email,
}

#[derive(Deserialize, Serialize)]
enum PrefillFile {
    #[serde(rename = "idporten.pid")]
    IdportenPid,
    #[serde(rename = "krr.email")]
    KrrEmail,
    #[serde(rename = "krr.mobile")]
    KrrMobile,
}

#[derive(Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
struct RouteFile {
    queue: Spanned<String>,
}

#[derive(Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
struct RetentionFile {
    #[validate(range(min = 1, max = 1200, message = "must be between 1 and 1200 months"))]
    months: u32,
}

#[derive(Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
struct FieldFile {
    #[validate(custom(function = "slug"))]
    id: Spanned<String>,
    #[serde(rename = "type")]
    kind: KindFile,
    #[validate(nested)]
    label: TextFile,
    #[validate(nested)]
    hint: Option<TextFile>,
    #[serde(default)]
    required: bool,
    #[validate(range(min = 1, max = 100000, message = "must be between 1 and 100000"))]
    max_length: Option<usize>,
    prefill: Option<PrefillFile>,
}

#[derive(Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
struct FormFile {
    #[validate(custom(function = "slug"))]
    id: Spanned<String>,
    #[validate(nested)]
    title: TextFile,
    #[validate(nested)]
    description: Option<TextFile>,
    auth: AuthFile,
    content_guard: Option<GuardFile>,
    #[validate(nested)]
    route: RouteFile,
    #[validate(nested)]
    retention: RetentionFile,
    #[validate(custom(function = "at_least_one_field"), nested)]
    fields: Vec<FieldFile>,
}

#[derive(Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
struct MemberFile {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    name: String,
    #[validate(custom(function = "at_least_one_key"))]
    recipients: Vec<Spanned<String>>,
}

#[derive(Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
struct QueueFile {
    #[validate(custom(function = "slug"))]
    id: Spanned<String>,
    #[validate(nested)]
    name: TextFile,
    #[validate(custom(function = "at_least_one_caseworker"), nested)]
    caseworkers: Vec<MemberFile>,
}

#[derive(Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
struct QueuesFile {
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

fn at_least_one_field(items: &[FieldFile]) -> Result<(), ValidationError> {
    non_empty(items, "a form needs at least one field")
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
    let message = strip_location_prefix(first).to_string();
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

pub(super) fn load_dir(dir: &Path) -> Result<Catalog, Vec<SchemaError>> {
    let mut errors = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|err| {
        vec![SchemaError::whole_file(
            dir,
            format!("cannot read the schema folder: {err}"),
        )]
    })?;
    let mut form_paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && p.file_name().is_some_and(|n| n != QUEUES_FILE)
        })
        .collect();
    form_paths.sort();

    let queues = load_queues(&dir.join(QUEUES_FILE)).unwrap_or_else(|mut errs| {
        errors.append(&mut errs);
        BTreeMap::new()
    });

    let mut forms: BTreeMap<String, Arc<Form>> = BTreeMap::new();
    for path in form_paths {
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
    if errors.is_empty() {
        Ok(Catalog { forms, queues })
    } else {
        Err(errors)
    }
}

fn load_queues(path: &Path) -> Result<BTreeMap<String, Queue>, Vec<SchemaError>> {
    let (text, _) = read_file(path).map_err(|e| vec![e])?;
    let file: QueuesFile = parse_file(path, &text)?;
    let mut errors = Vec::new();
    let mut queues = BTreeMap::new();
    for queue in file.queues {
        let mut members = Vec::new();
        for member in queue.caseworkers {
            let mut recipients = Vec::new();
            for key in &member.recipients {
                match key.value.parse() {
                    Ok(recipient) => recipients.push(recipient),
                    Err(err) => errors.push(SchemaError::at(
                        path,
                        key,
                        format!("caseworker '{}': {err}", member.name),
                    )),
                }
            }
            members.push(QueueMember {
                name: member.name,
                recipients,
            });
        }
        let id = match QueueId::parse(&queue.id.value) {
            Ok(id) => id,
            Err(message) => {
                errors.push(SchemaError::at(path, &queue.id, message));
                continue;
            }
        };
        if queues.contains_key(id.as_str()) {
            errors.push(SchemaError::at(
                path,
                &queue.id,
                format!("queue '{id}' is declared twice"),
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
    let mut errors = Vec::new();

    let id = FormId::parse(&file.id.value).map_err(|m| vec![SchemaError::at(path, &file.id, m)])?;
    let queue_ref = &file.route.queue;
    let queue = match QueueId::parse(&queue_ref.value) {
        Ok(q) if queues.contains_key(q.as_str()) || queues.is_empty() => Some(q),
        Ok(q) => {
            let known: Vec<&str> = queues.keys().map(String::as_str).collect();
            errors.push(SchemaError::at(
                path,
                queue_ref,
                format!(
                    "route.queue '{q}' is not declared in {QUEUES_FILE}; declare it there \
                     or use one of: {}",
                    known.join(", ")
                ),
            ));
            None
        }
        Err(message) => {
            errors.push(SchemaError::at(path, queue_ref, message));
            None
        }
    };

    let mut fields: Vec<Field> = Vec::new();
    for field in file.fields {
        if fields.iter().any(|f| f.id == field.id.value) {
            errors.push(SchemaError::at(
                path,
                &field.id,
                format!("field id '{}' is used twice in this form", field.id.value),
            ));
            continue;
        }
        let kind = match field.kind {
            KindFile::Text => FieldKind::Text,
            KindFile::Textarea => FieldKind::Textarea,
            KindFile::Email => FieldKind::Email,
        };
        fields.push(Field {
            id: field.id.value,
            kind,
            label: field.label.into_text(),
            hint: field.hint.map(TextFile::into_text),
            required: field.required,
            max_length: field.max_length.unwrap_or(kind.default_max_length()),
            prefill: field.prefill.map(|p| match p {
                PrefillFile::IdportenPid => Prefill::IdportenPid,
                PrefillFile::KrrEmail => Prefill::KrrEmail,
                PrefillFile::KrrMobile => Prefill::KrrMobile,
            }),
        });
    }

    match (queue, errors.is_empty()) {
        (Some(queue), true) => Ok(Form {
            id,
            title: file.title.into_text(),
            description: file.description.map(TextFile::into_text),
            auth: match file.auth {
                AuthFile::None => Auth::None,
                AuthFile::Optional => Auth::Optional,
                AuthFile::Substantial => Auth::Substantial,
                AuthFile::High => Auth::High,
            },
            content_guard: match file.content_guard {
                None | Some(GuardFile::Off) => GuardPolicy::Off,
                Some(GuardFile::Refuse) => GuardPolicy::Refuse,
            },
            queue,
            retention_months: file.retention.months,
            fields,
            schema_sha256,
            source: path.to_path_buf(),
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUEUES: &str = "queues:
  - id: servicetorget
    name: { nb: Servicetorget }
    caseworkers:
      - name: Kari
        recipients: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]
";

    const FORM: &str = "id: kontakt
title: { nb: Kontakt kommunen }
auth: none
route: { queue: servicetorget }
retention: { months: 24 }
fields:
  - id: message
    type: textarea
    label: { nb: Din henvendelse }
    required: true
    max_length: 4000
";

    fn load(files: &[(&str, &str)]) -> Result<Catalog, Vec<SchemaError>> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("forms-schema-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let result = load_dir(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        result
    }

    #[test]
    fn loads_a_valid_catalog() {
        let catalog = load(&[("queues.yaml", QUEUES), ("kontakt.yaml", FORM)]).unwrap();
        let form = catalog.form("kontakt").unwrap();
        assert_eq!(form.fields[0].max_length, 4000);
        assert_eq!(form.queue.as_str(), "servicetorget");
        assert_eq!(form.schema_sha256.len(), 64);
        assert_eq!(
            catalog.queue("servicetorget").unwrap().recipients().len(),
            1
        );
    }

    /// (file text, expected line, a fragment of the message)
    #[test]
    fn broken_forms_are_reported_at_their_line() {
        let cases: &[(&str, u64, &str)] = &[
            (
                &FORM.replace("type: textarea", "type: textera"),
                8,
                "unknown variant `textera`",
            ),
            (
                &FORM.replace("queue: servicetorget", "queue: byggesak"),
                4,
                "not declared",
            ),
            (
                &FORM.replace("max_length: 4000", "max_length: 0"),
                11,
                "between 1 and 100000",
            ),
            (&FORM.replace("id: message", "id: Message"), 7, "lower-case"),
            (&FORM.replace("auth: none", "auth: bankid"), 3, "bankid"),
            (&FORM.replace("months: 24", "months: 0"), 5, "1200"),
            (
                &FORM.replace("    required: true\n", "    requird: true\n"),
                10,
                "requird",
            ),
            (
                &format!("{FORM}  - id: message\n    type: text\n    label: {{ nb: X }}\n"),
                12,
                "used twice",
            ),
            ("id: kontakt\ntitle: [unclosed\n", 2, ""),
        ];
        for (text, line, fragment) in cases {
            let errors = load(&[("queues.yaml", QUEUES), ("kontakt.yaml", text)]).unwrap_err();
            let first = &errors[0];
            assert!(first.file.ends_with("kontakt.yaml"), "{first}");
            assert_eq!(first.line, *line, "{first}");
            assert!(first.message.contains(fragment), "{first}");
            assert!(!first.message.starts_with("error:"), "{first}");
        }
    }

    #[test]
    fn broken_queue_keys_are_reported_at_their_line() {
        let broken = QUEUES.replace("age1ql3z", "age1xl3z");
        let errors = load(&[("queues.yaml", &broken), ("kontakt.yaml", FORM)]).unwrap_err();
        assert_eq!(errors[0].line, 6, "{}", errors[0]);
        assert!(
            errors[0].message.contains("caseworker 'Kari'"),
            "{}",
            errors[0]
        );
        let no_members =
            "queues:\n  - id: servicetorget\n    name: { nb: S }\n    caseworkers: []\n";
        let errors = load(&[("queues.yaml", no_members), ("kontakt.yaml", FORM)]).unwrap_err();
        assert!(
            errors[0].message.contains("at least one caseworker"),
            "{}",
            errors[0]
        );
    }
}
