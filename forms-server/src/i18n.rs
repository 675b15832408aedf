//! The citizen's language: bokmål by default, nynorsk and English.
//!
//! Owns the choice of language (a `lang` query parameter, then `Accept-Language`) and
//! every fixed text a citizen sees. Texts that belong to a form (titles, labels, hints)
//! live in the form's schema file, not here.

use std::fmt;

/// A language the citizen's pages are offered in; in schema files, `nb`, `nn`, `en`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    serde::Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
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
    ReceiptCopyTitle,
    ReceiptCopyLead,
    ReceiptReceived,
    ReceiptAgain,
    /// On the receipt page: a receipt is on its way by e-mail.
    ReceiptMailed,
    ReceiptMailSubject {
        title: &'a str,
    },
    ReceiptMailBody {
        title: &'a str,
        reference: &'a str,
        received: &'a str,
    },
    PrivacyReceiptMail,
    /// A newsletter sign-up: the confirmation mail.
    SubscriptionMailSubject {
        site: &'a str,
    },
    SubscriptionMailBody {
        site: &'a str,
        /// The chosen topics' labels, or empty for a newsletter without topics.
        topics: &'a str,
        link: &'a str,
        hours: i64,
    },
    /// Under every newsletter: why it came, and the subscriber's page.
    NewsletterFooter {
        site: &'a str,
        link: &'a str,
    },
    /// The municipality in the middle of a sentence, where the site has no name.
    MunicipalityInSentence,
    SubscriptionSentTitle,
    SubscriptionSentBody {
        hours: i64,
    },
    SubscriptionConfirmTitle,
    SubscriptionConfirmLead {
        site: &'a str,
        topics: &'a str,
    },
    SubscriptionConfirmedBody,
    SubscriptionManageTitle,
    SubscriptionTopicsLegend,
    /// Before the subscriber's address on their page.
    SubscriptionAddress,
    SubscriptionSave,
    SubscriptionSaved,
    SubscriptionNoTopic,
    SubscriptionEnds {
        day: &'a str,
    },
    SubscriptionEndTitle,
    SubscriptionEndLead,
    SubscriptionEndButton,
    SubscriptionEndedTitle,
    SubscriptionEndedBody,
    SubscriptionGoneTitle,
    SubscriptionGoneBody {
        hours: i64,
    },
    /// A subscription form on a server that cannot take subscriptions.
    SubscriptionUnavailable,
    /// The privacy page of a subscription form: who reads the address, and how long
    /// it is kept.
    PrivacySubscriptionReaders {
        queues: &'a str,
    },
    PrivacySubscriptionRetention {
        hours: i64,
        months: u32,
    },
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
    Yes,
    No,
    ChooseRequired {
        label: &'a str,
    },
    FileRequired {
        label: &'a str,
    },
    TooShort {
        label: &'a str,
        min: usize,
        len: usize,
    },
    InvalidPhone,
    InvalidNationalId,
    SyntheticNationalId,
    InvalidOrgNumber,
    InvalidPostcode,
    InvalidDate {
        label: &'a str,
    },
    DateTooEarly {
        label: &'a str,
        min: &'a str,
    },
    DateTooLate {
        label: &'a str,
        max: &'a str,
    },
    InvalidNumber {
        label: &'a str,
    },
    TooManyDecimals {
        label: &'a str,
        max: u32,
    },
    NumberTooSmall {
        label: &'a str,
        min: &'a str,
    },
    NumberTooLarge {
        label: &'a str,
        max: &'a str,
    },
    NotAfter {
        label: &'a str,
        other: &'a str,
    },
    TooFewChoices {
        label: &'a str,
        min: usize,
    },
    TooManyChoices {
        label: &'a str,
        max: usize,
    },
    ConsentRequired {
        label: &'a str,
    },
    FileTooLarge {
        label: &'a str,
        max_mb: usize,
    },
    TooManyFiles {
        label: &'a str,
        max: usize,
    },
    FileType {
        label: &'a str,
        types: &'a str,
    },
    EmptyFile {
        label: &'a str,
    },
    ControlCharacter {
        label: &'a str,
    },
    TooFewItems {
        label: &'a str,
        min: usize,
    },
    TooManyItems {
        label: &'a str,
        max: usize,
    },
    Step {
        n: usize,
        of: usize,
    },
    Continue,
    Back,
    PrintVersion,
    PrintInstructions,
    LoginUnavailable,
    /// The sender's address has sent its hour's share of submissions.
    TooManySubmissions {
        minutes: u64,
    },
    OnlyIf {
        label: &'a str,
        answer: &'a str,
    },
    OnlyIfApplies,
    DateHint,
    NationalIdHint,
    OrgNumberHint,
    FileHint {
        types: &'a str,
        max_mb: usize,
        max_files: usize,
    },
    ChooseOne,
    FilesKept,
    RemoveItem {
        item: &'a str,
    },
    AddItem {
        item: &'a str,
    },
    SummaryTitle,
    NothingAnswered,
    Change,
    SendNow,
    SendNowLead,
    NeedsLogin,
    LogIn,
    LogOut,
    LoggedIn,
    LoginOffer,
    Prefilled,
    KrrMissing,
    /// On a form behind login: the session's idle limit, and that nothing typed is lost.
    SessionLimit {
        minutes: i64,
    },
    LoginFailedTitle,
    LoginFailedBody,
    LoginUnreachableBody,
    LoggedOutTitle,
    LoggedOutBody,
    MySubmissions,
    MySubmissionsLead,
    MySubmissionsEmpty,
    ColumnForm,
    ColumnReceived,
    ColumnReference,
    ColumnStatus,
    StatusNew,
    StatusInProgress,
    StatusDone,
    Sensitive {
        label: &'a str,
        kinds: &'a str,
    },
    SensitiveKind(crate::guard::Kind),
    SensitiveWhere,
    SecureFormLink,
    ColumnErase,
    EraseLink,
    KeptUntil {
        law: &'a str,
        until: &'a str,
    },
    EraseTitle,
    EraseLead {
        form: &'a str,
        received: &'a str,
        reference: &'a str,
    },
    EraseConfirm,
    EraseCancel,
    ErasedTitle,
    ErasedBody {
        reference: &'a str,
    },
    KeptTitle,
    KeptBody {
        law: &'a str,
        until: &'a str,
    },
    EraseMissingBody,
    BackToMySubmissions,
    ColumnTime,
    ColumnWhat,
    ColumnWho,
    DeletedOn {
        day: &'a str,
    },
    HistoryHeading,
    HistoryLead,
    /// What an audit action on a submission means to its sender.
    Event(&'a str),
    ByYou,
    ByCaseworker {
        name: &'a str,
    },
    ByUnnamedCaseworker,
    ByMunicipality,
    PrivacyLink,
    PrivacyTitle {
        form: &'a str,
    },
    PrivacyController {
        name: &'a str,
    },
    PrivacyContact,
    AccessibilityStatement,
    PrivacyPurpose,
    PrivacyLegalBasis,
    PrivacyReaders,
    PrivacyReadersBody {
        queues: &'a str,
    },
    Or,
    PrivacyNoLogin,
    PrivacyAddress,
    PrivacyLogin,
    PrivacyKrr,
    PrivacyRetention,
    PrivacyRetentionBody {
        months: u32,
    },
    PrivacyRetentionLaw {
        law: &'a str,
    },
    PrivacyRetentionErasable,
    PrivacyRights,
    PrivacyRightsBody,
    PrivacyMine,
    PrivacyRequestForms,
    PrivacyComplaint,
    DataProtectionAuthority,
}

