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

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../form-schemas")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_default()
    }

    /// The copies form designers' editors read are the loader's own: regenerate with
    /// `forms json-schema` when this fails.
    #[test]
    fn the_shipped_json_schemas_match_the_loader() {
        assert_eq!(
            shipped(FORM_SCHEMA_FILE),
            form_schema(),
            "run: forms json-schema"
        );
        assert_eq!(
            shipped(QUEUES_SCHEMA_FILE),
            queues_schema(),
            "run: forms json-schema"
        );
    }

    #[test]
    fn the_form_schema_names_every_field_type_and_option() {
        let schema: serde_json::Value = serde_json::from_str(&form_schema()).unwrap();
        let text = schema.to_string();
        for word in [
            "national_id",
            "org_number",
            "multi_choice",
            "attachment",
            "group",
            "info",
            "show_if",
            "required_if",
            "item_label",
            "pattern_message",
            "max_size_kb",
            "idporten.pid",
            "krr.mobile",
            "rules",
            "additionalProperties",
        ] {
            assert!(text.contains(word), "{word}");
        }
    }
}
