//! The citizen's language: bokmål by default, nynorsk and English.
//!
//! Owns the choice of language (a `lang` query parameter, then `Accept-Language`) and
//! every fixed text a citizen sees. Texts that belong to a form (titles, labels, hints)
//! live in the form's schema file, not here.

use std::fmt;

/// A language the citizen's pages are offered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Nb,
    Nn,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Nb, Lang::Nn, Lang::En];

    /// The BCP 47 tag used in `lang` attributes and `ui_locales`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::Nn => "nn",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the language switch.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::Nb => "Bokmål",
            Lang::Nn => "Nynorsk",
            Lang::En => "English",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "nb" | "no" => Some(Lang::Nb),
            "nn" => Some(Lang::Nn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the language: an explicit choice wins, then the browser's
    /// `Accept-Language` by quality, then bokmål.
    pub fn negotiate(explicit: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = explicit.and_then(Lang::from_tag) {
            return lang;
        }
        let Some(header) = accept_language else {
            return Lang::default();
        };
        let mut best: Option<(Lang, f32)> = None;
        for item in header.split(',').take(20) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::from_tag(tag)
                && quality > 0.0
                && best.is_none_or(|(_, q)| quality > q)
            {
                best = Some((lang, quality));
            }
        }
        best.map(|(lang, _)| lang).unwrap_or_default()
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// Every fixed text of the citizen's pages.
#[derive(Debug, Clone)]
pub enum Msg<'a> {
    SkipToContent,
    Municipality,
    Send,
    Optional,
    ErrorSummaryTitle,
    ErrorTitlePrefix,
    Required {
        label: &'a str,
    },
    TooLong {
        label: &'a str,
        max: usize,
        len: usize,
    },
    InvalidEmail,
    UnknownFields,
    ReceiptTitle,
    ReceiptLead,
    ReceiptReference,
    ReceiptKeep,
    ReceiptReceived,
    ReceiptAgain,
    NotFoundTitle,
    NotFoundBody,
    TooLargeTitle,
    TooLargeBody {
        max_kib: usize,
    },
    BadRequestTitle,
    BadEncodingBody,
    WrongContentTypeBody,
    ExpiredTitle,
    ExpiredBody,
    ServerErrorTitle,
    ServerErrorBody,
    BackToForm,
    Language,
    CharactersMax {
        max: usize,
    },
}

