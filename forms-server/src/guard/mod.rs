//! The content guard: reads the free text of forms open to anyone and finds sensitive
//! personal data that belongs in a secure form behind login.
//!
//! Two readers: [`numbers`] finds identity, account and card numbers by their check
//! digits; [`words`] finds the words of health, the special categories, criminal
//! matters, child welfare and personal finances, from word files a municipality can
//! extend (`form-schemas/guard/*.yaml`). The guard says which kinds it found, never
//! what it matched.

pub mod numbers;
pub mod words;

use std::collections::BTreeSet;

use numbers::NumberKind;
use serde::Deserialize;

/// A kind of sensitive personal data, in the order of how specific it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    IdNumber,
    Health,
    SpecialCategory,
    Criminal,
    ChildWelfare,
    Financial,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::IdNumber,
        Kind::Health,
        Kind::SpecialCategory,
        Kind::Criminal,
        Kind::ChildWelfare,
        Kind::Financial,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::IdNumber => "id_number",
            Kind::Health => "health",
            Kind::SpecialCategory => "special_category",
            Kind::Criminal => "criminal",
            Kind::ChildWelfare => "child_welfare",
            Kind::Financial => "financial",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Whole words that make a number in the same text an account or card number when it
/// is typed without the usual grouping.
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

/// The guard, with its words loaded.
pub struct Guard {
    words: words::Words,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Guard")
    }
}

impl Guard {
    pub fn new(words: words::Words) -> Guard {
        Guard { words }
    }

    /// The kinds of sensitive personal data in `text`.
    pub fn scan(&self, text: &str) -> BTreeSet<Kind> {
        let lower = text.to_lowercase();
        let money = lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| MONEY_WORDS.contains(&word));
        let mut kinds = self.words.kinds(&lower);
        for number in numbers::find(text, money) {
            kinds.insert(match number {
                NumberKind::IdNumber => Kind::IdNumber,
                NumberKind::Financial => Kind::Financial,
            });
        }
        kinds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../form-schemas/guard");
        Guard::new(words::Words::load_dir(&dir).unwrap())
    }

    fn assert_kind(guard: &Guard, kind: Kind, texts: &[&str]) {
        for text in texts {
            let found = guard.scan(text);
            assert!(
                found.contains(&kind),
                "{text}: found {found:?}, not {kind:?}"
            );
        }
    }

    #[test]
    fn each_kind_in_each_language() {
        let g = guard();
        assert_kind(
            &g,
            Kind::IdNumber,
            &["Fødselsnummeret til dottera er 178190 10188."],
        );
        assert_kind(
            &g,
            Kind::Health,
            &[
                "Sønnen min har nettopp fått ADHD-diagnosen.",
                "Eg er sjukemeld resten av veka.",
                "Kona mi har brystkreften tilbake.",
                "My husband has diabetes and needs help with his insulin.",
                "Jeg er gravid og trenger parkering nær inngangen.",
            ],
        );
        assert_kind(
            &g,
            Kind::SpecialCategory,
            &[
                "Vi er muslimer og ønsker halal mat.",
                "Eg er tillitsvald i fagforeininga.",
                "I am gay and want to join the council's youth board.",
            ],
        );
        assert_kind(
            &g,
            Kind::Criminal,
            &[
                "Broren min ble dømt for innbrudd i fjor.",
                "Han sit i fengsel til hausten.",
                "My son was arrested yesterday.",
            ],
        );
        assert_kind(
            &g,
            Kind::ChildWelfare,
            &[
                "Barnevernet har tatt kontakt om sønnen vår.",
                "Vi vil sende en bekymringsmelding om naboens barn.",
                "Child welfare services visited my daughter's school.",
            ],
        );
        assert_kind(
            &g,
            Kind::Financial,
            &[
                "Jeg mottar sosialhjelp og har betalingsanmerkning.",
                "Eg har fått inkassovarsel frå kommunen.",
                "Please pay the refund into account 6012.38.62824.",
                "We are behind on rent and have debts.",
            ],
        );
    }

    #[test]
    fn questions_about_services_pass() {
        let g = guard();
        for text in [
            "Når er helsestasjonen åpen i sommer?",
            "Kva er opningstidene til legevakta?",
            "Vi arrangerer loppemarked til inntekt for Kreftforeningen.",
            "Hva er telefonnummeret til barnevernet?",
            "Gjelder det nye gebyret også for hytter?",
            "Gjeld kokepåbodet framleis?",
            "Gatelyset blinker rødt ved gangstien.",
            "Where is the nearest nursing home?",
            "Can I pay the invoice with KID 988520292474353?",
            "Ring meg på +47 912 34 567 om byggesaken, saksnummer 2024/12345-3.",
            "Det var sykt mye folk i svømmehallen.",
            "Hvor lang er behandlingstiden for byggesøknader?",
            "CANARY-MSG-3ab5c8d9e0f1 is a code, nothing more.",
        ] {
            let found = g.scan(text);
            assert!(found.is_empty(), "{text}: refused for {found:?}");
        }
    }

    #[test]
    fn word_files_are_checked() {
        let broken = [
            (
                "personal: [MIN]\nkinds: { health: { strong: [kreft] } }",
                "lower case",
            ),
            (
                "personal: [min]\nkinds: { helse: { strong: [kreft] } }",
                "helse",
            ),
            (
                "personal: [min]\nkinds: { health: { strong: [\"\"] } }",
                "empty",
            ),
            (
                "personal: [min]\nkinds: { health: { strong: [kreft] }, criminal: { strong: [kreft] } }",
                "twice",
            ),
            ("personal: [min]\nkinds: {}\nextra: 1", "extra"),
        ];
        for (text, expected) in broken {
            let errors = match words::Words::parse(&[("x.yaml".into(), text.into())]) {
                Ok(_) => panic!("{text}: accepted"),
                Err(errors) => errors,
            };
            let all: Vec<String> = errors.iter().map(|e| e.0.clone()).collect();
            assert!(
                all.iter()
                    .any(|e| e.contains(expected) && e.starts_with("x.yaml")),
                "{text}: {all:?}"
            );
        }
    }

    /// No panic on any input, and no input that makes the work grow faster than its
    /// length: random text over an alphabet of digits, separators, letters of the
    /// word lists and Unicode oddities, and long runs built to stress each reader.
    #[test]
    fn any_text_is_read_without_panic() {
        let g = guard();
        let alphabet: Vec<char> = "0123456789 .-\u{a0}\u{2009}kreftangsADHæøåÅ\u{301}\u{200d}\u{202e}\u{feff}\0\n\t🙂ß\u{130}İ"
            .chars()
            .collect();
        let mut rng = crate::schema::answers::tests::Rng(0x6a7d);
        for _ in 0..20_000 {
            let len = rng.below(80);
            let text: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let _ = g.scan(&text);
        }
        for long in [
            "kreft".repeat(200_000),
            "1 ".repeat(500_000),
            "1".repeat(1_000_000),
            "17819010188 ".repeat(80_000),
            "a".repeat(1_000_000),
            "İ".repeat(300_000),
            format!("{}min", "ø".repeat(500_000)),
        ] {
            let _ = g.scan(&long);
        }
    }
}