/// What the audit action `action` on a submission means to the citizen who sent it.
fn event_text(action: &str, lang: Lang) -> &'static str {
    use crate::store::actions::*;
    use Lang::*;
    match (action, lang) {
        (SUBMISSION_RECEIVED, Nb) => "Mottatt",
        (SUBMISSION_RECEIVED, Nn) => "Motteken",
        (SUBMISSION_RECEIVED, En) => "Received",
        (SUBMISSION_FETCHED, Nb) => "Hentet for å bli lest",
        (SUBMISSION_FETCHED, Nn) => "Henta for å bli lesen",
        (SUBMISSION_FETCHED, En) => "Fetched to be read",
        (SUBMISSION_TAKEN, Nb) => "Tatt til behandling",
        (SUBMISSION_TAKEN, Nn) => "Teken til handsaming",
        (SUBMISSION_TAKEN, En) => "Taken up to be dealt with",
        (SUBMISSION_DONE, Nb) => "Ferdig behandlet",
        (SUBMISSION_DONE, Nn) => "Ferdig handsama",
        (SUBMISSION_DONE, En) => "Dealt with",
        (NOTE_ADDED, Nb) => "Notat lagt til saken",
        (NOTE_ADDED, Nn) => "Notat lagt til saka",
        (NOTE_ADDED, En) => "A note added to the case",
        (NOTES_FETCHED, Nb) => "Notatene i saken lest",
        (NOTES_FETCHED, Nn) => "Notata i saka lesne",
        (NOTES_FETCHED, En) => "The case's notes read",
        (SUBMISSION_FORWARDED, Nb) => "Sendt videre til rett avdeling",
        (SUBMISSION_FORWARDED, Nn) => "Send vidare til rett avdeling",
        (SUBMISSION_FORWARDED, En) => "Passed on to the right department",
        (SUBMISSION_REPLIED, Nb | Nn) => "Svar sendt på e-post",
        (SUBMISSION_REPLIED, En) => "Answer sent by e-mail",
        (CONSENT_RECORDED, Nb | Nn) => "Samtykket ditt til utlevering registrert",
        (CONSENT_RECORDED, En) => "Your consent to handing it over recorded",
        (SUBMISSION_HANDED_OVER, Nb) => "Utlevert til et annet offentlig organ",
        (SUBMISSION_HANDED_OVER, Nn) => "Utlevert til eit anna offentleg organ",
        (SUBMISSION_HANDED_OVER, En) => "Handed to another public body",
        (SUBMISSION_RESEALED, Nb) => "Kryptert på nytt til saksbehandlernes nøkler",
        (SUBMISSION_RESEALED, Nn) => "Kryptert på nytt til nøklane til sakshandsamarane",
        (SUBMISSION_RESEALED, En) => "Encrypted again to the caseworkers' keys",
        (SUBJECT_ACCESS_REPORTED, Nb) => "Tatt med i svaret på et innsynskrav",
        (SUBJECT_ACCESS_REPORTED, Nn) => "Teken med i svaret på eit innsynskrav",
        (SUBJECT_ACCESS_REPORTED, En) => "Included in the answer to a request for access",
        (SUBJECT_ERASURE_DONE, Nb) => {
            "Kravet om sletting utført: det ingen lov krever at kommunen tar vare på, er slettet"
        }
        (SUBJECT_ERASURE_DONE, Nn) => {
            "Kravet om sletting utført: det inga lov krev at kommunen tek vare på, er sletta"
        }
        (SUBJECT_ERASURE_DONE, En) => {
            "Your request for erasure carried out: what no law requires the municipality to keep is deleted"
        }
        (_, Nb) => "Annen handling",
        (_, Nn) => "Anna handling",
        (_, En) => "Other action",
    }
}