/// The text of `msg` in `lang`.
pub fn t(lang: Lang, msg: Msg<'_>) -> String {
    use Lang::*;
    use Msg::*;
    match (msg, lang) {
        (SkipToContent, Nb) => "Hopp til hovedinnholdet".into(),
        (SkipToContent, Nn) => "Hopp til hovudinnhaldet".into(),
        (SkipToContent, En) => "Skip to main content".into(),
        (Municipality, Nb | Nn) => "Kommunen".into(),
        (Municipality, En) => "The municipality".into(),
        (Send, Nb | Nn) => "Send".into(),
        (Send, En) => "Send".into(),
        (Optional, Nb) => "(valgfritt)".into(),
        (Optional, Nn) => "(valfritt)".into(),
        (Optional, En) => "(optional)".into(),
        (ErrorSummaryTitle, Nb) => "Det er et problem".into(),
        (ErrorSummaryTitle, Nn) => "Det er eit problem".into(),
        (ErrorSummaryTitle, En) => "There is a problem".into(),
        (ErrorTitlePrefix, Nb | Nn) => "Feil".into(),
        (ErrorTitlePrefix, En) => "Error".into(),
        (Required { label }, Nb) => format!("Du må fylle ut «{label}»."),
        (Required { label }, Nn) => format!("Du må fylle ut «{label}»."),
        (Required { label }, En) => format!("Enter “{label}”."),
        (TooLong { label, max, len }, Nb) => {
            format!("«{label}» kan ha høyst {max} tegn. Du har skrevet {len}.")
        }
        (TooLong { label, max, len }, Nn) => {
            format!("«{label}» kan ha høgst {max} teikn. Du har skrive {len}.")
        }
        (TooLong { label, max, len }, En) => {
            format!("“{label}” must be {max} characters or fewer. You have written {len}.")
        }
        (InvalidEmail, Nb) => {
            "Skriv inn en gyldig e-postadresse, for eksempel navn@eksempel.no.".into()
        }
        (InvalidEmail, Nn) => {
            "Skriv inn ei gyldig e-postadresse, til dømes namn@døme.no.".into()
        }
        (InvalidEmail, En) => {
            "Enter an e-mail address in the right format, like name@example.com.".into()
        }
        (UnknownFields, Nb) => {
            "Skjemaet inneholdt felt vi ikke kjenner igjen. Last inn siden på nytt og prøv igjen."
                .into()
        }
        (UnknownFields, Nn) => {
            "Skjemaet inneheldt felt vi ikkje kjenner att. Last inn sida på nytt og prøv igjen."
                .into()
        }
        (UnknownFields, En) => {
            "The form held fields we do not recognise. Reload the page and try again.".into()
        }
        (ReceiptTitle, Nb) => "Takk, vi har fått henvendelsen din".into(),
        (ReceiptTitle, Nn) => "Takk, vi har fått førespurnaden din".into(),
        (ReceiptTitle, En) => "Thank you, we have received your enquiry".into(),
        (ReceiptLead, Nb) => "Henvendelsen er kryptert og sendt til saksbehandlerne som skal svare deg.".into(),
        (ReceiptLead, Nn) => "Førespurnaden er kryptert og send til sakshandsamarane som skal svare deg.".into(),
        (ReceiptLead, En) => "Your enquiry is encrypted and sent to the caseworkers who will answer you.".into(),
        (ReceiptReference, Nb | Nn) => "Referansenummer".into(),
        (ReceiptReference, En) => "Reference number".into(),
        (ReceiptKeep, Nb) => "Oppgi referansenummeret hvis du kontakter oss om saken.".into(),
        (ReceiptKeep, Nn) => "Oppgi referansenummeret dersom du kontaktar oss om saka.".into(),
        (ReceiptKeep, En) => "Quote the reference number if you contact us about this.".into(),
        (ReceiptReceived, Nb) => "Mottatt".into(),
        (ReceiptReceived, Nn) => "Motteke".into(),
        (ReceiptReceived, En) => "Received".into(),
        (ReceiptAgain, Nb) => "Send en ny henvendelse".into(),
        (ReceiptAgain, Nn) => "Send ein ny førespurnad".into(),
        (ReceiptAgain, En) => "Send another enquiry".into(),
        (NotFoundTitle, Nb) => "Fant ikke siden".into(),
        (NotFoundTitle, Nn) => "Fann ikkje sida".into(),
        (NotFoundTitle, En) => "Page not found".into(),
        (NotFoundBody, Nb) => "Vi finner ikke skjemaet eller siden du ba om. Sjekk adressen.".into(),
        (NotFoundBody, Nn) => "Vi finn ikkje skjemaet eller sida du bad om. Sjekk adressa.".into(),
        (NotFoundBody, En) => "We cannot find the form or page you asked for. Check the address.".into(),
        (TooLargeTitle, Nb) => "For mye innhold".into(),
        (TooLargeTitle, Nn) => "For mykje innhald".into(),
        (TooLargeTitle, En) => "Too much content".into(),
        (TooLargeBody { max_kib }, Nb) => format!("Innsendingen er større enn {max_kib} KiB, som er grensen. Gjør teksten kortere og prøv igjen."),
        (TooLargeBody { max_kib }, Nn) => format!("Innsendinga er større enn {max_kib} KiB, som er grensa. Gjer teksten kortare og prøv igjen."),
        (TooLargeBody { max_kib }, En) => format!("The submission is larger than the limit of {max_kib} KiB. Shorten the text and try again."),
        (BadRequestTitle, Nb) => "Noe gikk galt med innsendingen".into(),
        (BadRequestTitle, Nn) => "Noko gjekk gale med innsendinga".into(),
        (BadRequestTitle, En) => "Something was wrong with the submission".into(),
        (BadEncodingBody, Nb) => "Teksten kunne ikke leses (ugyldig tegnkoding). Prøv igjen fra skjemaet.".into(),
        (BadEncodingBody, Nn) => "Teksten kunne ikkje lesast (ugyldig teiknkoding). Prøv igjen frå skjemaet.".into(),
        (BadEncodingBody, En) => "The text could not be read (invalid character encoding). Try again from the form.".into(),
        (WrongContentTypeBody, Nb) => "Innsendingen hadde et format vi ikke tar imot. Bruk skjemaet på nettsiden.".into(),
        (WrongContentTypeBody, Nn) => "Innsendinga hadde eit format vi ikkje tek imot. Bruk skjemaet på nettsida.".into(),
        (WrongContentTypeBody, En) => "The submission came in a format we do not accept. Use the form on the web page.".into(),
        (ExpiredTitle, Nb) => "Siden er utløpt".into(),
        (ExpiredTitle, Nn) => "Sida har gått ut".into(),
        (ExpiredTitle, En) => "The page has expired".into(),
        (ExpiredBody, Nb) => "Av sikkerhetshensyn må skjemaet lastes inn på nytt. Teksten din er tatt vare på nedenfor; send på nytt.".into(),
        (ExpiredBody, Nn) => "Av omsyn til tryggleiken må skjemaet lastast inn på nytt. Teksten din er teken vare på nedanfor; send på nytt.".into(),
        (ExpiredBody, En) => "For your security the form had to be reloaded. Your text is kept below; send it again.".into(),
        (ServerErrorTitle, Nb) => "Beklager, noe gikk galt hos oss".into(),
        (ServerErrorTitle, Nn) => "Orsak, noko gjekk gale hos oss".into(),
        (ServerErrorTitle, En) => "Sorry, something went wrong on our side".into(),
        (ServerErrorBody, Nb) => "Henvendelsen din ble ikke lagret. Prøv igjen om litt.".into(),
        (ServerErrorBody, Nn) => "Førespurnaden din vart ikkje lagra. Prøv igjen om litt.".into(),
        (ServerErrorBody, En) => "Your enquiry was not stored. Please try again shortly.".into(),
        (BackToForm, Nb) => "Tilbake til skjemaet".into(),
        (BackToForm, Nn) => "Tilbake til skjemaet".into(),
        (BackToForm, En) => "Back to the form".into(),
        (Language, Nb | Nn) => "Språk".into(),
        (Language, En) => "Language".into(),
        (CharactersMax { max }, Nb) => format!("Høyst {max} tegn."),
        (CharactersMax { max }, Nn) => format!("Høgst {max} teikn."),
        (CharactersMax { max }, En) => format!("{max} characters at most."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_explicit_then_header_then_bokmal() {
        let cases = [
            (None, None, Lang::Nb),
            (Some("en"), Some("nn"), Lang::En),
            (Some("xx"), Some("nn-NO"), Lang::Nn),
            (None, Some("de, en;q=0.8, nn;q=0.9"), Lang::Nn),
            (None, Some("en-GB,en;q=0.9"), Lang::En),
            (None, Some("no"), Lang::Nb),
            (None, Some("de, fr;q=0.5"), Lang::Nb),
            (None, Some("en;q=0, nn;q=0.1"), Lang::Nn),
            (None, Some(";;;,,q=abc"), Lang::Nb),
        ];
        for (explicit, header, expected) in cases {
            assert_eq!(
                Lang::negotiate(explicit, header),
                expected,
                "{explicit:?} {header:?}"
            );
        }
    }

    #[test]
    fn bokmal_and_nynorsk_differ_where_the_languages_do() {
        assert_eq!(t(Lang::Nb, Msg::SkipToContent), "Hopp til hovedinnholdet");
        assert_eq!(t(Lang::Nn, Msg::SkipToContent), "Hopp til hovudinnhaldet");
        assert_eq!(t(Lang::Nb, Msg::Optional), "(valgfritt)");
        assert_eq!(t(Lang::Nn, Msg::Optional), "(valfritt)");
        assert!(t(Lang::Nn, Msg::InvalidEmail).contains("til dømes"));
        assert!(t(Lang::Nb, Msg::InvalidEmail).contains("en gyldig"));
    }
}
