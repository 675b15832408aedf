//! The citizen's pages, rendered on the server as plain HTML.
//!
//! No JavaScript and no inline styles (the CSP forbids both). Accessibility follows
//! WCAG 2.1 AA the way public-sector design systems do it: a skip link, one `h1`, a
//! label for every input, hints and errors tied to their input with
//! `aria-describedby`, an error summary first in the main content that takes focus
//! and links to each field, and "Feil:" in the page title when something is wrong.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use maud::{DOCTYPE, Markup, html};

use crate::clock::{Date, Timestamp};
use crate::config::Site;
use crate::i18n::{Lang, Msg, t};
use crate::schema::answers::{Checked, FieldError, Problem, RawAnswers, RawFile, RawValue};
use crate::schema::values::safe_file_name;
use crate::schema::{Auth, ChoiceDisplay, Condition, Field, FieldKind, Form, Prefill};

/// The page's address in each language, for the language switch.
fn lang_href(path: &str, lang: Lang) -> String {
    format!("{path}?lang={}", lang.tag())
}

/// A logged-in citizen, as the header shows them: a link to their submissions and a
/// logout button (a POST carrying the CSRF token).
#[derive(Clone, Copy)]
pub struct Account<'a> {
    pub csrf: &'a str,
}

/// The link to "Mine innsendinger".
fn my_submissions_link(lang: Lang) -> Markup {
    html! {
        a href={ "/mine-innsendinger?lang=" (lang.tag()) } { (t(lang, Msg::MySubmissions)) }
    }
}

/// The municipality's name as the pages give it.
fn site_name(site: &Site, lang: Lang) -> String {
    site.name
        .clone()
        .unwrap_or_else(|| t(lang, Msg::Municipality))
}

/// The frame around every page.
pub fn layout(
    lang: Lang,
    site: &Site,
    title: &str,
    has_errors: bool,
    path: &str,
    account: Option<Account<'_>>,
    main: Markup,
) -> Markup {
    let name = site_name(site, lang);
    let titled = if title == name {
        name.clone()
    } else {
        format!("{title} – {name}")
    };
    let full_title = if has_errors {
        format!("{}: {titled}", t(lang, Msg::ErrorTitlePrefix))
    } else {
        titled
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
                    p class="site-name" { a href={ "/?lang=" (lang.tag()) } { (name) } }
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
                    @if let Some(account) = account {
                        div class="account" {
                            (my_submissions_link(lang))
                            form method="post" action={ "/utlogging?lang=" (lang.tag()) } {
                                input type="hidden" name="_csrf" value=(account.csrf);
                                button type="submit" class="link-button" { (t(lang, Msg::LogOut)) }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" { (main) }
                @if let Some(statement) = &site.accessibility_statement {
                    footer class="site-footer" {
                        p { a href=(statement) { (t(lang, Msg::AccessibilityStatement)) } }
                    }
                }
            }
        }
    }
}

/// One page of a form as the citizen sees it.
pub struct FormView<'a> {
    pub form: &'a Form,
    pub lang: Lang,
    pub csrf: &'a str,
    /// The citizen's answers so far, as sent: shown on this page, carried in hidden
    /// inputs for the others.
    pub raw: &'a RawAnswers,
    /// What the answers so far make of the form (valid answers, pages shown).
    pub checked: &'a Checked,
    /// The page shown.
    pub page: usize,
    /// Problems to show on this page.
    pub errors: &'a [FieldError],
    /// A message about the whole submission (expired page, server trouble).
    pub notice: Option<String>,
    /// Items of each repeating group to show.
    pub item_counts: &'a BTreeMap<String, usize>,
    /// Today, for the bounds of date inputs.
    pub today: Date,
    /// The paper version: every field, nothing carried.
    pub print: bool,
    /// Where the citizen stands with login, for this form.
    pub login: LoginView,
    /// Whether a citizen is logged in (the header then offers logout).
    pub signed_in: bool,
    /// Who the pages speak for.
    pub site: &'a Site,
}

/// Login as a form page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginView {
    /// The form is open to anyone and offers nothing for logging in.
    NotNeeded,
    /// The form needs login, and this server has none configured.
    Unavailable,
    /// Login is optional and would fill in details.
    Offered,
    /// Logged in; `krr_missing` when KRR gave no contact details.
    In { krr_missing: bool },
}

/// The `id` of an answer's input: `field-children-0-name`.
pub fn field_dom_id(name: &str) -> String {
    format!("field-{}", name.replace('.', "-"))
}

/// The label of an answer: `Barn 2: Fornavn` inside a group.
fn answer_label(form: &Form, name: &str, lang: Lang) -> String {
    let mut parts = name.split('.');
    let top = parts.next().and_then(|id| form.field(id));
    match (top, parts.next(), form.field_at(name)) {
        (Some(group), Some(n), Some(field)) => {
            let n = n.parse::<usize>().unwrap_or(0) + 1;
            match &group.kind {
                FieldKind::Group { item_label, .. } => {
                    format!("{} {n}: {}", item_label.get(lang), field.label.get(lang))
                }
                _ => field.label.get(lang).to_string(),
            }
        }
        (_, _, Some(field)) => field.label.get(lang).to_string(),
        _ => String::new(),
    }
}

