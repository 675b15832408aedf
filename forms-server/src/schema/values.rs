//! Checks for the values that Norwegian forms ask for: identity numbers, organisation
//! numbers, phone numbers, postcodes, decimal numbers, and attached files whose type is
//! read from their content.
//!
//! Each check is a pure function from the citizen's text to a normalised value or a
//! reason; nothing here knows about forms or pages.

/// Why an identity number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// Not 11 digits, no such date, or a control digit does not add up.
    Invalid,
    /// A synthetic test person's number where the configuration does not allow them.
    Synthetic,
}

/// The kinds of national identity number the checker tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Fodselsnummer,
    DNumber,
    /// Month + 40: the unofficial H-number of the health services.
    HNumber,
}

/// Weighted sum of `digits` with `weights`.
fn weighted(digits: &[u32], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| d * w).sum()
}

/// The modulus-11 control digit; `None` where the rule gives 10 (no valid number).
fn mod11(sum: u32) -> Option<u32> {
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

fn digits_of(text: &str, len: usize) -> Option<Vec<u32>> {
    let digits: Vec<u32> = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    (digits.len() == len).then_some(digits)
}

/// Checks a fødselsnummer or D-number: 11 digits, a real date (after the D, H and
/// synthetic offsets), the first control digit by the classic rule or the 2032 rule
/// (remainder 0 to 3), the second by the classic rule. Returns the digits without
/// spaces.
pub fn national_id(text: &str, allow_synthetic: bool) -> Result<(String, IdKind), IdError> {
    let d = digits_of(text, 11).ok_or(IdError::Invalid)?;
    const K1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
    const K2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    // k1: the weighted sum of the first nine digits plus k1 must leave a remainder of 0
    // modulo 11 (the classic rule) or, from 2032, 0 to 3.
    if (weighted(&d[..9], &K1) + d[9]) % 11 > 3 {
        return Err(IdError::Invalid);
    }
    if mod11(weighted(&d[..10], &K2)) != Some(d[10]) {
        return Err(IdError::Invalid);
    }
    let mut day = d[0] * 10 + d[1];
    let mut month = d[2] * 10 + d[3];
    let mut kind = IdKind::Fodselsnummer;
    let mut synthetic = false;
    if day > 40 {
        day -= 40;
        kind = IdKind::DNumber;
    }
    if month > 80 {
        month -= 80;
        synthetic = true;
    } else if month > 40 {
        month -= 40;
        kind = IdKind::HNumber;
    }
    let year = d[4] * 10 + d[5];
    // The century follows from the individual number, but any century gives the same
    // calendar except for 29 February in 1900 and 2000; allow it when any could.
    let leap_possible = year % 4 == 0;
    let max_day = match month {
        2 if leap_possible => 29,
        m => crate::clock::days_in_month(2001, m),
    };
    if day == 0 || day > max_day {
        return Err(IdError::Invalid);
    }
    if synthetic && !allow_synthetic {
        return Err(IdError::Synthetic);
    }
    let digits: String = d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
    Ok((digits, kind))
}

/// Checks a Norwegian organisation number: 9 digits, modulus 11 with weights
/// 3 2 7 6 5 4 3 2. Spaces are allowed when typed and removed.
pub fn org_number(text: &str) -> Option<String> {
    let d = digits_of(text, 9)?;
    (mod11(weighted(&d[..8], &[3, 2, 7, 6, 5, 4, 3, 2])) == Some(d[8]))
        .then(|| d.iter().map(|x| char::from(b'0' + *x as u8)).collect())
}

/// A Norwegian postcode: exactly four digits.
pub fn postcode(text: &str) -> Option<String> {
    let text = text.trim();
    (text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.to_string())
}

/// A phone number, normalised to E.164 (`+4791234567`). Norwegian numbers are eight
/// digits, with or without `+47` or `0047`; with `international`, any `+` or `00`
/// number of 7 to 15 digits is accepted too. Spaces, dashes and brackets are ignored.
pub fn phone(text: &str, international: bool) -> Option<String> {
    let compact: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{a0}'))
        .collect();
    let (plus, digits) = if let Some(rest) = compact.strip_prefix('+') {
        (true, rest)
    } else if let Some(rest) = compact.strip_prefix("00") {
        (true, rest)
    } else {
        (false, compact.as_str())
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let norwegian = |national: &str| {
        // Norwegian numbers never start with 0 or 1 (those are service prefixes).
        (national.len() == 8 && !national.starts_with(['0', '1'])).then(|| format!("+47{national}"))
    };
    if !plus {
        return norwegian(digits);
    }
    if let Some(national) = digits.strip_prefix("47")
        && national.len() == 8
    {
        return norwegian(national);
    }
    (international && (7..=15).contains(&digits.len()) && !digits.starts_with('0'))
        .then(|| format!("+{digits}"))
}

/// Why a number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    Invalid,
    TooManyDecimals,
}

/// Reads a decimal number as Norwegians and computers write it: `1 234,5`, `1234.5`,
/// `-3`. Returns the normalised text (`1234.5`) and its value.
pub fn decimal(text: &str, max_decimals: u32) -> Result<(String, f64), NumberError> {
    let compact: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .map(|c| if c == '\u{2212}' { '-' } else { c })
        .collect();
    let unsigned = compact.strip_prefix('-').unwrap_or(&compact);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) || whole.len() > 15 {
        return Err(NumberError::Invalid);
    }
    let fraction = fraction.map(|f| f.trim_end_matches('0')).unwrap_or("");
    if fraction.len() > max_decimals as usize {
        return Err(NumberError::TooManyDecimals);
    }
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let negative = compact.starts_with('-') && (whole != "0" || !fraction.is_empty());
    let normal = format!(
        "{}{whole}{}{fraction}",
        if negative { "-" } else { "" },
        if fraction.is_empty() { "" } else { "." }
    );
    let value = normal.parse::<f64>().map_err(|_| NumberError::Invalid)?;
    Ok((normal, value))
}

