//! The guard's words: one file a language (`form-schemas/guard/*.yaml`), read into one
//! matcher, since a message may be written in any language whatever the page's.
//!
//! All words of all kinds go into one regular expression (the regex crate's automaton
//! reads the text once, in linear time); each match is then judged by where it stands in
//! its word, by the `ignore` list, and, for a weak word, by whether the text is about a
//! particular person.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use regex::Regex;
use serde::Deserialize;

use super::Kind;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WordFile {
    personal: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    kinds: BTreeMap<Kind, KindWords>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KindWords {
    #[serde(default)]
    strong: Vec<String>,
    #[serde(default)]
    weak: Vec<String>,
}

/// How a listed word must stand in the text.
#[derive(Debug, Clone, Copy)]
struct Term {
    kind: Kind,
    strong: bool,
    /// Only as a whole word (`=word`, or a word shorter than five letters, which may
    /// take a common ending).
    whole: bool,
    exact: bool,
}

/// The words of every language, ready to match.
pub struct Words {
    terms: Regex,
    by_text: HashMap<String, Term>,
    ignore: Option<Regex>,
    personal: Regex,
}

/// A mistake in a word file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordsError(pub String);

impl std::fmt::Display for WordsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

const MIN_COMPOUND: usize = 5;

/// The endings a short word may take: the common inflections of the three languages
/// ("ms" is found in "ms-en", never in "msg").
const ENDINGS: &[&str] = &[
    "", "e", "s", "a", "t", "en", "er", "et", "ar", "ne", "ene", "ane", "ens", "ets",
];

fn alternation(words: impl Iterator<Item = String>) -> String {
    let mut words: Vec<String> = words.collect();
    // Longest first, so that "brystkreft" wins over "kreft" at the same place.
    words.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    words.dedup();
    words
        .iter()
        .map(|w| regex::escape(w))
        .collect::<Vec<_>>()
        .join("|")
}

impl Words {
    /// Reads every `*.yaml` in `dir`.
    pub fn load_dir(dir: &Path) -> Result<Words, Vec<WordsError>> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| vec![WordsError(format!("{}: {e}", dir.display()))])?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        paths.sort();
        let mut files = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| vec![WordsError(format!("{}: {e}", path.display()))])?;
            files.push((path.display().to_string(), text));
        }
        Words::parse(&files)
    }

    /// Builds the matcher from `(name, text)` of each language's file.
    pub fn parse(files: &[(String, String)]) -> Result<Words, Vec<WordsError>> {
        let mut errors = Vec::new();
        let mut by_text: HashMap<String, Term> = HashMap::new();
        let mut personal = BTreeSet::new();
        let mut ignore = BTreeSet::new();
        let mut problems = Vec::new();
        for (name, text) in files {
            let file: WordFile = match serde_saphyr::from_str(text) {
                Ok(file) => file,
                Err(e) => {
                    errors.push(WordsError(format!("{name}: {e}")));
                    continue;
                }
            };
            let mut check = |word: &str, list: &str| match word_error(word) {
                Some(why) => {
                    problems.push(WordsError(format!("{name}: \"{word}\" in {list}: {why}")));
                    false
                }
                None => true,
            };
            for word in &file.personal {
                if check(word, "personal") {
                    personal.insert(word.clone());
                }
            }
            for word in &file.ignore {
                if check(word, "ignore") {
                    ignore.insert(word.clone());
                }
            }
            for (kind, words) in &file.kinds {
                let lists = [(&words.strong, true), (&words.weak, false)];
                for (list, strong) in lists {
                    for word in list {
                        if !check(word, kind.name()) {
                            continue;
                        }
                        let exact = word.starts_with('=');
                        let bare = word.trim_start_matches('=').to_string();
                        let term = Term {
                            kind: *kind,
                            strong,
                            whole: exact || bare.chars().count() < MIN_COMPOUND,
                            exact,
                        };
                        if let Some(old) = by_text.get(&bare)
                            && (old.kind != term.kind || old.strong != term.strong)
                        {
                            errors.push(WordsError(format!(
                                "{name}: \"{bare}\" is listed twice, as {} and as {}",
                                old.kind.name(),
                                kind.name()
                            )));
                        }
                        by_text.insert(bare, term);
                    }
                }
            }
        }
        errors.extend(problems);
        if by_text.is_empty() && errors.is_empty() {
            errors.push(WordsError(
                "no guard words: add form-schemas/guard/*.yaml".into(),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let build = |pattern: String| {
            Regex::new(&pattern).map_err(|e| vec![WordsError(format!("the guard words: {e}"))])
        };
        let terms = build(alternation(by_text.keys().cloned()))?;
        let ignore = if ignore.is_empty() {
            None
        } else {
            Some(build(alternation(ignore.into_iter()))?)
        };
        let personal = build(format!(r"\b(?:{})\b", alternation(personal.into_iter())))?;
        Ok(Words {
            terms,
            by_text,
            ignore,
            personal,
        })
    }

    /// The kinds the words of `lower` (the text in lower case) point to.
    pub fn kinds(&self, lower: &str) -> BTreeSet<Kind> {
        let mut found = BTreeSet::new();
        let mut about_someone: Option<bool> = None;
        let ignored: Vec<(usize, usize)> = match &self.ignore {
            Some(ignore) => ignore
                .find_iter(lower)
                .map(|m| (word_start(lower, m.start()), word_end(lower, m.end())))
                .collect(),
            None => Vec::new(),
        };
        for m in self.terms.find_iter(lower) {
            let Some(term) = self.by_text.get(m.as_str()) else {
                continue;
            };
            if found.contains(&term.kind) {
                continue;
            }
            let (start, end) = (word_start(lower, m.start()), word_end(lower, m.end()));
            if term.whole {
                let ending = &lower[m.end()..end];
                let fits = if term.exact {
                    ending.is_empty()
                } else {
                    ENDINGS.contains(&ending)
                };
                if start != m.start() || !fits {
                    continue;
                }
            }
            if ignored
                .iter()
                .any(|(s, e)| *s <= m.start() && m.end() <= *e)
            {
                continue;
            }
            if !term.strong {
                let someone = *about_someone.get_or_insert_with(|| self.personal.is_match(lower));
                if !someone {
                    continue;
                }
            }
            found.insert(term.kind);
        }
        found
    }
}

/// What is wrong with a listed word, if anything.
fn word_error(word: &str) -> Option<&'static str> {
    let bare = word.strip_prefix('=').unwrap_or(word);
    if bare.trim().is_empty() || bare != bare.trim() {
        Some("empty, or spaces around it")
    } else if bare != bare.to_lowercase() {
        Some("write words in lower case")
    } else {
        None
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// No word is longer than this; looking further for a word's edge would make a long
/// run of letters cost time in proportion to its square.
const LONGEST_WORD: usize = 64;

/// Where the word holding byte `at` starts (at most [`LONGEST_WORD`] characters back).
fn word_start(text: &str, at: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .take(LONGEST_WORD)
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(at, |(i, _)| i)
}

/// Where the word holding byte `at` ends (at most [`LONGEST_WORD`] characters on).
fn word_end(text: &str, at: usize) -> usize {
    text[at..]
        .char_indices()
        .take(LONGEST_WORD)
        .find(|(_, c)| !is_word_char(*c))
        .map_or_else(|| (at + LONGEST_WORD * 4).min(text.len()), |(i, _)| at + i)
}