/// The message for one answer's problem, in the citizen's language.
pub fn problem_text(lang: Lang, form: &Form, error: &FieldError) -> String {
    let label = answer_label(form, &error.field, lang);
    let label = label.as_str();
    let field = form.field_at(&error.field);
    let msg = match &error.problem {
        Problem::Required => match field.map(|f| &f.kind) {
            Some(FieldKind::Choice { .. } | FieldKind::MultiChoice { .. }) => {
                Msg::ChooseRequired { label }
            }
            Some(FieldKind::Attachment { .. }) => Msg::FileRequired { label },
            Some(FieldKind::Group { item_label, .. }) => {
                return t(
                    lang,
                    Msg::TooFewItems {
                        label: item_label.get(lang),
                        min: 1,
                    },
                );
            }
            _ => Msg::Required { label },
        },
        Problem::NotText => Msg::Required { label },
        Problem::TooLong { max, len } => Msg::TooLong {
            label,
            max: *max,
            len: *len,
        },
        Problem::TooShort { min, len } => Msg::TooShort {
            label,
            min: *min,
            len: *len,
        },
        Problem::Pattern => match field.map(|f| &f.kind) {
            Some(FieldKind::Text {
                pattern: Some(p), ..
            }) => return p.message.get(lang).to_string(),
            _ => Msg::Required { label },
        },
        Problem::InvalidEmail => Msg::InvalidEmail,
        Problem::InvalidPhone => Msg::InvalidPhone,
        Problem::InvalidNationalId => Msg::InvalidNationalId,
        Problem::SyntheticNationalId => Msg::SyntheticNationalId,
        Problem::InvalidOrgNumber => Msg::InvalidOrgNumber,
        Problem::InvalidPostcode => Msg::InvalidPostcode,
        Problem::InvalidDate => Msg::InvalidDate { label },
        Problem::DateTooEarly { min } => {
            return t(
                lang,
                Msg::DateTooEarly {
                    label,
                    min: &min.display_nb(),
                },
            );
        }
        Problem::DateTooLate { max } => {
            return t(
                lang,
                Msg::DateTooLate {
                    label,
                    max: &max.display_nb(),
                },
            );
        }
        Problem::InvalidNumber => Msg::InvalidNumber { label },
        Problem::TooManyDecimals { max } => Msg::TooManyDecimals { label, max: *max },
        Problem::NumberTooSmall { min } => {
            return t(
                lang,
                Msg::NumberTooSmall {
                    label,
                    min: &number_text(*min),
                },
            );
        }
        Problem::NumberTooLarge { max } => {
            return t(
                lang,
                Msg::NumberTooLarge {
                    label,
                    max: &number_text(*max),
                },
            );
        }
        Problem::NotAfter { other } => {
            let other = form
                .field(other)
                .map(|f| f.label.get(lang).to_string())
                .unwrap_or_else(|| answer_label(form, other, lang));
            return t(
                lang,
                Msg::NotAfter {
                    label,
                    other: &other,
                },
            );
        }
        Problem::InvalidChoice => Msg::ChooseRequired { label },
        Problem::TooFewChoices { min } => Msg::TooFewChoices { label, min: *min },
        Problem::TooManyChoices { max } => Msg::TooManyChoices { label, max: *max },
        Problem::ConsentRequired => Msg::ConsentRequired { label },
        Problem::FileTooLarge { max } => Msg::FileTooLarge {
            label,
            max_mb: max.div_ceil(1_000_000),
        },
        Problem::TooManyFiles { max } => Msg::TooManyFiles { label, max: *max },
        Problem::FileType => {
            let types = match field.map(|f| &f.kind) {
                Some(FieldKind::Attachment { accept, .. }) => file_types(accept),
                _ => String::new(),
            };
            return t(
                lang,
                Msg::FileType {
                    label,
                    types: &types,
                },
            );
        }
        Problem::EmptyFile => Msg::EmptyFile { label },
        Problem::ControlCharacter => Msg::ControlCharacter { label },
        Problem::TooFewItems { min } => Msg::TooFewItems { label, min: *min },
        Problem::TooManyItems { max } => Msg::TooManyItems { label, max: *max },
        Problem::Repeated | Problem::Unknown => Msg::UnknownFields,
        Problem::Sensitive { kinds } => {
            let names: Vec<String> = kinds
                .iter()
                .map(|k| t(lang, Msg::SensitiveKind(*k)))
                .collect();
            let joined = match lang {
                Lang::En => names.join(" and "),
                Lang::Nb | Lang::Nn => names.join(" og "),
            };
            return t(
                lang,
                Msg::Sensitive {
                    label,
                    kinds: &joined,
                },
            );
        }
    };
    t(lang, msg)
}

/// `1234.5` as Norwegians write it: `1234,5`.
/// The file types an attachment takes, for citizens: `JPEG, PNG, HEIC`.
fn file_types(accept: &[crate::schema::values::FileType]) -> String {
    accept
        .iter()
        .map(|t| t.name().to_uppercase())
        .collect::<Vec<_>>()
        .join(", ")
}

fn number_text(n: f64) -> String {
    let text = if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        n.to_string()
    };
    text.replace('.', ",")
}

/// The error summary: every problem, each linking to its answer's input.
fn error_summary(lang: Lang, form: &Form, errors: &[FieldError], notice: Option<&str>) -> Markup {
    let sensitive = errors
        .iter()
        .any(|e| matches!(e.problem, Problem::Sensitive { .. }));
    let mut items: Vec<(Option<String>, String)> = Vec::new();
    for error in errors {
        let text = problem_text(lang, form, error);
        let target = form
            .field_at(&error.field)
            .map(|_| field_dom_id(&error.field));
        if !items.iter().any(|(_, t)| *t == text) {
            items.push((target, text));
        }
    }
    let lead = html! {
        @if let Some(notice) = notice { p { (notice) } }
        @if sensitive {
            p { (t(lang, Msg::SensitiveWhere)) }
            @if let Some(secure) = &form.secure_form {
                p { a href={ "/skjema/" (secure) "?lang=" (lang.tag()) } { (t(lang, Msg::SecureFormLink)) } }
            }
        }
    };
    error_summary_box(lang, lead, &items)
}

