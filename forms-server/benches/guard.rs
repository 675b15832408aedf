//! The content guard against a labelled corpus (`LABEL<TAB>TEXT`), and its speed.
//!
//!     cargo bench -p forms-server --bench guard [-- CORPUS.tsv]
//!
//! Default corpus: ../shared/guard-corpus/dev.tsv beside the checkout; the words come
//! from form-schemas/guard/. Prints per kind precision and recall, recall over all
//! sensitive lines, the share of `none` lines refused (each miss and false refusal is
//! listed above the figures), then the guard's speed on one core in MB/s.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use forms_server::guard::words::Words;
use forms_server::guard::{Guard, Kind};

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| a.ends_with(".tsv"))
        .unwrap_or_else(|| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/guard-corpus/dev.tsv"
            )
            .into()
        });
    let words_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../form-schemas/guard");
    let words = Words::load_dir(Path::new(words_dir)).unwrap_or_else(|e| panic!("{e:?}"));
    let guard = Guard::new(words);
    let corpus = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let lines: Vec<(&str, &str)> = corpus.lines().filter_map(|l| l.split_once('\t')).collect();

    // (labelled, found among them, found in all lines, right when found)
    let mut per_kind: BTreeMap<Kind, (u32, u32, u32, u32)> = BTreeMap::new();
    let (mut sensitive, mut caught, mut none, mut refused) = (0u32, 0u32, 0u32, 0u32);
    for (label, text) in &lines {
        let found = guard.scan(text);
        for kind in &found {
            let entry = per_kind.entry(*kind).or_default();
            entry.2 += 1;
            if Kind::from_name(label) == Some(*kind) {
                entry.3 += 1;
            }
        }
        match Kind::from_name(label) {
            Some(kind) => {
                sensitive += 1;
                let entry = per_kind.entry(kind).or_default();
                entry.0 += 1;
                if found.contains(&kind) {
                    entry.1 += 1;
                }
                if found.is_empty() {
                    println!("missed ({label}): {text}");
                } else {
                    caught += 1;
                }
            }
            None => {
                none += 1;
                if !found.is_empty() {
                    refused += 1;
                    let kinds: Vec<&str> = found.iter().map(|k| k.name()).collect();
                    println!("refused ({}): {text}", kinds.join(","));
                }
            }
        }
    }
    println!();
    println!("{:<18} {:>9} {:>9}", "kind", "precision", "recall");
    for (kind, (labelled, found_of, found_all, right)) in &per_kind {
        println!(
            "{:<18} {:>9.3} {:>9.3}   ({right}/{found_all} right, {found_of}/{labelled} found)",
            kind.name(),
            *right as f64 / (*found_all).max(1) as f64,
            *found_of as f64 / (*labelled).max(1) as f64,
        );
    }
    println!(
        "all sensitive lines: recall {:.3} ({caught}/{sensitive}); none lines refused {:.3} ({refused}/{none})",
        caught as f64 / sensitive.max(1) as f64,
        refused as f64 / none.max(1) as f64,
    );

    // Speed: the corpus again and again, about 64 MB, on this one thread.
    let mut text = String::new();
    while text.len() < 64 << 20 {
        for (_, line) in &lines {
            text.push_str(line);
            text.push('\n');
        }
    }
    let chunks: Vec<&str> = text.split_inclusive('\n').collect();
    let started = Instant::now();
    let mut hits = 0usize;
    for chunk in &chunks {
        hits += guard.scan(chunk).len();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "speed: {:.1} MB/s on one core, message by message ({} MB, {hits} kinds found)",
        text.len() as f64 / 1e6 / seconds,
        text.len() >> 20
    );
}
