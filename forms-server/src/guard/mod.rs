//! The content guard: reads the free text of forms open to anyone and finds sensitive
//! personal data that belongs in a secure form behind login.
//!
//! Built so far: [`numbers`], the identity, account and card numbers in a text, each
//! checked by its check digits. The word lists per language and the wiring into the
//! contact form follow.

pub mod numbers;

use numbers::NumberKind;

/// Whole words that make a number in the same text an account or card number when it
/// is typed without the usual grouping. (To move into the per-language word files.)
const MONEY_WORDS: &[&str] = &[
    "konto",
    "kontoen",
    "kontonummer",
    "kontonummeret",
    "kontonr",
    "bankkonto",
    "bankkontoen",
    "account",
    "kortnummer",
    "kortnummeret",
    "kortnr",
    "bankkort",
    "betalingskort",
    "kredittkort",
    "iban",
];

/// The kinds of sensitive number in `text`.
pub fn sensitive_numbers(text: &str) -> Vec<NumberKind> {
    let money = text
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| MONEY_WORDS.iter().any(|w| word.eq_ignore_ascii_case(w)));
    numbers::find(text, money)
}
