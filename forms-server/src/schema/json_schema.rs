//! The JSON Schema of the schema files, for form designers' editors.
//!
//! Derived from the very types the loader reads (`files.rs`), so it says what the
//! loader accepts. The copies in form-schemas/ are kept in step by a test; regenerate
//! them with `forms json-schema --out form-schemas`.

use std::path::Path;

use super::files::{FormFile, QueuesFile};

/// The file names of the two schemas in form-schemas/.
pub const FORM_SCHEMA_FILE: &str = "form.schema.json";
pub const QUEUES_SCHEMA_FILE: &str = "queues.schema.json";

fn render<T: schemars::JsonSchema>(title: &str) -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
    if let Some(object) = schema.as_object_mut() {
        object.insert("title".into(), title.into());
    }
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// The JSON Schema of a form file.
pub fn form_schema() -> String {
    render::<FormFile>("A form of the municipality's electronic forms")
}

/// The JSON Schema of queues.yaml.
pub fn queues_schema() -> String {
    render::<QueuesFile>("The queues and their caseworkers' public keys")
}

/// Writes both schemas into `dir`.
pub fn write(dir: &Path) -> std::io::Result<()> {
    std::fs::write(dir.join(FORM_SCHEMA_FILE), form_schema())?;
    std::fs::write(dir.join(QUEUES_SCHEMA_FILE), queues_schema())
}
