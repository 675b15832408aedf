//! The citizen's pages, rendered on the server as plain HTML.
//!
//! No JavaScript and no inline styles (the CSP forbids both). Accessibility follows
//! WCAG 2.1 AA the way public-sector design systems do it: a skip link, one `h1`, a
//! label for every input, hints and errors tied to their input with
//! `aria-describedby`, an error summary first in the main content that takes focus
//! and links to each field, and "Feil:" in the page title when something is wrong.

use maud::{DOCTYPE, Markup, html};

use crate::clock::Timestamp;
use crate::i18n::{Lang, Msg, t};
use crate::schema::answers::{FieldError, Problem, RawAnswers};
use crate::schema::{Field, FieldKind, Form};

/// The page's address in each language, for the language switch.
fn lang_href(path: &str, lang: Lang) -> String {
    format!("{path}?lang={}", lang.tag())
}

/// The frame around every page.
pub fn layout(lang: Lang, title: &str, has_errors: bool, path: &str, main: Markup) -> Markup {
    let full_title = if has_errors {
        format!(
            "{}: {title} – {}",
            t(lang, Msg::ErrorTitlePrefix),
            t(lang, Msg::Municipality)
        )
    } else {
        format!("{title} – {}", t(lang, Msg::Municipality))
    };
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (full_title) }
                link rel="stylesheet" href="/static/forms.css";
            }
            body {
                a class="skip-link" href="#main" { (t(lang, Msg::SkipToContent)) }
                header class="site-header" {
                    p class="site-name" { a href={ "/?lang=" (lang.tag()) } { (t(lang, Msg::Municipality)) } }
                    nav class="language" aria-label=(t(lang, Msg::Language)) {
                        ul {
                            @for other in Lang::ALL {
                                li {
                                    @if other == lang {
                                        span aria-current="true" lang=(other.tag()) { (other.endonym()) }
                                    } @else {
                                        a href=(lang_href(path, other)) lang=(other.tag()) hreflang=(other.tag()) { (other.endonym()) }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" { (main) }
            }
        }
    }
}

/// What the form page shows besides the form itself.
#[derive(Default)]
pub struct FormState<'a> {
    /// The citizen's own text, to show again.
    pub values: Option<&'a RawAnswers>,
    pub errors: &'a [FieldError],
    /// A message about the whole submission (expired page, server trouble).
    pub notice: Option<String>,
}

fn field_dom_id(field: &str) -> String {
    format!("field-{field}")
}

/// The message for one field problem, in the citizen's language.
pub fn problem_text(lang: Lang, form: &Form, error: &FieldError) -> String {
    let label = form
        .field(&error.field)
        .map(|f| f.label.get(lang))
        .unwrap_or_default();
    match &error.problem {
        Problem::Required | Problem::NotText => t(lang, Msg::Required { label }),
        Problem::TooLong { max, len } => t(
            lang,
            Msg::TooLong {
                label,
                max: *max,
                len: *len,
            },
        ),
        Problem::InvalidEmail => t(lang, Msg::InvalidEmail),
        Problem::Repeated | Problem::Unknown => t(lang, Msg::UnknownFields),
    }
}

pub fn form_page(form: &Form, lang: Lang, csrf: &str, state: FormState<'_>) -> Markup {
    let path = format!("/skjema/{}", form.id);
    let title = form.title.get(lang);
    // Errors tied to a field of the form link to it; the rest stand alone in the summary.
    let mut summary: Vec<(Option<String>, String)> = Vec::new();
    for error in state.errors {
        let text = problem_text(lang, form, error);
        let target = form.field(&error.field).map(|f| field_dom_id(&f.id));
        if !summary.iter().any(|(_, t)| *t == text) {
            summary.push((target, text));
        }
    }
    let has_errors = !summary.is_empty() || state.notice.is_some();
    let main = html! {
        @if has_errors {
            div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus {
                h2 id="error-summary-title" { (t(lang, Msg::ErrorSummaryTitle)) }
                @if let Some(notice) = &state.notice { p { (notice) } }
                @if !summary.is_empty() {
                    ul {
                        @for (target, text) in &summary {
                            li {
                                @if let Some(target) = target {
                                    a href={ "#" (target) } { (text) }
                                } @else { (text) }
                            }
                        }
                    }
                }
            }
        }
        h1 { (title) }
        @if let Some(description) = &form.description {
            p class="lead" { (description.get(lang)) }
        }
        form method="post" action={ (path) "?lang=" (lang.tag()) } novalidate accept-charset="utf-8" {
            input type="hidden" name="_csrf" value=(csrf);
            @for field in &form.fields {
                (field_markup(form, field, lang, &state))
            }
            button type="submit" class="button" { (t(lang, Msg::Send)) }
        }
    };
    layout(lang, title, has_errors, &path, main)
}

fn field_markup(form: &Form, field: &Field, lang: Lang, state: &FormState<'_>) -> Markup {
    let id = field_dom_id(&field.id);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let error = state
        .errors
        .iter()
        .find(|e| e.field == field.id)
        .map(|e| problem_text(lang, form, e));
    let value = state
        .values
        .and_then(|v| v.text(&field.id))
        .unwrap_or_default();
    let length_hint = (field.kind == FieldKind::Textarea).then(|| {
        t(
            lang,
            Msg::CharactersMax {
                max: field.max_length,
            },
        )
    });
    let has_hint = field.hint.is_some() || length_hint.is_some();
    let mut described_by = Vec::new();
    if has_hint {
        described_by.push(hint_id.clone());
    }
    if error.is_some() {
        described_by.push(error_id.clone());
    }
    let described_by = (!described_by.is_empty()).then(|| described_by.join(" "));
    let (input_type, autocomplete) = match field.kind {
        FieldKind::Email => ("email", Some("email")),
        FieldKind::Text | FieldKind::Textarea => ("text", None),
    };
    html! {
        div class=(if error.is_some() { "field field--error" } else { "field" }) {
            label for=(id) {
                (field.label.get(lang))
                @if !field.required { " " span class="optional" { (t(lang, Msg::Optional)) } }
            }
            @if has_hint {
                p class="hint" id=(hint_id) {
                    @if let Some(hint) = &field.hint { (hint.get(lang)) " " }
                    @if let Some(length) = &length_hint { (length) }
                }
            }
            @if let Some(error) = &error {
                p class="error-message" id=(error_id) {
                    span class="visually-hidden" { (t(lang, Msg::ErrorTitlePrefix)) ": " }
                    (error)
                }
            }
            @match field.kind {
                FieldKind::Textarea => {
                    textarea id=(id) name=(field.id) rows="8"
                        aria-describedby=[described_by.as_deref()]
                        aria-required=[field.required.then_some("true")]
                        aria-invalid=[error.as_ref().map(|_| "true")] { (value) }
                }
                FieldKind::Text | FieldKind::Email => {
                    input id=(id) name=(field.id) type=(input_type) value=(value)
                        autocomplete=[autocomplete]
                        spellcheck=[(field.kind == FieldKind::Email).then_some("false")]
                        aria-describedby=[described_by.as_deref()]
                        aria-required=[field.required.then_some("true")]
                        aria-invalid=[error.as_ref().map(|_| "true")];
                }
            }
        }
    }
}

pub fn receipt_page(form: &Form, lang: Lang, reference: &str, received: Timestamp) -> Markup {
    let path = format!("/skjema/{}", form.id);
    let title = t(lang, Msg::ReceiptTitle);
    let main = html! {
        div class="panel" {
            h1 { (title) }
            p class="reference" {
                (t(lang, Msg::ReceiptReference)) ": "
                strong { (reference) }
            }
        }
        p { (t(lang, Msg::ReceiptLead)) }
        p { (t(lang, Msg::ReceiptKeep)) }
        dl {
            dt { (t(lang, Msg::ReceiptReceived)) }
            dd { (received.display_nb()) }
        }
        p { a href={ (path) "?lang=" (lang.tag()) } { (t(lang, Msg::ReceiptAgain)) } }
    };
    layout(lang, &title, false, &path, main)
}

/// A page with a heading and a message, for errors outside a form.
pub fn message_page(lang: Lang, title: &str, body: &str, back: Option<&str>, path: &str) -> Markup {
    let main = html! {
        h1 { (title) }
        p { (body) }
        @if let Some(back) = back {
            p { a href={ (back) "?lang=" (lang.tag()) } { (t(lang, Msg::BackToForm)) } }
        }
    };
    layout(lang, title, false, path, main)
}

/// The front page: every form.
pub fn index_page<'a>(lang: Lang, forms: impl Iterator<Item = &'a Form>) -> Markup {
    let title = t(lang, Msg::Municipality);
    let main = html! {
        h1 { (title) }
        ul class="form-list" {
            @for form in forms {
                li {
                    a href={ "/skjema/" (form.id) "?lang=" (lang.tag()) } { (form.title.get(lang)) }
                    @if let Some(description) = &form.description {
                        p { (description.get(lang)) }
                    }
                }
            }
        }
    };
    layout(lang, &title, false, "/", main)
}

/// The one stylesheet, served from `/static/forms.css`.
pub const STYLESHEET: &str = include_str!("forms.css");