/// File types a form may accept; the type is read from the content, never the name.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
    Heic,
    Webp,
}

impl FileType {
    pub const ALL: [FileType; 5] = [
        FileType::Pdf,
        FileType::Jpeg,
        FileType::Png,
        FileType::Heic,
        FileType::Webp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpeg",
            FileType::Png => "png",
            FileType::Heic => "heic",
            FileType::Webp => "webp",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Heic => "image/heic",
            FileType::Webp => "image/webp",
        }
    }

    /// The extension a caseworker's copy is saved with.
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            other => other.name(),
        }
    }

    /// Reads the type from the first bytes of the content.
    pub fn sniff(bytes: &[u8]) -> Option<FileType> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileType::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(FileType::Webp)
        } else if bytes.len() >= 12
            && &bytes[4..8] == b"ftyp"
            && matches!(
                &bytes[8..12],
                b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc"
            )
        {
            Some(FileType::Heic)
        } else {
            None
        }
    }
}

/// A file name safe to show and to save: the last path segment, without control
/// characters or separators, at most 100 characters; `vedlegg` when nothing is left.
pub fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "vedlegg".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid number for a six-digit date: the first individual number whose classic
    /// control digits exist.
    fn number_for(date: &str) -> String {
        (100..1000)
            .find_map(|individual| with_controls(&format!("{date}{individual}")))
            .unwrap()
    }

    /// Computes both classic control digits for nine digits, for building test numbers.
    fn with_controls(nine: &str) -> Option<String> {
        let d: Vec<u32> = nine.chars().map(|c| c.to_digit(10).unwrap()).collect();
        let k1 = mod11(weighted(&d, &[3, 7, 6, 1, 8, 9, 4, 5, 2]))?;
        let mut ten = d.clone();
        ten.push(k1);
        let k2 = mod11(weighted(&ten, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]))?;
        Some(format!("{nine}{k1}{k2}"))
    }

    #[test]
    fn fodselsnummer_and_d_numbers() {
        // Known valid numbers from public test data.
        for ok in ["01010750160", "15076500565", "29029600013", "41018036736"] {
            assert!(national_id(ok, false).is_ok(), "{ok}");
        }
        assert_eq!(
            national_id("41018036736", false).unwrap().1,
            IdKind::DNumber
        );
        assert_eq!(national_id("010107 50160", false).unwrap().0, "01010750160");
        for bad in [
            "01010750161", // second control digit wrong
            "01010750150", // first control digit wrong
            "0101075016",  // ten digits
            "010107501600",
            "3201075016x",
            "",
            "32010750160", // 32 January
        ] {
            assert_eq!(
                national_id(bad, false).map(|_| ()),
                Err(IdError::Invalid),
                "{bad}"
            );
        }
        // 29 February only where the two-digit year can be a leap year.
        let leap = number_for("290200");
        assert!(national_id(&leap, false).is_ok(), "{leap}");
        let not_leap = number_for("290201");
        assert_eq!(
            national_id(&not_leap, false).map(|_| ()),
            Err(IdError::Invalid)
        );
    }

    #[test]
    fn the_2032_rule_accepts_remainders_up_to_three_for_the_first_control_digit() {
        // Build numbers whose first control digit leaves remainder 1, 2 and 3, with a
        // correct second control digit.
        let nine = "150765005";
        let d: Vec<u32> = nine.chars().map(|c| c.to_digit(10).unwrap()).collect();
        let sum = weighted(&d, &[3, 7, 6, 1, 8, 9, 4, 5, 2]);
        let mut found = 0;
        for remainder in 0..=4u32 {
            let Some(k1) = (0..10).find(|k| (sum + k) % 11 == remainder) else {
                continue;
            };
            let mut ten = d.clone();
            ten.push(k1);
            let Some(k2) = mod11(weighted(&ten, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2])) else {
                continue;
            };
            let number = format!("{nine}{k1}{k2}");
            let result = national_id(&number, false).map(|_| ());
            if remainder <= 3 {
                assert_eq!(result, Ok(()), "remainder {remainder}: {number}");
                found += 1;
            } else {
                assert_eq!(result, Err(IdError::Invalid), "remainder 4: {number}");
            }
        }
        assert!(found >= 3, "too few 2032 cases could be built");
    }

    #[test]
    fn synthetic_numbers_only_where_allowed() {
        // Month + 80: a synthetic test person (Tenor).
        let synthetic = number_for("018107");
        assert_eq!(
            national_id(&synthetic, false).map(|_| ()),
            Err(IdError::Synthetic)
        );
        assert!(national_id(&synthetic, true).is_ok());
        // A synthetic D-number.
        let synthetic_d = number_for("418107");
        assert_eq!(national_id(&synthetic_d, true).unwrap().1, IdKind::DNumber);
        // H-numbers: month + 40.
        let h = number_for("014107");
        assert_eq!(national_id(&h, false).unwrap().1, IdKind::HNumber);
    }

    #[test]
    fn organisation_numbers() {
        for ok in ["974760673", "923 609 016", "889640782"] {
            assert!(org_number(ok).is_some(), "{ok}");
        }
        for bad in ["974760674", "97476067", "9747606731", "abcdefghi", ""] {
            assert_eq!(org_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn postcodes_and_phones() {
        assert_eq!(postcode(" 0150 "), Some("0150".into()));
        for bad in ["150", "01500", "O150", ""] {
            assert_eq!(postcode(bad), None, "{bad}");
        }
        let cases = [
            ("912 34 567", false, Some("+4791234567")),
            ("+47 912 34 567", false, Some("+4791234567")),
            ("0047 91234567", false, Some("+4791234567")),
            ("22 33 44 55", false, Some("+4722334455")),
            ("+46 70 123 45 67", false, None),
            ("+46 70 123 45 67", true, Some("+46701234567")),
            ("12345678", true, None),
            ("9123456", false, None),
            ("+47 9123456", true, Some("+479123456")),
            ("phone", true, None),
            ("+", true, None),
        ];
        for (input, international, expected) in cases {
            assert_eq!(
                phone(input, international).as_deref(),
                expected,
                "{input} {international}"
            );
        }
    }

    #[test]
    fn decimals_in_norwegian_and_computer_notation() {
        let ok = [
            ("1 234,50", 2, "1234.5"),
            ("1234.5", 1, "1234.5"),
            ("-3", 0, "-3"),
            ("007", 0, "7"),
            ("-0,0", 0, "0"),
            ("\u{2212}2", 0, "-2"),
        ];
        for (input, decimals, expected) in ok {
            assert_eq!(decimal(input, decimals).unwrap().0, expected, "{input}");
        }
        assert_eq!(decimal("1,25", 1), Err(NumberError::TooManyDecimals));
        for bad in [
            "",
            "1,2,3",
            "abc",
            "1e5",
            "--1",
            ".5",
            "5.",
            "1 234 567 890 123 456",
        ] {
            assert_eq!(
                decimal(bad, 2).map(|_| ()),
                Err(NumberError::Invalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn file_types_come_from_the_content() {
        assert_eq!(FileType::sniff(b"%PDF-1.7\n..."), Some(FileType::Pdf));
        assert_eq!(
            FileType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0]),
            Some(FileType::Jpeg)
        );
        assert_eq!(
            FileType::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(FileType::Png)
        );
        assert_eq!(
            FileType::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(FileType::Webp)
        );
        assert_eq!(
            FileType::sniff(b"\0\0\0\x18ftypheic\0\0"),
            Some(FileType::Heic)
        );
        assert_eq!(FileType::sniff(b"MZ\x90\0 an executable"), None);
        assert_eq!(FileType::sniff(b"GIF89a"), None);
        assert_eq!(FileType::sniff(b""), None);
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_file_name("C:\\Users\\ola\\bilde.jpg"), "bilde.jpg");
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name(".hidden"), "hidden");
        assert_eq!(safe_file_name("a\u{0}b\nc.pdf"), "abc.pdf");
        assert_eq!(safe_file_name(""), "vedlegg");
        assert_eq!(safe_file_name("..."), "vedlegg");
    }
}