/// `lead` and the topics, where there are any.
fn with_topics(topics: &str, lead: &str) -> String {
    if topics.is_empty() {
        String::new()
    } else {
        format!("{lead}{topics}")
    }
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
        (ReceiptCopyTitle, Nb) => "Dette sendte du".into(),
        (ReceiptCopyTitle, Nn) => "Dette sende du".into(),
        (ReceiptCopyTitle, En) => "What you sent".into(),
        (ReceiptCopyLead, Nb) => {
            "Svarene dine er kryptert, så vi kan ikke vise dem for deg senere. Skriv ut \
             eller lagre denne siden hvis du vil ha en kopi."
                .into()
        }
        (ReceiptCopyLead, Nn) => {
            "Svara dine er krypterte, så vi kan ikkje vise dei for deg seinare. Skriv ut \
             eller lagre denne sida dersom du vil ha ein kopi."
                .into()
        }
        (ReceiptCopyLead, En) => {
            "Your answers are encrypted, so we cannot show them to you later. Print or save \
             this page if you want a copy."
                .into()
        }
        (ReceiptMailed, Nb) => "Vi sender også en kvittering med referansenummeret til e-postadressen du oppga.".into(),
        (ReceiptMailed, Nn) => "Vi sender òg ei kvittering med referansenummeret til e-postadressa du gav opp.".into(),
        (ReceiptMailed, En) => "We are also sending a receipt with the reference number to the e-mail address you gave.".into(),
        (SubscriptionMailSubject { site }, Nb) => {
            format!("Bekreft påmeldingen til nyhetsbrevet fra {site}")
        }
        (SubscriptionMailSubject { site }, Nn) => {
            format!("Stadfest påmeldinga til nyheitsbrevet frå {site}")
        }
        (SubscriptionMailSubject { site }, En) => {
            format!("Confirm your subscription to the newsletter from {site}")
        }
        (SubscriptionMailBody { site, topics, link, hours }, Nb) => format!(
            "Noen, forhåpentlig du, har meldt denne e-postadressen på nyhetsbrevet fra \
             {site}{}.\n\n\
             Åpne lenken innen {hours} timer og bekreft påmeldingen; før det sender vi deg \
             ingen nyhetsbrev:\n{link}\n\n\
             Har du ikke meldt deg på, kan du se bort fra denne e-posten. Da sletter vi \
             adressen innen {hours} timer.\n",
            with_topics(topics, ", med temaene: ")
        ),
        (SubscriptionMailBody { site, topics, link, hours }, Nn) => format!(
            "Nokon, forhåpentleg du, har meldt denne e-postadressa på nyheitsbrevet frå \
             {site}{}.\n\n\
             Opna lenkja innan {hours} timar og stadfest påmeldinga; før det sender vi deg \
             ingen nyheitsbrev:\n{link}\n\n\
             Har du ikkje meldt deg på, kan du sjå bort frå denne e-posten. Då slettar vi \
             adressa innan {hours} timar.\n",
            with_topics(topics, ", med tema: ")
        ),
        (SubscriptionMailBody { site, topics, link, hours }, En) => format!(
            "Someone, hopefully you, has signed this e-mail address up for the newsletter \
             from {site}{}.\n\n\
             Open the link within {hours} hours and confirm; until then we send you no \
             newsletter:\n{link}\n\n\
             If you did not sign up, ignore this e-mail; we then delete the address within \
             {hours} hours.\n",
            with_topics(topics, ", with the topics: ")
        ),
        (NewsletterFooter { site, link }, Nb) => format!(
            "Du får denne e-posten fordi du abonnerer på nyhetsbrevet fra {site}. \
             Endre temaer eller meld deg av: {link}"
        ),
        (NewsletterFooter { site, link }, Nn) => format!(
            "Du får denne e-posten fordi du abonnerer på nyheitsbrevet frå {site}. \
             Endra tema eller meld deg av: {link}"
        ),
        (NewsletterFooter { site, link }, En) => format!(
            "You get this e-mail because you subscribe to the newsletter from {site}. \
             Change topics or unsubscribe: {link}"
        ),
        (MunicipalityInSentence, Nb | Nn) => "kommunen".into(),
        (MunicipalityInSentence, En) => "the municipality".into(),
        (SubscriptionSentTitle, Nb | Nn) => "Sjekk e-posten din".into(),
        (SubscriptionSentTitle, En) => "Check your e-mail".into(),
        (SubscriptionSentBody { hours }, Nb) => format!(
            "Vi har sendt en e-post til adressen du oppga. Åpne lenken i den innen {hours} \
             timer og bekreft påmeldingen; før det får du ingen nyhetsbrev. Finner du ikke \
             e-posten, se etter i søppelposten."
        ),
        (SubscriptionSentBody { hours }, Nn) => format!(
            "Vi har sendt ein e-post til adressa du gav opp. Opna lenkja i han innan {hours} \
             timar og stadfest påmeldinga; før det får du ingen nyheitsbrev. Finn du ikkje \
             e-posten, sjå etter i søppelposten."
        ),
        (SubscriptionSentBody { hours }, En) => format!(
            "We have sent an e-mail to the address you gave. Open the link in it within \
             {hours} hours and confirm your sign-up; until then you get no newsletter. If \
             you cannot find the e-mail, look in your spam folder."
        ),
        (SubscriptionConfirmTitle, Nb) => "Bekreft påmeldingen".into(),
        (SubscriptionConfirmTitle, Nn) => "Stadfest påmeldinga".into(),
        (SubscriptionConfirmTitle, En) => "Confirm your sign-up".into(),
        (SubscriptionConfirmLead { site, topics }, Nb) => format!(
            "Du melder deg på nyhetsbrevet fra {site}{}.",
            with_topics(topics, ", med temaene: ")
        ),
        (SubscriptionConfirmLead { site, topics }, Nn) => format!(
            "Du meldar deg på nyheitsbrevet frå {site}{}.",
            with_topics(topics, ", med tema: ")
        ),
        (SubscriptionConfirmLead { site, topics }, En) => format!(
            "You are signing up for the newsletter from {site}{}.",
            with_topics(topics, ", with the topics: ")
        ),
        (SubscriptionConfirmedBody, Nb) => "Du er påmeldt. Hver e-post fra oss har en lenke \
             hit, der du endrer temaer eller melder deg av."
            .into(),
        (SubscriptionConfirmedBody, Nn) => "Du er påmeld. Kvar e-post frå oss har ei lenkje \
             hit, der du endrar tema eller meldar deg av."
            .into(),
        (SubscriptionConfirmedBody, En) => "You are signed up. Every e-mail from us has a link \
             here, where you change topics or unsubscribe."
            .into(),
        (SubscriptionManageTitle, Nb) => "Ditt abonnement på nyhetsbrevet".into(),
        (SubscriptionManageTitle, Nn) => "Abonnementet ditt på nyheitsbrevet".into(),
        (SubscriptionManageTitle, En) => "Your newsletter subscription".into(),
        (SubscriptionAddress, Nb) => "Nyhetsbrevet går til".into(),
        (SubscriptionAddress, Nn) => "Nyheitsbrevet går til".into(),
        (SubscriptionAddress, En) => "The newsletter goes to".into(),
        (SubscriptionTopicsLegend, Nb) => "Temaer du får nyheter om".into(),
        (SubscriptionTopicsLegend, Nn) => "Tema du får nyheiter om".into(),
        (SubscriptionTopicsLegend, En) => "Topics you get news about".into(),
        (SubscriptionSave, Nb) => "Lagre temaene".into(),
        (SubscriptionSave, Nn) => "Lagra tema".into(),
        (SubscriptionSave, En) => "Save the topics".into(),
        (SubscriptionSaved, Nb) => "Temaene er lagret.".into(),
        (SubscriptionSaved, Nn) => "Tema er lagra.".into(),
        (SubscriptionSaved, En) => "The topics are saved.".into(),
        (SubscriptionNoTopic, Nb) => "Velg minst ett tema, eller meld deg av nederst på siden.".into(),
        (SubscriptionNoTopic, Nn) => "Vel minst eitt tema, eller meld deg av nedst på sida.".into(),
        (SubscriptionNoTopic, En) => "Choose at least one topic, or unsubscribe at the foot of the page.".into(),
        (SubscriptionEnds { day }, Nb) => format!(
            "Abonnementet varer til {day}. Lagrer du temaene, varer det lenger."
        ),
        (SubscriptionEnds { day }, Nn) => format!(
            "Abonnementet varer til {day}. Lagrar du tema, varer det lenger."
        ),
        (SubscriptionEnds { day }, En) => format!(
            "The subscription lasts until {day}. Saving the topics makes it last longer."
        ),
        (SubscriptionEndTitle, Nb | Nn) => "Meld deg av".into(),
        (SubscriptionEndTitle, En) => "Unsubscribe".into(),
        (SubscriptionEndLead, Nb) => "Melder du deg av, sletter vi e-postadressen og temaene \
             dine med en gang."
            .into(),
        (SubscriptionEndLead, Nn) => "Meldar du deg av, slettar vi e-postadressa og tema dine \
             med ein gong."
            .into(),
        (SubscriptionEndLead, En) => "If you unsubscribe, we delete your e-mail address and \
             topics at once."
            .into(),
        (SubscriptionEndButton, Nb | Nn) => "Meld meg av".into(),
        (SubscriptionEndButton, En) => "Unsubscribe me".into(),
        (SubscriptionEndedTitle, Nb | Nn) => "Du er meldt av".into(),
        (SubscriptionEndedTitle, En) => "You are unsubscribed".into(),
        (SubscriptionEndedBody, Nb) => "Vi har slettet e-postadressen og temaene dine. Du får \
             ikke flere nyhetsbrev fra oss."
            .into(),
        (SubscriptionEndedBody, Nn) => "Vi har sletta e-postadressa og tema dine. Du får ikkje \
             fleire nyheitsbrev frå oss."
            .into(),
        (SubscriptionEndedBody, En) => "We have deleted your e-mail address and topics. You \
             will get no more newsletters from us."
            .into(),
        (SubscriptionGoneTitle, Nb) => "Lenken virker ikke lenger".into(),
        (SubscriptionGoneTitle, Nn) => "Lenkja verkar ikkje lenger".into(),
        (SubscriptionGoneTitle, En) => "The link no longer works".into(),
        (SubscriptionGoneBody { hours }, Nb) => format!(
            "Abonnementet er avsluttet, eller påmeldingen ble ikke bekreftet innen {hours} \
             timer. Adressen er slettet."
        ),
        (SubscriptionGoneBody { hours }, Nn) => format!(
            "Abonnementet er avslutta, eller påmeldinga vart ikkje stadfesta innan {hours} \
             timar. Adressa er sletta."
        ),
        (SubscriptionGoneBody { hours }, En) => format!(
            "The subscription has ended, or the sign-up was not confirmed within {hours} \
             hours. The address is deleted."
        ),
        (SubscriptionUnavailable, Nb) => "Påmeldingen er ikke tilgjengelig nå, så vi har ikke \
             lagret noe. Prøv igjen senere."
            .into(),
        (SubscriptionUnavailable, Nn) => "Påmeldinga er ikkje tilgjengeleg no, så vi har ikkje \
             lagra noko. Prøv igjen seinare."
            .into(),
        (SubscriptionUnavailable, En) => "Signing up is not available now, so nothing was \
             stored. Please try again later."
            .into(),
        (PrivacySubscriptionReaders { queues }, Nb) => format!(
            "E-postadressen og temaene dine lagres kryptert og brukes bare av serveren, som \
             sender nyhetsbrevet. Nyhetsbrevene skrives av saksbehandlerne i {queues}, som \
             ikke ser hvem som abonnerer."
        ),
        (PrivacySubscriptionReaders { queues }, Nn) => format!(
            "E-postadressa og tema dine blir lagra krypterte og brukte berre av tenaren, som \
             sender nyheitsbrevet. Nyheitsbreva blir skrivne av sakshandsamarane i {queues}, \
             som ikkje ser kven som abonnerer."
        ),
        (PrivacySubscriptionReaders { queues }, En) => format!(
            "Your e-mail address and topics are stored encrypted and used only by the \
             server, which sends the newsletter. The newsletters are written by the caseworkers of \
             {queues}, who do not see who subscribes."
        ),
        (PrivacySubscriptionRetention { hours, months }, Nb) => format!(
            "Før du har bekreftet påmeldingen fra e-posten vi sender, får du ingenting annet, \
             og en påmelding som ikke er bekreftet innen {hours} timer, slettes. Hver e-post \
             har en lenke der du endrer temaer eller melder deg av; melder du deg av, sletter \
             vi adressen med en gang. Ellers slettes den {months} måneder etter at du sist \
             bekreftet eller endret abonnementet."
        ),
        (PrivacySubscriptionRetention { hours, months }, Nn) => format!(
            "Før du har stadfesta påmeldinga frå e-posten vi sender, får du ingenting anna, \
             og ei påmelding som ikkje er stadfesta innan {hours} timar, blir sletta. Kvar \
             e-post har ei lenkje der du endrar tema eller meldar deg av; meldar du deg av, \
             slettar vi adressa med ein gong. Elles blir ho sletta {months} månader etter at \
             du sist stadfesta eller endra abonnementet."
        ),
        (PrivacySubscriptionRetention { hours, months }, En) => format!(
            "Until you confirm your sign-up from the e-mail we send, you get nothing else, and \
             a sign-up not confirmed within {hours} hours is deleted. Every e-mail has a link \
             where you change topics or unsubscribe; if you unsubscribe, we delete the \
             address at once. Otherwise it is deleted {months} months after you last \
             confirmed or changed the subscription."
        ),
        (ReceiptMailSubject { title }, Nb | Nn) => format!("Kvittering: {title}"),
        (ReceiptMailSubject { title }, En) => format!("Receipt: {title}"),
        (ReceiptMailBody { title, reference, received }, Nb) => format!(
            "Vi har mottatt innsendingen din.\n\n\
             Skjema: {title}\nReferansenummer: {reference}\nMottatt: {received}\n\n\
             Oppgi referansenummeret hvis du kontakter oss om saken. Du finner innsendingen \
             under Mine innsendinger når du logger inn.\n\n\
             Av hensyn til personvernet står ikke svarene dine i denne e-posten.\n"
        ),
        (ReceiptMailBody { title, reference, received }, Nn) => format!(
            "Vi har motteke innsendinga di.\n\n\
             Skjema: {title}\nReferansenummer: {reference}\nMotteke: {received}\n\n\
             Oppgi referansenummeret dersom du kontaktar oss om saka. Du finn innsendinga \
             under Mine innsendingar når du loggar inn.\n\n\
             Av omsyn til personvernet står ikkje svara dine i denne e-posten.\n"
        ),
        (ReceiptMailBody { title, reference, received }, En) => format!(
            "We have received what you sent.\n\n\
             Form: {title}\nReference number: {reference}\nReceived: {received}\n\n\
             Quote the reference number if you contact us about this. You find it under My \
             submissions when you log in.\n\n\
             To protect your privacy, your answers are not in this e-mail.\n"
        ),
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
        (Yes, Nb | Nn) => "Ja".into(),
        (Yes, En) => "Yes".into(),
        (No, Nb) => "Nei".into(),
        (No, Nn) => "Nei".into(),
        (No, En) => "No".into(),
        (ChooseRequired { label }, Nb) => format!("Velg et svar på «{label}»."),
        (ChooseRequired { label }, Nn) => format!("Vel eit svar på «{label}»."),
        (ChooseRequired { label }, En) => format!("Select an answer to “{label}”."),
        (FileRequired { label }, Nb) => format!("Last opp en fil til «{label}»."),
        (FileRequired { label }, Nn) => format!("Last opp ei fil til «{label}»."),
        (FileRequired { label }, En) => format!("Upload a file for “{label}”."),
        (TooShort { label, min, len }, Nb) => format!("«{label}» må ha minst {min} tegn. Du har skrevet {len}."),
        (TooShort { label, min, len }, Nn) => format!("«{label}» må ha minst {min} teikn. Du har skrive {len}."),
        (TooShort { label, min, len }, En) => format!("“{label}” must be {min} characters or more. You have written {len}."),
        (InvalidPhone, Nb) => "Skriv inn et gyldig telefonnummer, for eksempel 912 34 567 eller +46 70 123 45 67.".into(),
        (InvalidPhone, Nn) => "Skriv inn eit gyldig telefonnummer, til dømes 912 34 567 eller +46 70 123 45 67.".into(),
        (InvalidPhone, En) => "Enter a valid phone number, like 912 34 567 or +46 70 123 45 67.".into(),
        (InvalidNationalId, Nb) => "Fødselsnummeret eller D-nummeret er ikke gyldig. Sjekk at du har skrevet alle 11 sifrene riktig.".into(),
        (InvalidNationalId, Nn) => "Fødselsnummeret eller D-nummeret er ikkje gyldig. Sjekk at du har skrive alle 11 sifra rett.".into(),
        (InvalidNationalId, En) => "The national identity number or D number is not valid. Check all 11 digits.".into(),
        (SyntheticNationalId, Nb) => "Dette er et testnummer (syntetisk person), som ikke kan brukes her.".into(),
        (SyntheticNationalId, Nn) => "Dette er eit testnummer (syntetisk person), som ikkje kan brukast her.".into(),
        (SyntheticNationalId, En) => "This is a test number (synthetic person), which cannot be used here.".into(),
        (InvalidOrgNumber, Nb) => "Organisasjonsnummeret er ikke gyldig. Det har 9 sifre, for eksempel 974 760 673.".into(),
        (InvalidOrgNumber, Nn) => "Organisasjonsnummeret er ikkje gyldig. Det har 9 siffer, til dømes 974 760 673.".into(),
        (InvalidOrgNumber, En) => "The organisation number is not valid. It has 9 digits, like 974 760 673.".into(),
        (InvalidPostcode, Nb) => "Postnummeret må ha fire sifre, for eksempel 0150.".into(),
        (InvalidPostcode, Nn) => "Postnummeret må ha fire siffer, til dømes 0150.".into(),
        (InvalidPostcode, En) => "The postcode must have four digits, like 0150.".into(),
        (InvalidDate { label }, Nb) => format!("«{label}» må være en gyldig dato, for eksempel 17.05.2026."),
        (InvalidDate { label }, Nn) => format!("«{label}» må vere ein gyldig dato, til dømes 17.05.2026."),
        (InvalidDate { label }, En) => format!("“{label}” must be a real date, like 17.05.2026."),
        (DateTooEarly { label, min }, Nb) => format!("«{label}» kan ikke være før {min}."),
        (DateTooEarly { label, min }, Nn) => format!("«{label}» kan ikkje vere før {min}."),
        (DateTooEarly { label, min }, En) => format!("“{label}” cannot be before {min}."),
        (DateTooLate { label, max }, Nb) => format!("«{label}» kan ikke være etter {max}."),
        (DateTooLate { label, max }, Nn) => format!("«{label}» kan ikkje vere etter {max}."),
        (DateTooLate { label, max }, En) => format!("“{label}” cannot be after {max}."),
        (InvalidNumber { label }, Nb) => format!("«{label}» må være et tall."),
        (InvalidNumber { label }, Nn) => format!("«{label}» må vere eit tal."),
        (InvalidNumber { label }, En) => format!("“{label}” must be a number."),
        (TooManyDecimals { label, max: 0 }, Nb) => format!("«{label}» må være et helt tall."),
        (TooManyDecimals { label, max: 0 }, Nn) => format!("«{label}» må vere eit heilt tal."),
        (TooManyDecimals { label, max: 0 }, En) => format!("“{label}” must be a whole number."),
        (TooManyDecimals { label, max }, Nb) => format!("«{label}» kan ha høyst {max} desimaler."),
        (TooManyDecimals { label, max }, Nn) => format!("«{label}» kan ha høgst {max} desimalar."),
        (TooManyDecimals { label, max }, En) => format!("“{label}” can have at most {max} decimals."),
        (NumberTooSmall { label, min }, Nb) => format!("«{label}» må være {min} eller mer."),
        (NumberTooSmall { label, min }, Nn) => format!("«{label}» må vere {min} eller meir."),
        (NumberTooSmall { label, min }, En) => format!("“{label}” must be {min} or more."),
        (NumberTooLarge { label, max }, Nb) => format!("«{label}» kan være høyst {max}."),
        (NumberTooLarge { label, max }, Nn) => format!("«{label}» kan vere høgst {max}."),
        (NumberTooLarge { label, max }, En) => format!("“{label}” must be {max} or less."),
        (NotAfter { label, other }, Nb) => format!("«{label}» må være etter «{other}»."),
        (NotAfter { label, other }, Nn) => format!("«{label}» må vere etter «{other}»."),
        (NotAfter { label, other }, En) => format!("“{label}” must be after “{other}”."),
        (TooFewChoices { label, min }, Nb) => format!("Velg minst {min} svar på «{label}»."),
        (TooFewChoices { label, min }, Nn) => format!("Vel minst {min} svar på «{label}»."),
        (TooFewChoices { label, min }, En) => format!("Select at least {min} answers to “{label}”."),
        (TooManyChoices { label, max }, Nb) => format!("Velg høyst {max} svar på «{label}»."),
        (TooManyChoices { label, max }, Nn) => format!("Vel høgst {max} svar på «{label}»."),
        (TooManyChoices { label, max }, En) => format!("Select at most {max} answers to “{label}”."),
        (ConsentRequired { label }, Nb) => format!("Du må krysse av for «{label}» for å gå videre."),
        (ConsentRequired { label }, Nn) => format!("Du må kryssa av for «{label}» for å gå vidare."),
        (ConsentRequired { label }, En) => format!("You must tick “{label}” to continue."),
        (FileTooLarge { label, max_mb }, Nb) => format!("Filen til «{label}» er for stor. Den kan være høyst {max_mb} MB."),
        (FileTooLarge { label, max_mb }, Nn) => format!("Fila til «{label}» er for stor. Ho kan vere høgst {max_mb} MB."),
        (FileTooLarge { label, max_mb }, En) => format!("The file for “{label}” is too large. It must be {max_mb} MB or smaller."),
        (TooManyFiles { label, max }, Nb) => format!("Du kan laste opp høyst {max} filer til «{label}»."),
        (TooManyFiles { label, max }, Nn) => format!("Du kan laste opp høgst {max} filer til «{label}»."),
        (TooManyFiles { label, max }, En) => format!("You can upload at most {max} files for “{label}”."),
        (FileType { label, types }, Nb) => format!("Filen til «{label}» må være av typen {types}. Vi ser på innholdet, ikke filnavnet."),
        (FileType { label, types }, Nn) => format!("Fila til «{label}» må vere av typen {types}. Vi ser på innhaldet, ikkje filnamnet."),
        (FileType { label, types }, En) => format!("The file for “{label}” must be {types}. We look at the content, not the file name."),
        (EmptyFile { label }, Nb) => format!("Filen til «{label}» er tom."),
        (EmptyFile { label }, Nn) => format!("Fila til «{label}» er tom."),
        (EmptyFile { label }, En) => format!("The file for “{label}” is empty."),
        (ControlCharacter { label }, Nb) => format!(
            "«{label}» inneholder usynlige styretegn som vi ikke kan ta imot. Skriv teksten \
             inn på nytt, eller lim den inn som ren tekst."
        ),
        (ControlCharacter { label }, Nn) => format!(
            "«{label}» inneheld usynlege styreteikn som vi ikkje kan ta imot. Skriv teksten \
             inn på nytt, eller lim han inn som rein tekst."
        ),
        (ControlCharacter { label }, En) => format!(
            "“{label}” contains invisible control characters that we cannot accept. Type the \
             text again, or paste it as plain text."
        ),
        (TooFewItems { label, min }, Nb) => format!("Fyll ut minst {min} «{label}»."),
        (TooFewItems { label, min }, Nn) => format!("Fyll ut minst {min} «{label}»."),
        (TooFewItems { label, min }, En) => format!("Fill in at least {min} “{label}”."),
        (TooManyItems { label, max }, Nb) => format!("Du kan fylle ut høyst {max} «{label}»."),
        (TooManyItems { label, max }, Nn) => format!("Du kan fylle ut høgst {max} «{label}»."),
        (TooManyItems { label, max }, En) => format!("You can fill in at most {max} “{label}”."),
        (Step { n, of }, Nb | Nn) => format!("Steg {n} av {of}"),
        (Step { n, of }, En) => format!("Step {n} of {of}"),
        (Continue, Nb) => "Gå videre".into(),
        (Continue, Nn) => "Gå vidare".into(),
        (Continue, En) => "Continue".into(),
        (Back, Nb | Nn) => "Tilbake".into(),
        (Back, En) => "Back".into(),
        (PrintVersion, Nb) => "Utskriftsversjon for å sende på papir".into(),
        (PrintVersion, Nn) => "Utskriftsversjon for å sende på papir".into(),
        (PrintVersion, En) => "Print version for sending on paper".into(),
        (PrintInstructions, Nb) => "Skriv ut skjemaet, fyll det ut for hånd og send det til kommunen i posten eller lever det på servicetorget.".into(),
        (PrintInstructions, Nn) => "Skriv ut skjemaet, fyll det ut for hand og send det til kommunen i posten eller lever det på servicetorget.".into(),
        (PrintInstructions, En) => "Print the form, fill it in by hand and post it to the municipality or hand it in at the service centre.".into(),
        (LoginUnavailable, Nb) => "Dette skjemaet krever innlogging med ID-porten (MinID, BankID). Innlogging er ikke satt opp på denne tjenesten, så skjemaet kan ikke sendes herfra.".into(),
        (LoginUnavailable, Nn) => "Dette skjemaet krev innlogging med ID-porten (MinID, BankID). Innlogging er ikkje sett opp på denne tenesta, så skjemaet kan ikkje sendast herifrå.".into(),
        (LoginUnavailable, En) => "This form needs login with ID-porten (MinID, BankID). Login is not set up on this service, so the form cannot be sent from here.".into(),
        (TooManySubmissions { minutes }, Nb) => format!("Det er sendt mange skjemaer fra nettverksadressen din den siste timen, så dette ble ikke sendt. Svarene dine står fortsatt i skjemaet. Prøv igjen om {minutes} {}.", if minutes == 1 { "minutt" } else { "minutter" }),
        (TooManySubmissions { minutes }, Nn) => format!("Det er sendt mange skjema frå nettverksadressa di den siste timen, så dette vart ikkje sendt. Svara dine står framleis i skjemaet. Prøv igjen om {minutes} minutt."),
        (TooManySubmissions { minutes }, En) => format!("Many forms have been sent from your network address in the last hour, so this one was not sent. Your answers are still in the form. Try again in {minutes} {}.", if minutes == 1 { "minute" } else { "minutes" }),
        (OnlyIf { label, answer }, Nb) => format!("Svar bare hvis du har svart «{answer}» på «{label}»."),
        (OnlyIf { label, answer }, Nn) => format!("Svar berre dersom du har svart «{answer}» på «{label}»."),
        (OnlyIf { label, answer }, En) => format!("Answer only if you answered “{answer}” to “{label}”."),
        (OnlyIfApplies, Nb) => "Svar bare hvis det gjelder deg.".into(),
        (OnlyIfApplies, Nn) => "Svar berre dersom det gjeld deg.".into(),
        (OnlyIfApplies, En) => "Answer only if it applies to you.".into(),
        (DateHint, Nb) => "For eksempel 17.05.2026.".into(),
        (DateHint, Nn) => "Til dømes 17.05.2026.".into(),
        (DateHint, En) => "For example 17.05.2026.".into(),
        (NationalIdHint, Nb) => "11 sifre.".into(),
        (NationalIdHint, Nn) => "11 siffer.".into(),
        (NationalIdHint, En) => "11 digits.".into(),
        (OrgNumberHint, Nb) => "9 sifre.".into(),
        (OrgNumberHint, Nn) => "9 siffer.".into(),
        (OrgNumberHint, En) => "9 digits.".into(),
        (FileHint { types, max_mb, max_files }, Nb) => format!("Filtyper: {types}. Høyst {max_mb} MB per fil, høyst {max_files} filer."),
        (FileHint { types, max_mb, max_files }, Nn) => format!("Filtypar: {types}. Høgst {max_mb} MB per fil, høgst {max_files} filer."),
        (FileHint { types, max_mb, max_files }, En) => format!("File types: {types}. At most {max_mb} MB a file, at most {max_files} files."),
        (ChooseOne, Nb) => "Velg".into(),
        (ChooseOne, Nn) => "Vel".into(),
        (ChooseOne, En) => "Choose".into(),
        (FilesKept, Nb) => "Lastet opp:".into(),
        (FilesKept, Nn) => "Lasta opp:".into(),
        (FilesKept, En) => "Uploaded:".into(),
        (RemoveItem { item }, Nb) => format!("Fjern {item}"),
        (RemoveItem { item }, Nn) => format!("Fjern {item}"),
        (RemoveItem { item }, En) => format!("Remove {item}"),
        (AddItem { item }, Nb) => format!("Legg til {item}"),
        (AddItem { item }, Nn) => format!("Legg til {item}"),
        (AddItem { item }, En) => format!("Add {item}"),
        (SummaryTitle, Nb) => "Se over før du sender".into(),
        (SummaryTitle, Nn) => "Sjå over før du sender".into(),
        (SummaryTitle, En) => "Check your answers before sending".into(),
        (NothingAnswered, Nb) => "Ingen svar.".into(),
        (NothingAnswered, Nn) => "Ingen svar.".into(),
        (NothingAnswered, En) => "No answers.".into(),
        (Change, Nb | Nn) => "Endre".into(),
        (Change, En) => "Change".into(),
        (SendNow, Nb | Nn) => "Send inn".into(),
        (SendNow, En) => "Send".into(),
        (SendNowLead, Nb) => "Når du sender, blir svarene krypterte og sendt til saksbehandlerne.".into(),
        (SendNowLead, Nn) => "Når du sender, blir svara krypterte og sende til sakshandsamarane.".into(),
        (SendNowLead, En) => "When you send, your answers are encrypted and sent to the caseworkers.".into(),
        (NeedsLogin, Nb) => "krever innlogging".into(),
        (NeedsLogin, Nn) => "krev innlogging".into(),
        (NeedsLogin, En) => "needs login".into(),
        (LogIn, Nb | Nn) => "Logg inn".into(),
        (LogIn, En) => "Log in".into(),
        (LogOut, Nb | Nn) => "Logg ut".into(),
        (LogOut, En) => "Log out".into(),
        (LoggedIn, Nb | Nn) => "Du er logget inn med ID-porten.".into(),
        (LoggedIn, En) => "You are logged in with ID-porten.".into(),
        (LoginOffer, Nb) => "Logg inn med ID-porten (MinID, BankID) for å få kontaktopplysningene dine fylt ut".into(),
        (LoginOffer, Nn) => "Logg inn med ID-porten (MinID, BankID) for å få kontaktopplysningane dine fylte ut".into(),
        (LoginOffer, En) => "Log in with ID-porten (MinID, BankID) to have your contact details filled in".into(),
        (Prefilled, Nb) => "Vi har fylt ut opplysninger om deg fra ID-porten og Kontakt- og reservasjonsregisteret. Sjekk at de stemmer, og endre dem hvis de er feil.".into(),
        (Prefilled, Nn) => "Vi har fylt ut opplysningar om deg frå ID-porten og Kontakt- og reservasjonsregisteret. Sjekk at dei stemmer, og endre dei dersom dei er feil.".into(),
        (Prefilled, En) => "We have filled in details about you from ID-porten and the Common Contact Register. Check that they are right, and change them if they are not.".into(),
        (KrrMissing, Nb) => "Vi fant ikke alle kontaktopplysningene dine i Kontakt- og reservasjonsregisteret. Fyll inn det som mangler.".into(),
        (KrrMissing, Nn) => "Vi fann ikkje alle kontaktopplysningane dine i Kontakt- og reservasjonsregisteret. Fyll inn det som manglar.".into(),
        (KrrMissing, En) => "We did not find all your contact details in the Common Contact Register. Please fill in what is missing.".into(),
        (SessionLimit { minutes }, Nb) => format!("Av sikkerhetshensyn blir du logget ut etter {minutes} minutter uten at du går videre i skjemaet. Det du har skrevet, går ikke tapt: logg inn igjen, så kommer du tilbake til det."),
        (SessionLimit { minutes }, Nn) => format!("Av omsyn til tryggleiken blir du logga ut etter {minutes} minutt utan at du går vidare i skjemaet. Det du har skrive, går ikkje tapt: logg inn igjen, så kjem du tilbake til det."),
        (SessionLimit { minutes }, En) => format!("For your security you are logged out after {minutes} minutes without moving on in the form. Nothing you have written is lost: log in again, and you come back to it."),
        (LoginFailedTitle, Nb) => "Innloggingen ble ikke fullført".into(),
        (LoginFailedTitle, Nn) => "Innlogginga vart ikkje fullført".into(),
        (LoginFailedTitle, En) => "The login was not completed".into(),
        (LoginFailedBody, Nb) => "Vi kunne ikke bekrefte innloggingen, så du er ikke logget inn. Ingenting er sendt. Prøv å logge inn på nytt.".into(),
        (LoginFailedBody, Nn) => "Vi kunne ikkje stadfeste innlogginga, så du er ikkje logga inn. Ingenting er sendt. Prøv å logge inn på nytt.".into(),
        (LoginFailedBody, En) => "We could not confirm the login, so you are not logged in. Nothing has been sent. Please try to log in again.".into(),
        (LoginUnreachableBody, Nb) => "Innlogging med ID-porten er ikke tilgjengelig akkurat nå. Prøv igjen om litt.".into(),
        (LoginUnreachableBody, Nn) => "Innlogging med ID-porten er ikkje tilgjengeleg akkurat no. Prøv igjen om litt.".into(),
        (LoginUnreachableBody, En) => "Login with ID-porten is not available right now. Please try again in a little while.".into(),
        (LoggedOutTitle, Nb) => "Du er logget ut".into(),
        (LoggedOutTitle, Nn) => "Du er logga ut".into(),
        (LoggedOutTitle, En) => "You are logged out".into(),
        (LoggedOutBody, Nb) => "Du er logget ut av skjematjenesten og ID-porten. Bruker du en datamaskin som andre også bruker, bør du lukke nettleseren.".into(),
        (LoggedOutBody, Nn) => "Du er logga ut av skjematenesta og ID-porten. Brukar du ei datamaskin som andre òg brukar, bør du lukke nettlesaren.".into(),
        (LoggedOutBody, En) => "You are logged out of the forms service and ID-porten. If others use this computer too, close the browser.".into(),
        (MySubmissions, Nb) => "Mine innsendinger".into(),
        (MySubmissions, Nn) => "Mine innsendingar".into(),
        (MySubmissions, En) => "My submissions".into(),
        (MySubmissionsLead, Nb) => "Skjemaene du har sendt mens du var logget inn. Svarene dine er krypterte til saksbehandlerne og vises ikke her. Du kan slette en innsending når ingen lov krever at kommunen tar vare på den. Velg referansen for å se hva som er gjort med innsendingen.".into(),
        (MySubmissionsLead, Nn) => "Skjemaa du har sendt medan du var logga inn. Svara dine er krypterte til sakshandsamarane og blir ikkje viste her. Du kan slette ei innsending når inga lov krev at kommunen tek vare på ho. Vel referansen for å sjå kva som er gjort med innsendinga.".into(),
        (MySubmissionsLead, En) => "The forms you have sent while logged in. Your answers are encrypted for the caseworkers and are not shown here. You can delete a submission when no law requires the municipality to keep it. Choose the reference to see what has been done with it.".into(),
        (MySubmissionsEmpty, Nb) => "Du har ikke sendt noen skjemaer mens du var logget inn.".into(),
        (MySubmissionsEmpty, Nn) => "Du har ikkje sendt nokon skjema medan du var logga inn.".into(),
        (MySubmissionsEmpty, En) => "You have not sent any forms while logged in.".into(),
        (ColumnForm, Nb | Nn) => "Skjema".into(),
        (ColumnForm, En) => "Form".into(),
        (ColumnReceived, Nb | Nn) => "Mottatt".into(),
        (ColumnReceived, En) => "Received".into(),
        (ColumnReference, Nb | Nn) => "Referanse".into(),
        (ColumnReference, En) => "Reference".into(),
        (ColumnStatus, Nb | Nn) => "Status".into(),
        (ColumnStatus, En) => "Status".into(),
        (StatusNew, Nb | Nn) => "Mottatt".into(),
        (StatusNew, En) => "Received".into(),
        (StatusInProgress, Nb) => "Under behandling".into(),
        (StatusInProgress, Nn) => "Under handsaming".into(),
        (StatusInProgress, En) => "Being dealt with".into(),
        (StatusDone, Nb) => "Ferdig behandlet".into(),
        (StatusDone, Nn) => "Ferdig handsama".into(),
        (StatusDone, En) => "Dealt with".into(),
        (Sensitive { label, kinds }, Nb) => format!("«{label}» ser ut til å inneholde {kinds}. Slikt skal ikke sendes i dette skjemaet. Ta det ut, eller bruk det sikre skjemaet."),
        (Sensitive { label, kinds }, Nn) => format!("«{label}» ser ut til å innehalde {kinds}. Slikt skal ikkje sendast i dette skjemaet. Ta det ut, eller bruk det sikre skjemaet."),
        (Sensitive { label, kinds }, En) => format!("“{label}” seems to contain {kinds}. This form must not be used for that. Take it out, or use the secure form."),
        (SensitiveKind(kind), lang) => sensitive_kind(kind, lang).into(),
        (SensitiveWhere, Nb) => "Dette skjemaet er åpent for alle og tar ikke imot sensitive personopplysninger. Vi har ikke lagret noe av det du skrev.".into(),
        (SensitiveWhere, Nn) => "Dette skjemaet er ope for alle og tek ikkje imot sensitive personopplysningar. Vi har ikkje lagra noko av det du skreiv.".into(),
        (SensitiveWhere, En) => "This form is open to anyone and does not take sensitive personal data. Nothing of what you wrote has been stored.".into(),
        (SecureFormLink, Nb) => "Send det i stedet som en sikker melding, med innlogging".into(),
        (SecureFormLink, Nn) => "Send det i staden som ei sikker melding, med innlogging".into(),
        (SecureFormLink, En) => "Send it as a secure message instead, with login".into(),
        (ColumnErase, Nb | Nn) => "Sletting".into(),
        (ColumnErase, En) => "Deletion".into(),
        (EraseLink, Nb | Nn) => "Slett".into(),
        (EraseLink, En) => "Delete".into(),
        (KeptUntil { law, until }, Nb) => format!("Oppbevares til {until} etter {law}"),
        (KeptUntil { law, until }, Nn) => format!("Blir oppbevart til {until} etter {law}"),
        (KeptUntil { law, until }, En) => format!("Kept until {until} under {law}"),
        (EraseTitle, Nb) => "Vil du slette innsendingen?".into(),
        (EraseTitle, Nn) => "Vil du slette innsendinga?".into(),
        (EraseTitle, En) => "Do you want to delete the submission?".into(),
        (EraseLead { form, received, reference }, Nb) => format!("Du sletter «{form}», sendt {received}, med referanse {reference}. Svarene dine og alt annet kommunen har lagret om innsendingen i skjemaløsningen, blir slettet for godt. Det kan ikke angres."),
        (EraseLead { form, received, reference }, Nn) => format!("Du slettar «{form}», sendt {received}, med referanse {reference}. Svara dine og alt anna kommunen har lagra om innsendinga i skjemaløysinga, blir sletta for godt. Det kan ikkje angrast."),
        (EraseLead { form, received, reference }, En) => format!("You are deleting “{form}”, sent {received}, with reference {reference}. Your answers and everything else the municipality has stored about the submission in the forms service are deleted for good. This cannot be undone."),
        (EraseConfirm, Nb) => "Ja, slett innsendingen".into(),
        (EraseConfirm, Nn) => "Ja, slett innsendinga".into(),
        (EraseConfirm, En) => "Yes, delete the submission".into(),
        (EraseCancel, Nb) => "Nei, behold den".into(),
        (EraseCancel, Nn) => "Nei, behald ho".into(),
        (EraseCancel, En) => "No, keep it".into(),
        (ErasedTitle, Nb) => "Innsendingen er slettet".into(),
        (ErasedTitle, Nn) => "Innsendinga er sletta".into(),
        (ErasedTitle, En) => "The submission is deleted".into(),
        (ErasedBody { reference }, Nb) => format!("Innsendingen med referanse {reference} er slettet, med alt kommunen hadde lagret om den i skjemaløsningen."),
        (ErasedBody { reference }, Nn) => format!("Innsendinga med referanse {reference} er sletta, med alt kommunen hadde lagra om ho i skjemaløysinga."),
        (ErasedBody { reference }, En) => format!("The submission with reference {reference} is deleted, with everything the municipality had stored about it in the forms service."),
        (KeptTitle, Nb) => "Innsendingen kan ikke slettes ennå".into(),
        (KeptTitle, Nn) => "Innsendinga kan ikkje slettast enno".into(),
        (KeptTitle, En) => "The submission cannot be deleted yet".into(),
        (KeptBody { law, until }, Nb) => format!("Kommunen må etter {law} oppbevare denne innsendingen til {until}. Da blir den slettet automatisk."),
        (KeptBody { law, until }, Nn) => format!("Kommunen må etter {law} oppbevare denne innsendinga til {until}. Då blir ho sletta automatisk."),
        (KeptBody { law, until }, En) => format!("Under {law}, the municipality must keep this submission until {until}. It is deleted automatically then."),
        (EraseMissingBody, Nb) => "Vi finner ingen innsending med denne referansen blant dine. Kanskje er den allerede slettet.".into(),
        (EraseMissingBody, Nn) => "Vi finn inga innsending med denne referansen blant dine. Kanskje er ho alt sletta.".into(),
        (EraseMissingBody, En) => "We find no submission of yours with this reference. Perhaps it is already deleted.".into(),
        (BackToMySubmissions, Nb) => "Tilbake til Mine innsendinger".into(),
        (BackToMySubmissions, Nn) => "Tilbake til Mine innsendingar".into(),
        (BackToMySubmissions, En) => "Back to My submissions".into(),
        (ColumnTime, Nb | Nn) => "Tid".into(),
        (ColumnTime, En) => "Time".into(),
        (ColumnWhat, Nb) => "Hva".into(),
        (ColumnWhat, Nn) => "Kva".into(),
        (ColumnWhat, En) => "What".into(),
        (ColumnWho, Nb) => "Hvem".into(),
        (ColumnWho, Nn) => "Kven".into(),
        (ColumnWho, En) => "Who".into(),
        (DeletedOn { day }, Nb) => format!("Slettes automatisk {day}"),
        (DeletedOn { day }, Nn) => format!("Blir sletta automatisk {day}"),
        (DeletedOn { day }, En) => format!("Deleted automatically on {day}"),
        (HistoryHeading, Nb) => "Hva som er gjort med innsendingen".into(),
        (HistoryHeading, Nn) => "Kva som er gjort med innsendinga".into(),
        (HistoryHeading, En) => "What has been done with it".into(),
        (HistoryLead, Nb) => "Her ser du når innsendingen kom inn, hvem som har hentet og behandlet den, og om den er sendt videre. Alt dette blir logget.".into(),
        (HistoryLead, Nn) => "Her ser du når innsendinga kom inn, kven som har henta og handsama ho, og om ho er send vidare. Alt dette blir logga.".into(),
        (HistoryLead, En) => "Here you see when it arrived, who has fetched and dealt with it, and whether it has been passed on. All of this is logged.".into(),
        (Event(action), lang) => event_text(action, lang).into(),
        (ByYou, Nb | Nn) => "Deg".into(),
        (ByYou, En) => "You".into(),
        (ByCaseworker { name }, Nb) => format!("{name}, saksbehandler"),
        (ByCaseworker { name }, Nn) => format!("{name}, sakshandsamar"),
        (ByCaseworker { name }, En) => format!("{name}, caseworker"),
        (ByUnnamedCaseworker, Nb) => "En saksbehandler".into(),
        (ByUnnamedCaseworker, Nn) => "Ein sakshandsamar".into(),
        (ByUnnamedCaseworker, En) => "A caseworker".into(),
        (ByMunicipality, Nb | Nn) => "Kommunen".into(),
        (ByMunicipality, En) => "The municipality".into(),
        (PrivacyLink, Nb) => "Slik behandler vi opplysningene dine".into(),
        (PrivacyLink, Nn) => "Slik handsamar vi opplysningane dine".into(),
        (PrivacyLink, En) => "How we process your personal data".into(),
        (PrivacyTitle { form }, Nb | Nn) => format!("Personvern: {form}"),
        (PrivacyTitle { form }, En) => format!("Privacy: {form}"),
        (PrivacyController { name }, Nb) => {
            format!("{name} er behandlingsansvarlig for opplysningene du sender i dette skjemaet.")
        }
        (PrivacyController { name }, Nn) => format!(
            "{name} er behandlingsansvarleg for opplysningane du sender i dette skjemaet."
        ),
        (PrivacyController { name }, En) => {
            format!("{name} is the controller of the data you send in this form.")
        }
        (PrivacyContact, Nb) => "Personvernombudet når du på".into(),
        (PrivacyContact, Nn) => "Personvernombodet når du på".into(),
        (PrivacyContact, En) => "You can reach the data protection officer at".into(),
        (AccessibilityStatement, Nb) => "Tilgjengelighetserklæring".into(),
        (AccessibilityStatement, Nn) => "Tilgjengelegheitserklæring".into(),
        (AccessibilityStatement, En) => "Accessibility statement".into(),
        (PrivacyPurpose, Nb) => "Hva vi bruker opplysningene til".into(),
        (PrivacyPurpose, Nn) => "Kva vi brukar opplysningane til".into(),
        (PrivacyPurpose, En) => "What we use the data for".into(),
        (PrivacyLegalBasis, Nb | Nn) => "Rettslig grunnlag".into(),
        (PrivacyLegalBasis, En) => "Legal basis".into(),
        (PrivacyReaders, Nb) => "Hvem som leser svarene".into(),
        (PrivacyReaders, Nn) => "Kven som les svara".into(),
        (PrivacyReaders, En) => "Who reads your answers".into(),
        (PrivacyReadersBody { queues }, Nb) => format!(
            "Svarene dine krypteres i det øyeblikket vi tar imot dem, slik at bare \
             saksbehandlerne i {queues} kan lese dem. Serveren som tar imot skjemaet, kan \
             ikke lese dem etterpå."
        ),
        (PrivacyReadersBody { queues }, Nn) => format!(
            "Svara dine blir krypterte i det augneblinket vi tek imot dei, slik at berre \
             saksbehandlarane i {queues} kan lese dei. Tenaren som tek imot skjemaet, kan \
             ikkje lese dei etterpå."
        ),
        (PrivacyReadersBody { queues }, En) => format!(
            "Your answers are encrypted the moment we receive them, so that only the \
             caseworkers of {queues} can read them. The server that receives the form cannot \
             read them afterwards."
        ),
        (Or, Nb | Nn) => "eller".into(),
        (Or, En) => "or".into(),
        (PrivacyNoLogin, Nb) => "Skjemaet krever ikke innlogging, og vi lagrer ikke hvem du \
                                 er utover det du selv skriver."
            .into(),
        (PrivacyNoLogin, Nn) => "Skjemaet krev ikkje innlogging, og vi lagrar ikkje kven du \
                                 er utover det du sjølv skriv."
            .into(),
        (PrivacyNoLogin, En) => "The form needs no login, and we keep nothing about who you \
                                 are beyond what you write yourself."
            .into(),
        (PrivacyAddress, Nb) => "For at ingen skal kunne oversvømme skjemaene, teller vi hvor mange \
                                 skjemaer som sendes fra hver nettverksadresse. Vi lagrer ikke \
                                 adressen, bare en nøkkel laget av den, og tellingen slettes \
                                 etter en time."
            .into(),
        (PrivacyAddress, Nn) => "For at ingen skal kunne oversvømme skjemaa, tel vi kor mange \
                                 skjema som blir sende frå kvar nettverksadresse. Vi lagrar ikkje \
                                 adressa, berre ein nøkkel laga av ho, og teljinga blir sletta \
                                 etter ein time."
            .into(),
        (PrivacyAddress, En) => "So that no one can flood the forms, we count how many forms are \
                                 sent from each network address. We do not store the address, \
                                 only a key made from it, and the count is deleted after an hour."
            .into(),
        (PrivacyLogin, Nb) => "Når du logger inn med ID-porten, får vi fødselsnummeret ditt. \
                               Vi lagrer det ikke i klartekst, bare som en nøkkel som lar deg \
                               finne innsendingene dine under Mine innsendinger."
            .into(),
        (PrivacyLogin, Nn) => "Når du loggar inn med ID-porten, får vi fødselsnummeret ditt. \
                               Vi lagrar det ikkje i klartekst, berre som ein nøkkel som lèt \
                               deg finne innsendingane dine under Mine innsendingar."
            .into(),
        (PrivacyLogin, En) => "When you log in with ID-porten, we receive your national \
                               identity number. We do not keep it in plain text, only as a \
                               key that lets you find your submissions under My submissions."
            .into(),
        (PrivacyReceiptMail, Nb) => "Oppgir du en e-postadresse, sender vi deg en kvittering dit \
                                     med skjemaets navn og referansenummeret, ikke svarene dine."
            .into(),
        (PrivacyReceiptMail, Nn) => "Gir du opp ei e-postadresse, sender vi deg ei kvittering dit \
                                     med namnet på skjemaet og referansenummeret, ikkje svara dine."
            .into(),
        (PrivacyReceiptMail, En) => "If you give an e-mail address, we send you a receipt there \
                                     with the form's name and the reference number, not your \
                                     answers."
            .into(),
        (PrivacyKrr, Nb) => "Vi henter e-postadressen og mobilnummeret ditt fra Kontakt- og \
                             reservasjonsregisteret for å fylle ut skjemaet. Du kan endre dem \
                             før du sender."
            .into(),
        (PrivacyKrr, Nn) => "Vi hentar e-postadressa og mobilnummeret ditt frå Kontakt- og \
                             reservasjonsregisteret for å fylle ut skjemaet. Du kan endre dei \
                             før du sender."
            .into(),
        (PrivacyKrr, En) => "We fetch your e-mail address and mobile number from the Common \
                             Contact Register (KRR) to fill in the form. You can change them \
                             before you send."
            .into(),
        (PrivacyRetention, Nb) => "Hvor lenge vi tar vare på dem".into(),
        (PrivacyRetention, Nn) => "Kor lenge vi tek vare på dei".into(),
        (PrivacyRetention, En) => "How long we keep them".into(),
        (PrivacyRetentionBody { months }, Nb) => {
            format!("Vi sletter innsendingen {months} måneder etter at vi tok imot den.")
        }
        (PrivacyRetentionBody { months }, Nn) => {
            format!("Vi slettar innsendinga {months} månader etter at vi tok imot ho.")
        }
        (PrivacyRetentionBody { months }, En) => {
            format!("We delete the submission {months} months after we received it.")
        }
        (PrivacyRetentionLaw { law }, Nb) => format!("Etter {law} må vi ta vare på den så lenge."),
        (PrivacyRetentionLaw { law }, Nn) => format!("Etter {law} må vi ta vare på ho så lenge."),
        (PrivacyRetentionLaw { law }, En) => format!("Under {law}, we must keep it that long."),
        (PrivacyRetentionErasable, Nb) => "Du kan be om å få den slettet før det.".into(),
        (PrivacyRetentionErasable, Nn) => "Du kan be om å få ho sletta før det.".into(),
        (PrivacyRetentionErasable, En) => "You may ask us to delete it sooner.".into(),
        (PrivacyRights, Nb) => "Dine rettigheter".into(),
        (PrivacyRights, Nn) => "Rettane dine".into(),
        (PrivacyRights, En) => "Your rights".into(),
        (PrivacyRightsBody, Nb) => "Du har rett til å få vite hvilke opplysninger vi har om \
                                    deg, få feil rettet, og få opplysninger slettet når ingen \
                                    lov krever at vi tar vare på dem. Du kan også be om at \
                                    behandlingen begrenses, og protestere mot den."
            .into(),
        (PrivacyRightsBody, Nn) => "Du har rett til å få vite kva opplysningar vi har om deg, \
                                    få feil retta, og få opplysningar sletta når ingen lov krev \
                                    at vi tek vare på dei. Du kan òg be om at handsaminga blir \
                                    avgrensa, og protestere mot ho."
            .into(),
        (PrivacyRightsBody, En) => "You have the right to know what data we hold about you, \
                                    to have errors corrected, and to have data deleted when no \
                                    law requires us to keep it. You may also ask us to restrict \
                                    the processing, and object to it."
            .into(),
        (PrivacyRequestForms, Nb) => "Du kan be om dette med disse skjemaene:".into(),
        (PrivacyRequestForms, Nn) => "Du kan be om dette med desse skjemaa:".into(),
        (PrivacyRequestForms, En) => "You can ask for this with these forms:".into(),
        (PrivacyMine, Nb) => "Det du har sendt som innlogget, og hvem som har hentet og behandlet det, finner du under".into(),
        (PrivacyMine, Nn) => "Det du har sendt som innlogga, og kven som har henta og handsama det, finn du under".into(),
        (PrivacyMine, En) => "What you have sent while logged in, and who has fetched and dealt with it, is under".into(),
        (PrivacyComplaint, Nb) => "Mener du at vi behandler opplysningene dine i strid med \
                                   regelverket, kan du klage til"
            .into(),
        (PrivacyComplaint, Nn) => "Meiner du at vi handsamar opplysningane dine i strid med \
                                   regelverket, kan du klage til"
            .into(),
        (PrivacyComplaint, En) => "If you believe we process your data in breach of the rules, \
                                   you may complain to"
            .into(),
        (DataProtectionAuthority, Nb | Nn) => "Datatilsynet".into(),
        (DataProtectionAuthority, En) => {
            "the Norwegian Data Protection Authority (Datatilsynet)".into()
        }
    }
}

