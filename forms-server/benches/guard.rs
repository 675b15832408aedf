//! The content guard against the labelled development corpus (`LABEL<TAB>TEXT`).
//!
//!     cargo bench -p forms-server --bench guard [-- CORPUS.tsv]
//!
//! Default corpus: ../shared/guard-corpus/dev.tsv beside the checkout. Prints, for the
//! identity numbers found so far, recall on the `id_number` lines and how many `none`
//! lines would be refused.

use forms_server::guard::numbers::NumberKind;

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
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (mut ids, mut ids_found, mut none, mut none_refused) = (0, 0, 0, 0);
    for line in text.lines() {
        let Some((label, message)) = line.split_once('\t') else {
            continue;
        };
        let found = forms_server::guard::sensitive_numbers(message);
        match label {
            "id_number" => {
                ids += 1;
                if found.contains(&NumberKind::IdNumber) {
                    ids_found += 1;
                } else {
                    println!("missed: {message}");
                }
            }
            "none" => {
                none += 1;
                if !found.is_empty() {
                    none_refused += 1;
                    println!("refused: {message}");
                }
            }
            _ => {}
        }
    }
    println!(
        "id_number recall {:.3} ({ids_found}/{ids}); none refused {:.3} ({none_refused}/{none})",
        ids_found as f64 / ids.max(1) as f64,
        none_refused as f64 / none.max(1) as f64
    );
}