/// The error summary at the top of a page: it takes focus, and lists each problem
/// (text), as a link to its field (`#id`) where there is one, after `lead`.
fn error_summary_box(lang: Lang, lead: Markup, items: &[(Option<String>, String)]) -> Markup {
    html! {
        div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus {
            h2 id="error-summary-title" { (t(lang, Msg::ErrorSummaryTitle)) }
            (lead)
            @if !items.is_empty() {
                ul {
                    @for (target, text) in items {
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
}

/// A problem next to its field, `id` for the field's `aria-describedby`.
fn error_message(lang: Lang, id: &str, text: &str) -> Markup {
    html! {
        p class="error-message" id=(id) {
            span class="visually-hidden" { (t(lang, Msg::ErrorTitlePrefix)) ": " }
            (text)
        }
    }
}

/// Hidden inputs carrying every answer not on the page shown, so that a form in several
/// steps needs no server-side draft: nothing is stored before the citizen sends.
fn carried(raw: &RawAnswers, keep: impl Fn(&str) -> bool) -> Markup {
    html! {
        @for (name, value) in &raw.0 {
            @if keep(name) {
                @match value {
                    RawValue::Text(text) => { input type="hidden" name=(name) value=(text); }
                    RawValue::File(file) => { input type="hidden" name={ (CARRY_PREFIX) (name) } value=(encode_carried_file(file)); }
                    RawValue::Json(text) => { input type="hidden" name=(name) value=(text); }
                    RawValue::NotText => {}
                }
            }
        }
    }
}

/// Hidden inputs that carry an uploaded file between pages are named `_file.NAME`.
pub const CARRY_PREFIX: &str = "_file.";

/// `base64(name):base64(content)`.
pub fn encode_carried_file(file: &RawFile) -> String {
    format!(
        "{}:{}",
        STANDARD.encode(file.name.as_bytes()),
        STANDARD.encode(&file.bytes)
    )
}

pub fn decode_carried_file(text: &str) -> Option<RawFile> {
    let (name, data) = text.split_once(':')?;
    Some(RawFile {
        name: String::from_utf8(STANDARD.decode(name).ok()?).ok()?,
        bytes: STANDARD.decode(data).ok()?,
    })
}

fn form_action(form: &Form, lang: Lang) -> String {
    format!("/skjema/{}?lang={}", form.id, lang.tag())
}

/// The `<form>` element with the CSRF token, carried answers and `content`.
fn form_element(view: &FormView<'_>, keep: impl Fn(&str) -> bool, content: Markup) -> Markup {
    let enctype = if view.form.has_attachments() {
        "multipart/form-data"
    } else {
        "application/x-www-form-urlencoded"
    };
    html! {
        form method="post" action=(form_action(view.form, view.lang)) novalidate accept-charset="utf-8" enctype=(enctype) {
            input type="hidden" name="_csrf" value=(view.csrf);
            @for (group, count) in view.item_counts {
                input type="hidden" name={ "_items." (group) } value=(count);
            }
            (carried(view.raw, keep))
            (content)
        }
    }
}

/// A page of the form.
pub fn form_page(view: &FormView<'_>) -> Markup {
    let form = view.form;
    let lang = view.lang;
    let path = format!("/skjema/{}", form.id);
    let title = form.title.get(lang);
    let page = &form.pages[view.page.min(form.pages.len() - 1)];
    let page_title = page.title.as_ref().map(|t| t.get(lang));
    let has_errors = !view.errors.is_empty() || view.notice.is_some();
    let shown = &view.checked.shown_pages;
    let step = shown
        .iter()
        .position(|p| *p == view.page)
        .map_or(1, |i| i + 1);
    let on_page = |name: &str| {
        let top = name.split('.').next().unwrap_or_default();
        page.fields.iter().any(|f| f.id == top)
    };
    let is_first = shown.first().is_none_or(|p| *p >= view.page);
    let multi = form.is_multi_page();
    let main = html! {
        @if has_errors { (error_summary(lang, form, view.errors, view.notice.as_deref())) }
        @if multi {
            p class="step" { (t(lang, Msg::Step { n: step, of: shown.len().max(step) })) }
            h1 { span class="caption" { (title) } (page_title.unwrap_or(title)) }
        } @else {
            h1 { (title) }
        }
        @if let Some(description) = form.description.as_ref().filter(|_| is_first) {
            p class="lead" { (description.get(lang)) }
        }
        (login_notice(view, is_first))
        (form_element(view, |name| !on_page(name), html! {
            input type="hidden" name="_page" value=(view.page);
            @for field in &page.fields {
                (field_markup(view, field, field.id.as_str(), None))
            }
            div class="actions" {
                @if multi {
                    button type="submit" class="button" name="_action" value="next" { (t(lang, Msg::Continue)) }
                    @if !is_first {
                        button type="submit" class="button button--secondary" name="_action" value="back" { (t(lang, Msg::Back)) }
                    }
                } @else {
                    button type="submit" class="button" name="_action" value="send" { (t(lang, Msg::Send)) }
                }
            }
        }))
        (privacy_link(form, lang))
        p class="print-link" { a href={ (path) "/utskrift?lang=" (lang.tag()) } { (t(lang, Msg::PrintVersion)) } }
    };
    let full_title = match page_title {
        Some(p) if multi => format!("{p} – {title}"),
        _ => title.to_string(),
    };
    layout(
        lang,
        view.site,
        &full_title,
        has_errors,
        &path,
        view.account(),
        main,
    )
}

impl FormView<'_> {
    fn account(&self) -> Option<Account<'_>> {
        self.signed_in.then_some(Account { csrf: self.csrf })
    }
}

/// What a form page says about login: that it is not set up, an offer to log in for
/// prefill, or (on the first page) what was prefilled and, behind login, how long the
/// session waits and that nothing typed is lost when it ends.
fn login_notice(view: &FormView<'_>, first_page: bool) -> Markup {
    let lang = view.lang;
    let form = view.form;
    let prefills = form.fields().any(|f| f.prefill.is_some());
    let needs_login = !matches!(form.auth, Auth::None | Auth::Optional);
    html! {
        @match view.login {
            LoginView::NotNeeded => {}
            LoginView::Unavailable => p class="notice" { (t(lang, Msg::LoginUnavailable)) },
            LoginView::Offered => p class="notice" {
                a href={ "/innlogging?skjema=" (form.id) "&lang=" (lang.tag()) } { (t(lang, Msg::LoginOffer)) }
            },
            LoginView::In { krr_missing } if first_page && (prefills || needs_login) => div class="notice" {
                @if prefills {
                    p { (t(lang, Msg::LoggedIn)) " " (t(lang, Msg::Prefilled)) }
                    @if krr_missing { p { (t(lang, Msg::KrrMissing)) } }
                }
                @if needs_login {
                    p { (t(lang, Msg::SessionLimit { minutes: crate::auth::session::IDLE_MS / 60_000 })) }
                }
            },
            LoginView::In { .. } => {}
        }
    }
}

/// Whether the field is shown now: its condition holds on the answers so far, or it
/// reads an answer on the same page (then it is shown with a note, as pages work
/// without JavaScript).
fn shown_now(view: &FormView<'_>, field: &Field, page_fields: &[Field]) -> (bool, bool) {
    let Some(condition) = &field.show_if else {
        return (true, false);
    };
    if view.print {
        return (true, true);
    }
    let same_page = condition
        .fields()
        .iter()
        .any(|f| page_fields.iter().any(|p| p.id == *f));
    if same_page {
        (true, true)
    } else {
        (view.checked.answers.holds(condition), false)
    }
}

/// A note for a field whose condition reads answers on its own page.
fn condition_note(form: &Form, condition: &Condition, lang: Lang) -> String {
    if let Condition::Equals { field, value } = condition
        && let Some(other) = form.field(field)
    {
        let answer = other
            .kind
            .options()
            .iter()
            .find(|o| o.value == *value)
            .map(|o| o.label.get(lang).to_string())
            .unwrap_or_else(|| value.clone());
        return t(
            lang,
            Msg::OnlyIf {
                label: other.label.get(lang),
                answer: &answer,
            },
        );
    }
    t(lang, Msg::OnlyIfApplies)
}

fn field_markup(
    view: &FormView<'_>,
    field: &Field,
    name: &str,
    item_fields: Option<&[Field]>,
) -> Markup {
    let form = view.form;
    let lang = view.lang;
    let page_fields = item_fields.unwrap_or_else(|| {
        form.page_of(name)
            .map(|p| form.pages[p].fields.as_slice())
            .unwrap_or_default()
    });
    let (shown, conditional) = shown_now(view, field, page_fields);
    if !shown {
        return html! {};
    }
    let note = conditional
        .then(|| {
            field
                .show_if
                .as_ref()
                .map(|c| condition_note(form, c, lang))
        })
        .flatten();
    let id = field_dom_id(name);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let error = view
        .errors
        .iter()
        .find(|e| e.field == name)
        .map(|e| problem_text(lang, form, e));
    let value = view.raw.text(name).unwrap_or_default();
    let required = field.must_answer() || field.required_if.is_some();
    let extra_hint = match &field.kind {
        FieldKind::Textarea { max_length, .. } => {
            Some(t(lang, Msg::CharactersMax { max: *max_length }))
        }
        FieldKind::Date { .. } => Some(t(lang, Msg::DateHint)),
        FieldKind::NationalId => Some(t(lang, Msg::NationalIdHint)),
        FieldKind::OrgNumber => Some(t(lang, Msg::OrgNumberHint)),
        FieldKind::Attachment {
            accept,
            max_bytes,
            max_files,
        } => Some(t(
            lang,
            Msg::FileHint {
                types: &file_types(accept),
                max_mb: max_bytes.div_ceil(1_000_000),
                max_files: *max_files,
            },
        )),
        _ => None,
    };
    let has_hint = field.hint.is_some() || extra_hint.is_some() || note.is_some();
    let mut described: Vec<String> = Vec::new();
    if has_hint {
        described.push(hint_id.clone());
    }
    if error.is_some() {
        described.push(error_id.clone());
    }
    let described_by = (!described.is_empty()).then(|| described.join(" "));
    let invalid = error.as_ref().map(|_| "true");
    let class = if error.is_some() {
        "field field--error"
    } else {
        "field"
    };
    let label_text = html! {
        (field.label.get(lang))
        @if !required { " " span class="optional" { (t(lang, Msg::Optional)) } }
    };
    let hint = html! {
        @if has_hint {
            p class="hint" id=(hint_id) {
                @if let Some(note) = &note { (note) " " }
                @if let Some(hint) = &field.hint { (hint.get(lang)) " " }
                @if let Some(extra) = &extra_hint { (extra) }
            }
        }
    };
    let error_markup = html! {
        @if let Some(error) = &error { (error_message(lang, &error_id, error)) }
    };
    let text_input = |input_type: &str, inputmode: Option<&str>, class_name: &str| {
        html! {
            input id=(id) name=(name) type=(input_type) value=(value) class=(class_name)
                inputmode=[inputmode]
                autocomplete=[field.autocomplete.as_deref()]
                spellcheck=[matches!(field.kind, FieldKind::Email | FieldKind::NationalId | FieldKind::OrgNumber | FieldKind::Phone { .. }).then_some("false")]
                aria-describedby=[described_by.as_deref()]
                aria-required=[required.then_some("true")]
                aria-invalid=[invalid];
        }
    };
    // The usual frame: a label above, then hint, error and the control.
    let labelled = |control: Markup| {
        html! {
            div class=(class) {
                label for=(id) { (label_text) }
                (hint) (error_markup)
                (control)
            }
        }
    };
    match &field.kind {
        FieldKind::Info { text } => html! {
            div class="info" {
                @if !field.label.nb.is_empty() { h2 { (field.label.get(lang)) } }
                @for paragraph in text.get(lang).split("\n\n") { p { (paragraph) } }
            }
        },
        FieldKind::Choice {
            options,
            display: ChoiceDisplay::Select,
        } => labelled(html! {
            select id=(id) name=(name)
                aria-describedby=[described_by.as_deref()]
                aria-required=[required.then_some("true")]
                aria-invalid=[invalid] {
                option value="" { (t(lang, Msg::ChooseOne)) }
                @for option in options {
                    option value=(option.value) selected[value == option.value] { (option.label.get(lang)) }
                }
            }
        }),
        FieldKind::Choice { options, .. } | FieldKind::MultiChoice { options, .. } => {
            let multi = matches!(field.kind, FieldKind::MultiChoice { .. });
            let chosen: Vec<&str> = view.raw.texts(name).collect();
            html! {
                div class=(class) {
                    fieldset aria-describedby=[described_by.as_deref()] {
                        legend { (label_text) }
                        (hint) (error_markup)
                        div class=(if multi { "checkboxes" } else { "radios" }) {
                            @for (i, option) in options.iter().enumerate() {
                                @let option_id = if i == 0 { id.clone() } else { format!("{id}-{i}") };
                                div class="choice" {
                                    input id=(option_id) name=(name) type=(if multi { "checkbox" } else { "radio" })
                                        value=(option.value) checked[chosen.contains(&option.value.as_str())]
                                        aria-invalid=[invalid];
                                    label for=(option_id) { (option.label.get(lang)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        FieldKind::Consent => html! {
            div class=(class) {
                (hint) (error_markup)
                div class="choice" {
                    input id=(id) name=(name) type="checkbox" value="true"
                        checked[!value.is_empty()]
                        aria-describedby=[described_by.as_deref()]
                        aria-required="true"
                        aria-invalid=[invalid];
                    label for=(id) { (field.label.get(lang)) }
                }
            }
        },
        FieldKind::Textarea { .. } => labelled(html! {
            textarea id=(id) name=(name) rows="8"
                aria-describedby=[described_by.as_deref()]
                aria-required=[required.then_some("true")]
                aria-invalid=[invalid] { (value) }
        }),
        FieldKind::Attachment {
            accept, max_files, ..
        } => {
            let files: Vec<&RawFile> = view.raw.files(name).collect();
            let accept_attr = accept
                .iter()
                .map(|t| t.mime())
                .collect::<Vec<_>>()
                .join(",");
            labelled(html! {
                @if !files.is_empty() {
                    p class="uploaded" {
                        (t(lang, Msg::FilesKept)) " "
                        @for (i, file) in files.iter().enumerate() {
                            @if i > 0 { ", " }
                            strong { (safe_file_name(&file.name)) }
                        }
                    }
                }
                input id=(id) name=(name) type="file" accept=(accept_attr) multiple[*max_files > 1]
                    aria-describedby=[described_by.as_deref()]
                    aria-required=[required.then_some("true")]
                    aria-invalid=[invalid];
            })
        }
        FieldKind::Group {
            fields,
            min_items,
            max_items,
            item_label,
        } => {
            let count = view
                .item_counts
                .get(&field.id)
                .copied()
                .unwrap_or(1)
                .clamp((*min_items).max(1), *max_items);
            html! {
                div class=(class) id=(id) {
                    h2 { (field.label.get(lang)) }
                    (hint) (error_markup)
                    @for n in 0..count {
                        fieldset class="group-item" {
                            legend { (item_label.get(lang)) " " (n + 1) }
                            @for sub in fields {
                                (field_markup(view, sub, &format!("{}.{n}.{}", field.id, sub.id), Some(fields)))
                            }
                            @if count > (*min_items).max(1) {
                                button type="submit" class="button button--secondary" name="_action" value={ "remove:" (field.id) ":" (n) } {
                                    (t(lang, Msg::RemoveItem { item: &format!("{} {}", item_label.get(lang), n + 1) }))
                                }
                            }
                        }
                    }
                    @if count < *max_items {
                        button type="submit" class="button button--secondary" name="_action" value={ "add:" (field.id) } {
                            (t(lang, Msg::AddItem { item: &item_label.get(lang).to_lowercase() }))
                        }
                    }
                }
            }
        }
        FieldKind::Date { min, max } => {
            let today = view.today;
            labelled(html! {
                input id=(id) name=(name) type="date" value=(value) class="input--date"
                    min=[min.map(|b| b.resolve(today).to_string())]
                    max=[max.map(|b| b.resolve(today).to_string())]
                    autocomplete=[field.autocomplete.as_deref()]
                    aria-describedby=[described_by.as_deref()]
                    aria-required=[required.then_some("true")]
                    aria-invalid=[invalid];
            })
        }
        FieldKind::Number { unit, decimals, .. } => labelled(html! {
            div class="with-unit" {
                (text_input("text", Some(if *decimals == 0 { "numeric" } else { "decimal" }), "input--short"))
                @if let Some(unit) = unit { span class="unit" { (unit.get(lang)) } }
            }
        }),
        FieldKind::Text { .. }
        | FieldKind::Email
        | FieldKind::Phone { .. }
        | FieldKind::NationalId
        | FieldKind::OrgNumber
        | FieldKind::Postcode => {
            let (input_type, inputmode, class_name) = match &field.kind {
                FieldKind::Email => ("email", None, "input--wide"),
                FieldKind::Phone { .. } => ("tel", None, "input--medium"),
                FieldKind::NationalId | FieldKind::OrgNumber => {
                    ("text", Some("numeric"), "input--medium")
                }
                FieldKind::Postcode => ("text", Some("numeric"), "input--short"),
                _ => ("text", None, "input--wide"),
            };
            labelled(text_input(input_type, inputmode, class_name))
        }
    }
}

/// "Se over før du sender": every answer by page, each with a button to change it.
pub fn summary_page(view: &FormView<'_>) -> Markup {
    let form = view.form;
    let lang = view.lang;
    let path = format!("/skjema/{}", form.id);
    let title = t(lang, Msg::SummaryTitle);
    let has_errors = view.notice.is_some();
    let main = html! {
        @if has_errors { (error_summary(lang, form, &[], view.notice.as_deref())) }
        h1 { span class="caption" { (form.title.get(lang)) } (title) }
        @if view.login == LoginView::Unavailable { p class="notice" { (t(lang, Msg::LoginUnavailable)) } }
        (form_element(view, |_| true, html! {
            input type="hidden" name="_page" value="summary";
            (answers_by_page(form, lang, view.checked, AnswersOn::Summary))
            h2 { (t(lang, Msg::SendNow)) }
            p { (t(lang, Msg::SendNowLead)) }
            div class="actions" {
                button type="submit" class="button" name="_action" value="send" { (t(lang, Msg::Send)) }
            }
        }))
    };
    layout(
        lang,
        view.site,
        &format!("{title} – {}", form.title.get(lang)),
        has_errors,
        &path,
        view.account(),
        main,
    )
}

/// Where [`answers_by_page`] lists the answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AnswersOn {
    /// "Se over før du sender": page headings at level 2, each page with a button to
    /// change it.
    Summary,
    /// The copy on the receipt, under its own heading: page headings at level 3.
    Receipt,
}

/// The answers, under a heading a page (a page without a title has none).
fn answers_by_page(form: &Form, lang: Lang, checked: &Checked, on: AnswersOn) -> Markup {
    let readable = form.readable(&checked.answers, lang);
    html! {
        @for page_index in &checked.shown_pages {
            @let page = &form.pages[*page_index];
            @let page_title = page.title.as_ref().map(|t| t.get(lang)).unwrap_or_default();
            @let rows: Vec<_> = readable.iter().filter(|r| form.page_of(&r.field) == Some(*page_index)).collect();
            @if !page_title.is_empty() {
                @match on {
                    AnswersOn::Summary => h2 { (page_title) },
                    AnswersOn::Receipt => h3 { (page_title) },
                }
            }
            @if rows.is_empty() {
                p { (t(lang, Msg::NothingAnswered)) }
            } @else {
                dl class="summary" {
                    @for row in &rows {
                        div class="summary-row" {
                            dt { (row.label) }
                            dd { @for line in row.value.lines() { (line) br; } }
                        }
                    }
                }
            }
            @if on == AnswersOn::Summary {
                button type="submit" class="button button--secondary" name="_action" value={ "goto:" (page_index) } {
                    (t(lang, Msg::Change)) span class="visually-hidden" { " " (page_title) }
                }
            }
        }
    }
}

/// Every page and field of a form on one sheet, for those who send on paper.
pub fn print_page(form: &Form, lang: Lang, site: &Site, today: Date) -> Markup {
    let path = format!("/skjema/{}/utskrift", form.id);
    let title = form.title.get(lang);
    let raw = RawAnswers::default();
    let checked = Checked {
        shown_pages: (0..form.pages.len()).collect(),
        ..Checked::default()
    };
    let mut counts = BTreeMap::new();
    for field in form.fields() {
        if let FieldKind::Group {
            min_items,
            max_items,
            ..
        } = &field.kind
        {
            counts.insert(field.id.clone(), (*min_items).max(2).min(*max_items));
        }
    }
    let view = FormView {
        form,
        lang,
        csrf: "",
        raw: &raw,
        checked: &checked,
        page: 0,
        errors: &[],
        notice: None,
        item_counts: &counts,
        today,
        print: true,
        login: LoginView::NotNeeded,
        signed_in: false,
        site,
    };
    let main = html! {
        h1 { (title) }
        @if let Some(description) = &form.description { p class="lead" { (description.get(lang)) } }
        p class="print-instructions" { (t(lang, Msg::PrintInstructions)) }
        div class="print-form" {
            @for page in &form.pages {
                @if let Some(page_title) = &page.title { h2 { (page_title.get(lang)) } }
                @for field in &page.fields {
                    (field_markup(&view, field, &field.id, None))
                }
            }
        }
    };
    layout(
        lang,
        site,
        &format!("{title} ({})", t(lang, Msg::PrintVersion)),
        false,
        &path,
        None,
        main,
    )
}

fn privacy_link(form: &Form, lang: Lang) -> Markup {
    html! {
        p class="privacy-link" {
            a href={ "/skjema/" (form.id) "/personvern?lang=" (lang.tag()) } { (t(lang, Msg::PrivacyLink)) }
        }
    }
}

/// What a privacy page needs from the catalog beside its form.
pub struct PrivacyContext<'a> {
    /// The names of the queues the form may route to.
    pub queues: Vec<&'a str>,
    /// The forms with which citizens exercise their rights, as (id, title).
    pub request_forms: Vec<(&'a str, &'a str)>,
    /// Whether submissions are counted by network address (the hourly limit).
    pub counts_addresses: bool,
    /// Whether the server sends mail (receipts to logged-in citizens among it).
    pub sends_mail: bool,
}

/// What the citizen is told about the processing of a form's answers (GDPR article 13):
/// the schema's purpose and legal basis, and what the server itself knows of the rest
/// (who reads them, login, prefill, retention, where to exercise the rights).
pub fn privacy_page(form: &Form, lang: Lang, site: &Site, context: &PrivacyContext<'_>) -> Markup {
    let queues = &context.queues[..];
    let path = format!("/skjema/{}/personvern", form.id);
    let title = t(
        lang,
        Msg::PrivacyTitle {
            form: form.title.get(lang),
        },
    );
    let readers = match queues {
        [] => String::new(),
        [one] => one.to_string(),
        [first @ .., last] => format!("{} {} {last}", first.join(", "), t(lang, Msg::Or)),
    };
    let krr = form
        .fields()
        .any(|f| matches!(f.prefill, Some(Prefill::KrrEmail | Prefill::KrrMobile)));
    let keeping = match &form.retention_required_by {
        Some(law) => t(lang, Msg::PrivacyRetentionLaw { law }),
        None => t(lang, Msg::PrivacyRetentionErasable),
    };
    let main = html! {
        h1 { (title) }
        p class="lead" { (t(lang, Msg::PrivacyController { name: &site_name(site, lang) })) }
        @if let Some(contact) = &site.privacy_contact {
            p {
                (t(lang, Msg::PrivacyContact)) " "
                @if contact.starts_with("https://") {
                    a href=(contact) { (contact) }
                } @else {
                    a href={ "mailto:" (contact) } { (contact) }
                }
                "."
            }
        }
        h2 { (t(lang, Msg::PrivacyPurpose)) }
        p { (form.privacy.purpose.get(lang)) }
        h2 { (t(lang, Msg::PrivacyLegalBasis)) }
        p { (form.privacy.legal_basis.get(lang)) }
        h2 { (t(lang, Msg::PrivacyReaders)) }
        @if form.subscription.is_some() {
            p { (t(lang, Msg::PrivacySubscriptionReaders { queues: &readers })) }
        } @else {
            p { (t(lang, Msg::PrivacyReadersBody { queues: &readers })) }
        }
        @if form.auth == Auth::None {
            p { (t(lang, Msg::PrivacyNoLogin)) }
        } @else {
            p { (t(lang, Msg::PrivacyLogin)) }
        }
        @if krr { p { (t(lang, Msg::PrivacyKrr)) } }
        @if context.sends_mail && form.auth != Auth::None
            && form.fields().any(|f| matches!(f.kind, FieldKind::Email))
        {
            p { (t(lang, Msg::PrivacyReceiptMail)) }
        }
        @if context.counts_addresses { p { (t(lang, Msg::PrivacyAddress)) } }
        h2 { (t(lang, Msg::PrivacyRetention)) }
        @if form.subscription.is_some() {
            p {
                (t(lang, Msg::PrivacySubscriptionRetention {
                    hours: crate::newsletter::CONFIRM_HOURS,
                    months: form.retention_months,
                }))
            }
        } @else {
            p {
                (t(lang, Msg::PrivacyRetentionBody { months: form.retention_months }))
                " " (keeping)
            }
        }
        h2 { (t(lang, Msg::PrivacyRights)) }
        p { (t(lang, Msg::PrivacyRightsBody)) }
        @if !context.request_forms.is_empty() {
            p { (t(lang, Msg::PrivacyRequestForms)) }
            ul {
                @for (id, title) in &context.request_forms {
                    li { a href={ "/skjema/" (id) "?lang=" (lang.tag()) } { (title) } }
                }
            }
        }
        @if form.auth != Auth::None {
            p {
                (t(lang, Msg::PrivacyMine)) " "
                (my_submissions_link(lang)) "."
            }
        }
        p {
            (t(lang, Msg::PrivacyComplaint)) " "
            a href="https://www.datatilsynet.no/" { (t(lang, Msg::DataProtectionAuthority)) } "."
        }
        p { a href={ "/skjema/" (form.id) "?lang=" (lang.tag()) } { (t(lang, Msg::BackToForm)) } }
    };
    layout(lang, site, &title, false, &path, None, main)
}

/// The receipt: the reference, and a copy of what was sent for the citizen to keep,
/// since once sealed the answers cannot be shown to them again.
pub fn receipt_page(
    form: &Form,
    lang: Lang,
    site: &Site,
    receipt: &crate::submission::Receipt,
    account: Option<Account<'_>>,
) -> Markup {
    let crate::submission::Receipt {
        reference,
        received_at: received,
        sent,
        mailed,
    } = receipt;
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
        @if let Some(text) = &form.receipt { p { (text.get(lang)) } }
        p { (t(lang, Msg::ReceiptKeep)) }
        @if *mailed { p { (t(lang, Msg::ReceiptMailed)) } }
        dl {
            dt { (t(lang, Msg::ReceiptReceived)) }
            dd { (received.display_nb()) }
        }
        p { a href={ (path) "?lang=" (lang.tag()) } { (t(lang, Msg::ReceiptAgain)) } }
        @if account.is_some() {
            p { (my_submissions_link(lang)) }
        }
        (privacy_link(form, lang))
        section class="sent-copy" aria-labelledby="sent-copy-title" {
            h2 id="sent-copy-title" { (t(lang, Msg::ReceiptCopyTitle)) }
            p { (t(lang, Msg::ReceiptCopyLead)) }
            (answers_by_page(form, lang, sent, AnswersOn::Receipt))
        }
    };
    layout(lang, site, &title, false, &path, account, main)
}

/// A page with a heading and a message, for errors outside a form.
pub fn message_page(
    lang: Lang,
    site: &Site,
    title: &str,
    body: &str,
    back: Option<&str>,
    path: &str,
) -> Markup {
    let main = html! {
        h1 { (title) }
        p { (body) }
        @if let Some(back) = back {
            p { a href={ (back) "?lang=" (lang.tag()) } { (t(lang, Msg::BackToForm)) } }
        }
    };
    layout(lang, site, title, false, path, None, main)
}

/// The front page: every form.
pub fn index_page<'a>(
    lang: Lang,
    site: &Site,
    forms: impl Iterator<Item = &'a Form>,
    account: Option<Account<'_>>,
) -> Markup {
    let title = site_name(site, lang);
    let main = html! {
        h1 { (title) }
        ul class="form-list" {
            @for form in forms {
                li {
                    a href={ "/skjema/" (form.id) "?lang=" (lang.tag()) } { (form.title.get(lang)) }
                    @if form.auth.requires_login() { " " span class="tag" { "(" (t(lang, Msg::NeedsLogin)) ")" } }
                    @if let Some(description) = &form.description {
                        p { (description.get(lang)) }
                    }
                }
            }
        }
    };
    layout(lang, site, &title, false, "/", account, main)
}

/// One line of "Mine innsendinger".
pub struct SentRow<'a> {
    pub form_title: &'a str,
    pub received: Timestamp,
    pub reference: &'a str,
    pub status: crate::store::Status,
    /// The law that still requires keeping it, if any: then it cannot be erased.
    pub kept: Option<crate::privacy::KeptByLaw>,
}

/// The address of the page of one of the citizen's submissions.
pub fn submission_href(reference: &str, lang: Lang) -> String {
    format!("/mine-innsendinger/{reference}?lang={}", lang.tag())
}

/// Who did something with a citizen's submission, as its history shows them.
pub enum Actor {
    /// The citizen themself.
    You,
    /// A caseworker, by name where the server knows it.
    Caseworker(Option<String>),
    /// The municipality's own routines (retention, an administrator).
    Municipality,
}

/// A line of a submission's history.
pub struct HistoryLine {
    pub at: Timestamp,
    pub action: &'static str,
    pub actor: Actor,
}

/// One of the citizen's submissions: what it is, when it is deleted, and what has been
/// done with it (from the audit log).
pub fn submission_page(
    lang: Lang,
    site: &Site,
    row: &SentRow<'_>,
    retain_until: Timestamp,
    history: &[HistoryLine],
    path: &str,
    account: Account<'_>,
) -> Markup {
    let title = row.form_title;
    let deletion = match &row.kept {
        Some(kept) => kept_text(lang, kept, |law, until| Msg::KeptUntil { law, until }),
        None => t(
            lang,
            Msg::DeletedOn {
                day: &retain_until.norwegian_day().display_nb(),
            },
        ),
    };
    let main = html! {
        h1 { (title) }
        dl class="facts" {
            dt { (t(lang, Msg::ColumnReference)) }
            dd class="reference-cell" { (row.reference) }
            dt { (t(lang, Msg::ColumnReceived)) }
            dd { (row.received.display_nb()) }
            dt { (t(lang, Msg::ColumnStatus)) }
            dd { (status_text(lang, row.status)) }
            dt { (t(lang, Msg::ColumnErase)) }
            dd {
                (deletion)
                @if row.kept.is_none() {
                    " · "
                    a href=(erase_href(row.reference, lang)) { (t(lang, Msg::EraseLink)) }
                }
            }
        }
        h2 { (t(lang, Msg::HistoryHeading)) }
        p { (t(lang, Msg::HistoryLead)) }
        table class="submissions" {
            (table_head(lang, &t(lang, Msg::HistoryHeading), [Msg::ColumnTime, Msg::ColumnWhat, Msg::ColumnWho]))
            tbody {
                @for line in history {
                    tr {
                        td { (line.at.display_nb()) }
                        td { (t(lang, Msg::Event(line.action))) }
                        td {
                            @match &line.actor {
                                Actor::You => (t(lang, Msg::ByYou)),
                                Actor::Caseworker(Some(name)) => (t(lang, Msg::ByCaseworker { name })),
                                Actor::Caseworker(None) => (t(lang, Msg::ByUnnamedCaseworker)),
                                Actor::Municipality => (t(lang, Msg::ByMunicipality)),
                            }
                        }
                    }
                }
            }
        }
        p { a href=(lang_href("/mine-innsendinger", lang)) { (t(lang, Msg::BackToMySubmissions)) } }
    };
    layout(lang, site, title, false, path, Some(account), main)
}

/// A table's caption, for screen readers, and its column headings.
fn table_head<'m>(lang: Lang, caption: &str, columns: impl IntoIterator<Item = Msg<'m>>) -> Markup {
    html! {
        caption class="visually-hidden" { (caption) }
        thead {
            tr {
                @for column in columns {
                    th scope="col" { (t(lang, column)) }
                }
            }
        }
    }
}

/// A status as the citizen reads it.
fn status_text(lang: Lang, status: crate::store::Status) -> String {
    match status {
        crate::store::Status::New => t(lang, Msg::StatusNew),
        crate::store::Status::InProgress => t(lang, Msg::StatusInProgress),
        crate::store::Status::Done => t(lang, Msg::StatusDone),
    }
}

/// The address of a submission's erasure page.
pub fn erase_href(reference: &str, lang: Lang) -> String {
    format!("/mine-innsendinger/{reference}/slett?lang={}", lang.tag())
}

/// The text that says which law keeps a submission, and until when.
fn kept_text(
    lang: Lang,
    kept: &crate::privacy::KeptByLaw,
    msg: for<'m> fn(&'m str, &'m str) -> Msg<'m>,
) -> String {
    let until = kept.until.norwegian_day().display_nb();
    t(lang, msg(&kept.law, &until))
}

/// "Mine innsendinger": what the citizen has sent while logged in, metadata only.
pub fn my_submissions_page(
    lang: Lang,
    site: &Site,
    rows: &[SentRow<'_>],
    account: Account<'_>,
) -> Markup {
    let title = t(lang, Msg::MySubmissions);
    let main = html! {
        h1 { (title) }
        p class="lead" { (t(lang, Msg::MySubmissionsLead)) }
        @if rows.is_empty() {
            p { (t(lang, Msg::MySubmissionsEmpty)) }
        } @else {
            table class="submissions" {
                (table_head(lang, &title, [
                    Msg::ColumnForm,
                    Msg::ColumnReceived,
                    Msg::ColumnReference,
                    Msg::ColumnStatus,
                    Msg::ColumnErase,
                ]))
                tbody {
                    @for row in rows {
                        tr {
                            td { (row.form_title) }
                            td { (row.received.display_nb()) }
                            td class="reference-cell" {
                                a href=(submission_href(row.reference, lang)) { (row.reference) }
                            }
                            td { (status_text(lang, row.status)) }
                            td {
                                @if let Some(kept) = &row.kept {
                                    (kept_text(lang, kept, |law, until| Msg::KeptUntil { law, until }))
                                } @else {
                                    a href=(erase_href(row.reference, lang)) {
                                        (t(lang, Msg::EraseLink))
                                        span class="visually-hidden" { " " (row.reference) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(
        lang,
        site,
        &title,
        false,
        "/mine-innsendinger",
        Some(account),
        main,
    )
}

/// A step of erasing one of the citizen's submissions.
pub enum Erasure<'a> {
    /// Asks before erasing; or says which law keeps it.
    Confirm(&'a SentRow<'a>),
    Erased {
        reference: &'a str,
    },
    /// Not among the citizen's submissions (or erased already).
    Missing,
}

/// The page of an erasure step, at `/mine-innsendinger/{reference}/slett`.
pub fn erase_page(
    lang: Lang,
    site: &Site,
    step: Erasure<'_>,
    path: &str,
    account: Account<'_>,
) -> Markup {
    let list = lang_href("/mine-innsendinger", lang);
    let (title, text) = match step {
        Erasure::Confirm(SentRow {
            kept: Some(kept), ..
        }) => (
            t(lang, Msg::KeptTitle),
            kept_text(lang, kept, |law, until| Msg::KeptBody { law, until }),
        ),
        Erasure::Confirm(row) => {
            let title = t(lang, Msg::EraseTitle);
            let lead = Msg::EraseLead {
                form: row.form_title,
                received: &row.received.display_nb(),
                reference: row.reference,
            };
            let main = html! {
                h1 { (title) }
                p { (t(lang, lead)) }
                form method="post" action=(erase_href(row.reference, lang)) {
                    input type="hidden" name="_csrf" value=(account.csrf);
                    div class="actions" {
                        button type="submit" class="button button--warning" { (t(lang, Msg::EraseConfirm)) }
                        " "
                        a href=(list) { (t(lang, Msg::EraseCancel)) }
                    }
                }
            };
            return layout(lang, site, &title, false, path, Some(account), main);
        }
        Erasure::Erased { reference } => (
            t(lang, Msg::ErasedTitle),
            t(lang, Msg::ErasedBody { reference }),
        ),
        Erasure::Missing => (t(lang, Msg::NotFoundTitle), t(lang, Msg::EraseMissingBody)),
    };
    let main = html! {
        h1 { (title) }
        p { (text) }
        p { a href=(list) { (t(lang, Msg::BackToMySubmissions)) } }
    };
    layout(lang, site, &title, false, path, Some(account), main)
}

/// The one stylesheet, served from `/static/forms.css`.
pub const STYLESHEET: &str = include_str!("forms.css");

/// After a newsletter sign-up: the confirmation is on its way to the address.
pub fn subscription_sent_page(form: &Form, lang: Lang, site: &Site) -> Markup {
    let title = t(lang, Msg::SubscriptionSentTitle);
    let main = html! {
        div class="panel" {
            h1 { (title) }
            p class="mail-sent" {
                (t(lang, Msg::SubscriptionSentBody { hours: crate::newsletter::CONFIRM_HOURS }))
            }
        }
        (privacy_link(form, lang))
    };
    layout(
        lang,
        site,
        &title,
        false,
        &format!("/skjema/{}", form.id),
        None,
        main,
    )
}

/// A form of one button that posts `handling` to `action` with the CSRF token.
fn handling_form(action: &str, csrf: &str, handling: &str, class: &str, label: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            input type="hidden" name="_csrf" value=(csrf);
            div class="actions" {
                button type="submit" class=(class) name="handling" value=(handling) { (label) }
            }
        }
    }
}

/// What a subscriber's page (`/nyhetsbrev/{token}`) shows.
pub enum SubscriberView<'a> {
    /// A sign-up awaiting confirmation: what it is for, and the button.
    Confirm { topics: &'a str },
    /// A confirmed subscription: its topics to change, and the way out.
    Manage {
        form: &'a Form,
        /// The address the newsletters go to.
        address: &'a str,
        chosen: &'a [String],
        /// The day it ends unless it is changed, in words.
        ends: &'a str,
        notice: Option<SubscriberNotice>,
    },
}

/// What the subscriber's last post did, at the top of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriberNotice {
    Confirmed,
    Saved,
    /// Saved with no topic ticked: refused.
    NoTopic,
}

/// The subscriber's own page: confirm a sign-up, or change topics and unsubscribe.
/// Every button posts back to `path` with the CSRF token.
pub fn subscriber_page(
    lang: Lang,
    site: &Site,
    view: SubscriberView<'_>,
    path: &str,
    csrf: &str,
) -> Markup {
    let action = lang_href(path, lang);
    let (title, has_errors, main) = match view {
        SubscriberView::Confirm { topics } => {
            let site_name = crate::newsletter::site_in_sentence(site.name.as_deref(), lang);
            let heading = t(lang, Msg::SubscriptionConfirmTitle);
            let main = html! {
                h1 { (heading) }
                p { (t(lang, Msg::SubscriptionConfirmLead { site: &site_name, topics })) }
                (handling_form(&action, csrf, "bekreft", "button", &t(lang, Msg::SubscriptionConfirmTitle)))
            };
            (heading, false, main)
        }
        SubscriberView::Manage {
            form,
            address,
            chosen,
            ends,
            notice,
        } => {
            let heading = t(lang, Msg::SubscriptionManageTitle);
            let options = crate::newsletter::topic_options(form);
            let refused = notice == Some(SubscriberNotice::NoTopic);
            let main = html! {
                @if refused {
                    (error_summary_box(lang, html! {}, &[(Some("tema".into()), t(lang, Msg::SubscriptionNoTopic))]))
                }
                h1 { (heading) }
                @match notice {
                    Some(SubscriberNotice::Confirmed) => div class="panel" role="status" {
                        p { (t(lang, Msg::SubscriptionConfirmedBody)) }
                    },
                    Some(SubscriberNotice::Saved) => div class="panel" role="status" {
                        p { (t(lang, Msg::SubscriptionSaved)) }
                    },
                    _ => {}
                }
                p { (t(lang, Msg::SubscriptionAddress)) " " strong { (address) } }
                p { (t(lang, Msg::SubscriptionEnds { day: ends })) }
                @if !options.is_empty() {
                    form method="post" action=(action) {
                        input type="hidden" name="_csrf" value=(csrf);
                        div class=(if refused { "field field--error" } else { "field" }) {
                            fieldset aria-describedby=[refused.then_some("tema-error")] {
                                legend { (t(lang, Msg::SubscriptionTopicsLegend)) }
                                @if refused {
                                    (error_message(lang, "tema-error", &t(lang, Msg::SubscriptionNoTopic)))
                                }
                                div class="checkboxes" {
                                    @for (i, option) in options.iter().enumerate() {
                                        @let id = if i == 0 { "tema".to_string() } else { format!("tema-{i}") };
                                        div class="choice" {
                                            input id=(id) name="tema" type="checkbox" value=(option.value)
                                                checked[!refused && chosen.contains(&option.value)]
                                                aria-invalid=[refused.then_some("true")];
                                            label for=(id) { (option.label.get(lang)) }
                                        }
                                    }
                                }
                            }
                        }
                        div class="actions" {
                            button type="submit" class="button" name="handling" value="lagre" {
                                (t(lang, Msg::SubscriptionSave))
                            }
                        }
                    }
                }
                h2 { (t(lang, Msg::SubscriptionEndTitle)) }
                p { (t(lang, Msg::SubscriptionEndLead)) }
                (handling_form(&action, csrf, "avmeld", "button button--warning", &t(lang, Msg::SubscriptionEndButton)))
            };
            (heading, refused, main)
        }
    };
    layout(lang, site, &title, has_errors, path, None, main)
}