/// What a kind of sensitive data is called in a sentence.
fn sensitive_kind(kind: crate::guard::Kind, lang: Lang) -> &'static str {
    use crate::guard::Kind::*;
    match (kind, lang) {
        (IdNumber, Lang::Nb | Lang::Nn) => "et fødselsnummer eller D-nummer",
        (IdNumber, Lang::En) => "a national identity number",
        (Health, Lang::Nb) => "helseopplysninger",
        (Health, Lang::Nn) => "helseopplysningar",
        (Health, Lang::En) => "health details",
        (SpecialCategory, Lang::Nb) => {
            "opplysninger om tro, etnisitet, politisk syn, fagforening eller seksuell orientering"
        }
        (SpecialCategory, Lang::Nn) => {
            "opplysningar om tru, etnisitet, politisk syn, fagforeining eller seksuell legning"
        }
        (SpecialCategory, Lang::En) => {
            "details of belief, ethnicity, political views, union membership or sexual orientation"
        }
        (Criminal, Lang::Nb) => "opplysninger om straffbare forhold",
        (Criminal, Lang::Nn) => "opplysningar om straffbare forhold",
        (Criminal, Lang::En) => "details of criminal matters",
        (ChildWelfare, Lang::Nb) => "opplysninger om barnevern eller foreldretvister",
        (ChildWelfare, Lang::Nn) => "opplysningar om barnevern eller foreldretvistar",
        (ChildWelfare, Lang::En) => "details of child welfare or custody",
        (Financial, Lang::Nb) => "opplysninger om økonomi, kontonummer eller kortnummer",
        (Financial, Lang::Nn) => "opplysningar om økonomi, kontonummer eller kortnummer",
        (Financial, Lang::En) => "details of personal finances, account or card numbers",
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
