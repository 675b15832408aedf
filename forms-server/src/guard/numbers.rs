//! Numbers in free text that identify a person or their money: identity numbers
//! (fødselsnummer, D-, H- and synthetic numbers), bank account numbers and payment
//! card numbers, each only when its check digits hold.
//!
//! A number may be typed in groups ("010190 12345", "010190-12345", "0101.90.12345",
//! "5476 2745 8060 9936"). The text is read once into runs of digit groups joined by a
//! single space, dot or dash; any stretch of whole groups in a run with the right count
//! of digits is a candidate. A group longer than the number is never cut, so an
//! identity number inside a longer KID or invoice number is not one.

/// What a number in the text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    IdNumber,
    /// A bank account or payment card number.
    Financial,
}

/// The runs of digit groups in `text`: each run is the lengths and digits of its groups.
fn runs(text: &str) -> Vec<Vec<Vec<u8>>> {
    let mut runs = Vec::new();
    let mut groups: Vec<Vec<u8>> = Vec::new();
    let mut group: Vec<u8> = Vec::new();
    // A separator seen after the current group, waiting for a digit to join on.
    let mut pending_separator = false;
    let mut previous_alphanumeric = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(d) = c.to_digit(10).filter(|_| c.is_ascii_digit()) {
            if group.is_empty() && groups.is_empty() && previous_alphanumeric {
                // Digits glued to letters ("A12345678901") are a code, not a number.
                group.push(u8::MAX);
            }
            if pending_separator {
                groups.push(std::mem::take(&mut group));
                pending_separator = false;
            }
            group.push(d as u8);
            previous_alphanumeric = true;
            continue;
        }
        let separator = matches!(c, ' ' | '.' | '-' | '\u{a0}' | '\u{2009}' | '\u{202f}');
        let next_is_digit = chars.peek().is_some_and(char::is_ascii_digit);
        if !group.is_empty() && separator && next_is_digit && !pending_separator {
            pending_separator = true;
            continue;
        }
        if !group.is_empty() {
            groups.push(std::mem::take(&mut group));
        }
        if !groups.is_empty() {
            runs.push(std::mem::take(&mut groups));
        }
        pending_separator = false;
        previous_alphanumeric = c.is_alphanumeric();
    }
    if !group.is_empty() {
        groups.push(group);
    }
    if !groups.is_empty() {
        runs.push(groups);
    }
    // A run glued to letters is marked by a leading u8::MAX in its first group.
    runs.retain(|run| run.first().and_then(|g| g.first()) != Some(&u8::MAX));
    runs
}

/// Every stretch of whole groups in `run` holding `min..=max` digits, with the lengths
/// of its groups.
fn stretches(run: &[Vec<u8>], min: usize, max: usize) -> Vec<(Vec<u8>, Vec<usize>)> {
    let mut found = Vec::new();
    for start in 0..run.len() {
        let mut digits = Vec::new();
        let mut lengths = Vec::new();
        for group in &run[start..] {
            digits.extend_from_slice(group);
            lengths.push(group.len());
            if digits.len() > max {
                break;
            }
            if digits.len() >= min {
                found.push((digits.clone(), lengths.clone()));
            }
        }
    }
    found
}

fn is_identity_number(digits: &[u8]) -> bool {
    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    crate::schema::values::national_id(&text, true).is_ok()
}

/// Modulus 11 with weights 5 4 3 2 7 6 5 4 3 2 over the first ten digits.
fn is_account_number(digits: &[u8]) -> bool {
    const WEIGHTS: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    if digits.len() != 11 {
        return false;
    }
    let sum: u32 = digits[..10]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    let control = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        k => k,
    };
    u32::from(digits[10]) == control
}

/// The Luhn check of payment cards (and of many KID numbers: see [`find`]).
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The sensitive numbers in `text`. `money_context`: the text speaks of an account or a
/// card, which lets an account number or card number typed without the usual
/// grouping count (KID numbers also pass these checks, and are not sensitive).
pub fn find(text: &str, money_context: bool) -> Vec<NumberKind> {
    let mut found = Vec::new();
    for run in runs(text) {
        for (digits, lengths) in stretches(&run, 11, 11) {
            // Some numbers pass both checks (the 2032 rule widened the identity
            // numbers); where the text speaks of money, such a number is an account.
            let account = is_account_number(&digits);
            if account && (lengths == [4, 2, 5] || money_context) {
                found.push(NumberKind::Financial);
            } else if is_identity_number(&digits) {
                found.push(NumberKind::IdNumber);
            }
        }
        for (digits, lengths) in stretches(&run, 13, 19) {
            let card_groups =
                lengths.len() >= 3 && lengths[..lengths.len() - 1].iter().all(|l| *l == 4);
            if luhn(&digits) && (card_groups || (money_context && lengths.len() == 1)) {
                found.push(NumberKind::Financial);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<NumberKind> {
        find(text, false)
    }

    #[test]
    fn identity_numbers_in_every_grouping() {
        for text in [
            "fnr 17819010188",
            "fnr 178190 10188",
            "fnr 178190-10188",
            "fnr 178190.10188",
            "fnr 17.81.90 10188",
            "fnr 178190\u{a0}10188.",
            "(17819010188)",
            "D-nummer 46068018838",
            "H-nr 274735.08546",
            "syntetisk 209090 90084",
            "nummer: 17819010188, og",
        ] {
            assert_eq!(kinds(text), vec![NumberKind::IdNumber], "{text}");
        }
    }

    #[test]
    fn wrong_check_digits_and_other_long_numbers_pass() {
        for text in [
            "fnr 17819010189",
            "KID 988520292474353",
            "KID 68185255",
            "faktura 90010188027",
            "saksnummer 2023/04512-7",
            "tlf +47 979 17 222",
            "telefon 91234567",
            "org.nr. 855990539",
            "gnr. 14 bnr. 3",
            "referanse 17085847170",
            "kode A17819010188",
            "KID 1781901018811",
        ] {
            assert!(kinds(text).is_empty(), "{text}: {:?}", kinds(text));
        }
    }

    #[test]
    fn account_and_card_numbers() {
        assert_eq!(kinds("konto 6012.38.62824"), vec![NumberKind::Financial]);
        assert_eq!(
            kinds("kort 5476 2745 8060 9936"),
            vec![NumberKind::Financial]
        );
        // Ungrouped, only where the text speaks of an account or a card.
        assert!(kinds("nr 60123862824").is_empty());
        assert_eq!(
            find("my account 60123862824", true),
            vec![NumberKind::Financial]
        );
        // Valid both as an account and (by the 2032 rule) as an identity number.
        assert_eq!(kinds("nr 12068247932"), vec![NumberKind::IdNumber]);
        assert_eq!(
            find("account 12068247932", true),
            vec![NumberKind::Financial]
        );
        assert!(kinds("6012.38.62825").is_empty(), "a wrong check digit");
    }

    #[test]
    fn numbers_side_by_side_are_each_found() {
        let text = "Fødselsnumrene er 070308.74557 og 02082379218.";
        assert_eq!(
            kinds(text),
            vec![NumberKind::IdNumber, NumberKind::IdNumber]
        );
    }
}
