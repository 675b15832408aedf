//! Bounce mails of newsletters: each newsletter mail leaves with an envelope sender of
//! its own (`retur+TAG@kommune.no` for `[mail] bounce_address = "retur@kommune.no"`), so
//! that a bounce mail the recipient's mail system sends back later says, by the address
//! it comes to, which subscription and newsletter it is about. The mail system hands
//! such mail to `forms admin bounce` (a Postfix `pipe` transport, say), which counts a
//! delivery status notification (RFC 3464) that says the mail failed as a refusal of
//! that newsletter, as if the mail server had refused it at sending.
//!
//! The tag is the subscription's id and an HMAC of it and the newsletter's id, keyed
//! from the field vault: neither the address nor anything else about the subscriber is
//! in it, and a tag cannot be made up to end somebody's subscription. Only a bounce of
//! the newsletter the address was mailed last counts; one that is late (the next
//! newsletter has gone out since) or comes twice does not. Tags are made with a key
//! derived from the vault's newest key and checked with the one of each key, so a
//! bounce of a mail sent before a newer vault key came still counts.

use forms_crypto::vault::Keyring;

use crate::auth::PidKey;
use crate::store::{Op, Store, StoreError};

/// The HMAC digits in a tag: 48 bits, so a made-up tag is right once in 2^48 tries.
const MAC_DIGITS: usize = 12;
/// A subscription's id: 128 bits in hex.
const ID_DIGITS: usize = 32;
/// What the tag adds to the local part: `+`, the id, `.` and the HMAC.
const TAG_LEN: usize = 1 + ID_DIGITS + 1 + MAC_DIGITS;
/// The longest local part of an address (RFC 5321, 4.5.3.1.1).
const LOCAL_MAX: usize = 64;

/// The address bounce mails come back to, without a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceAddress {
    local: String,
    domain: String,
}

impl BounceAddress {
    /// `retur@kommune.no`: a plain address whose local part leaves room for a tag, and
    /// that has no `+` of its own (the mail system delivers `retur+anything` to it).
    pub fn parse(text: &str) -> Result<BounceAddress, String> {
        let text = text.trim();
        let bad = |why: &str| format!("[mail] bounce_address = \"{text}\": {why}");
        if !validator::ValidateEmail::validate_email(&text) {
            return Err(bad("not an e-mail address"));
        }
        let Some((local, domain)) = text.rsplit_once('@') else {
            return Err(bad("not an e-mail address"));
        };
        if local.contains('+') || local.contains('"') {
            return Err(bad(
                "give the address without a \"+\": the server adds one and a tag to it",
            ));
        }
        if local.len() + TAG_LEN > LOCAL_MAX {
            return Err(bad(&format!(
                "the part before the @ may have at most {} characters, since the tag \
                 the server adds takes {TAG_LEN} of the {LOCAL_MAX} an address allows",
                LOCAL_MAX - TAG_LEN
            )));
        }
        Ok(BounceAddress {
            local: local.to_string(),
            domain: domain.to_ascii_lowercase(),
        })
    }

    /// The envelope sender of a mail with this tag.
    pub fn with_tag(&self, tag: &str) -> String {
        format!("{}+{tag}@{}", self.local, self.domain)
    }

    /// The tag of `recipient` if it is this address with one (the local part and the
    /// domain whatever their case, since mail systems may change it).
    pub fn tag_of<'a>(&self, recipient: &'a str) -> Option<&'a str> {
        let recipient = recipient
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        let (local, domain) = recipient.rsplit_once('@')?;
        let (base, tag) = local.split_once('+')?;
        (base.eq_ignore_ascii_case(&self.local) && domain.eq_ignore_ascii_case(&self.domain))
            .then_some(tag)
    }
}

/// Makes and checks the tags, with a key derived from each vault key, newest first.
pub struct BounceTags(Vec<PidKey>);

impl BounceTags {
    pub fn new(vault: &Keyring) -> Result<BounceTags, String> {
        let keys = vault
            .derive_each("newsletter-bounce")
            .map_err(|_| "the field vault's keys ([vault] key_file)".to_string())?;
        Ok(BounceTags(
            keys.iter().map(|key| PidKey::new(&key[..])).collect(),
        ))
    }

    fn mac(key: &PidKey, subscription: &str, newsletter: &str) -> String {
        let mut mac = key.mac("newsletter-bounce", &format!("{subscription}.{newsletter}"));
        mac.truncate(MAC_DIGITS);
        mac
    }

    /// The tag of the mail of `newsletter` to `subscription`, under the newest key.
    pub fn tag(&self, subscription: &str, newsletter: &str) -> String {
        let mac = self
            .0
            .first()
            .map(|key| Self::mac(key, subscription, newsletter))
            .unwrap_or_default();
        format!("{subscription}.{mac}")
    }

    /// The subscription a tag names, whatever its case, if it has a tag's shape.
    fn subscription_in(tag: &str) -> Option<(String, &str)> {
        let (id, mac) = tag.split_once('.')?;
        let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        (hex(id, ID_DIGITS) && hex(mac, MAC_DIGITS)).then(|| (id.to_ascii_lowercase(), mac))
    }

    /// Whether `mac` is the tag's HMAC for this subscription and newsletter under any
    /// of the keys.
    fn fits(&self, subscription: &str, newsletter: &str, mac: &str) -> bool {
        let mac = mac.to_ascii_lowercase();
        self.0.iter().any(|key| {
            crate::web::constant_time_eq(
                Self::mac(key, subscription, newsletter).as_bytes(),
                mac.as_bytes(),
            )
        })
    }
}

/// What a delivery status notification says of the mail it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `Action: failed`: the mail was not delivered and will not be.
    Failed,
    /// Any other action (`delayed`, `delivered`, `relayed`, `expanded`): nothing to count.
    Other(String),
    /// No `message/delivery-status` part: an out-of-office answer or other mail, not a
    /// report a machine can read.
    NotAReport,
}

/// Reads the delivery status part of a bounce mail (RFC 3464): failed if any recipient's
/// `Action` field says so.
pub fn status_of(message: &[u8]) -> Status {
    let text = String::from_utf8_lossy(message);
    let lower = text.to_ascii_lowercase();
    let Some(at) = find_part(&lower, "message/delivery-status") else {
        return Status::NotAReport;
    };
    // The part's own header ends at its first empty line; its fields follow, in
    // groups, up to the next boundary line.
    let rest = &text[at..];
    let body = rest
        .split_once("\r\n\r\n")
        .or_else(|| rest.split_once("\n\n"))
        .map_or("", |(_, body)| body);
    let mut actions = Vec::new();
    for line in body.lines() {
        if line.starts_with("--") {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("action")
        {
            // The action is one word; some mail systems add a comment after it.
            let action = value.split_whitespace().next().unwrap_or_default();
            actions.push(action.to_ascii_lowercase());
        }
    }
    if actions.iter().any(|a| a == "failed") {
        Status::Failed
    } else {
        Status::Other(actions.into_iter().next().unwrap_or_default())
    }
}

/// Where the header line `Content-Type: <kind>` of a part starts, in lower-case text.
fn find_part(lower: &str, kind: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = lower[from..].find("content-type:") {
        let at = from + found;
        let starts_line = at == 0 || lower.as_bytes()[at - 1] == b'\n';
        let value = lower[at + "content-type:".len()..].trim_start();
        if starts_line && value.starts_with(kind) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The address a bounce mail came to, from the header fields a mail system adds on
/// delivery (`X-Original-To`, `Delivered-To`), else from `To`: the first of them, in
/// the message's own header, that has a tag of `address`.
pub fn recipient_in(message: &[u8], address: &BounceAddress) -> Option<String> {
    let text = String::from_utf8_lossy(message);
    let head = text
        .split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"))
        .map_or(text.as_ref(), |(head, _)| head);
    for name in ["x-original-to", "delivered-to", "to"] {
        for line in head.lines() {
            let Some((field, value)) = line.split_once(':') else {
                continue;
            };
            if !field.trim().eq_ignore_ascii_case(name) {
                continue;
            }
            let found = value
                .split([',', ' ', '\t'])
                .map(|w| w.trim().trim_start_matches('<').trim_end_matches('>'))
                .find(|w| address.tag_of(w).is_some());
            if let Some(found) = found {
                return Some(found.to_string());
            }
        }
    }
    None
}

/// What became of a bounce mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Counted as a refusal of the newsletter; `ended` if the subscription ended so.
    Counted { ended: bool },
    /// Not to a tagged bounce address, or a tag that is not the server's: ignored.
    NotOurs,
    /// The report does not say the mail failed: ignored.
    NotFailed(Status),
    /// The tag does not name the newsletter last mailed to a subscription that is
    /// still there: the bounce is late (another newsletter went out since), was counted
    /// before, or the tag is not the server's. Ignored.
    Stale,
}

/// Takes in one bounce mail that came to `recipient`, and counts it as a refusal of
/// the newsletter it names if it reports a failure. `end_at` refusals in a row end a
/// subscription.
pub async fn take_in(
    store: &Store,
    tags: &BounceTags,
    address: &BounceAddress,
    recipient: &str,
    message: &[u8],
    end_at: i64,
) -> Result<Outcome, StoreError> {
    let Some((subscription, mac)) = address
        .tag_of(recipient)
        .and_then(BounceTags::subscription_in)
    else {
        return Ok(Outcome::NotOurs);
    };
    if let other @ (Status::Other(_) | Status::NotAReport) = status_of(message) {
        return Ok(Outcome::NotFailed(other));
    }
    let Some(Some(newsletter)) = store.subscription_last_taken(&subscription).await? else {
        return Ok(Outcome::Stale);
    };
    if !tags.fits(&subscription, &newsletter, mac) {
        return Ok(Outcome::Stale);
    }
    let op = Op::SubscriptionBounced {
        id: subscription.clone(),
        newsletter,
        end_at,
    };
    match store.write(vec![op]).await {
        Ok(()) => {}
        Err(StoreError::Gone) => return Ok(Outcome::Stale),
        Err(err) => return Err(err),
    }
    let ended = store
        .subscription_last_taken(&subscription)
        .await?
        .is_none();
    Ok(Outcome::Counted { ended })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bounce mail as a mail system sends it back: a multipart/report whose second
    /// part is the delivery status, and a copy of the mail's header after it.
    fn report(action: &str, status: &str, to: &str) -> String {
        format!(
            "Return-Path: <>\r\nX-Original-To: {to}\r\nDelivered-To: {to}\r\n\
             From: MAILER-DAEMON@mx.example.no (Mail Delivery System)\r\nTo: {to}\r\n\
             Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status;\r\n\
             \tboundary=\"B1\"\r\n\r\n\
             --B1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
             The mail could not be delivered.\r\nAction: failed\r\n\r\n\
             --B1\r\nContent-Type: message/delivery-status\r\n\r\n\
             Reporting-MTA: dns; mx.example.no\r\n\r\n\
             Final-Recipient: rfc822; someone@example.no\r\n\
             Action: {action}\r\nStatus: {status}\r\n\
             Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n\r\n\
             --B1\r\nContent-Type: text/rfc822-headers\r\n\r\n\
             Subject: Veiarbeid\r\n\r\n--B1--\r\n"
        )
    }

    #[test]
    fn a_bounce_address_leaves_room_for_its_tag_and_has_no_tag_of_its_own() {
        let address = BounceAddress::parse("Retur@Skjema.Kommune.no").unwrap();
        let tagged = address.with_tag("abc.def");
        assert_eq!(tagged, "Retur+abc.def@skjema.kommune.no");
        assert_eq!(
            address.tag_of("retur+ABC.def@SKJEMA.kommune.no"),
            Some("ABC.def")
        );
        assert_eq!(address.tag_of("<Retur+x@skjema.kommune.no>"), Some("x"));
        assert_eq!(address.tag_of("retur@skjema.kommune.no"), None);
        assert_eq!(address.tag_of("retur+x@kommune.no"), None);
        assert_eq!(address.tag_of("annen+x@skjema.kommune.no"), None);

        let long = format!("{}@kommune.no", "r".repeat(LOCAL_MAX - TAG_LEN));
        assert!(BounceAddress::parse(&long).is_ok());
        let longer = format!("r{long}");
        let why = BounceAddress::parse(&longer).unwrap_err();
        assert!(why.contains("at most 18 characters"), "{why}");
        let why = BounceAddress::parse("retur+nyhet@kommune.no").unwrap_err();
        assert!(why.contains("without a \"+\""), "{why}");
        let why = BounceAddress::parse("retur").unwrap_err();
        assert!(why.contains("not an e-mail address"), "{why}");
    }

    #[test]
    fn a_tag_names_its_subscription_and_fits_only_its_own_newsletter() {
        let ring =
            Keyring::parse("k1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n")
                .unwrap();
        let tags = BounceTags::new(&ring).unwrap();
        let subscription = "0123456789abcdef0123456789abcdef";
        let tag = tags.tag(subscription, "n1");
        assert_eq!(tag.len(), TAG_LEN - 1);
        let address = BounceAddress::parse("retur@kommune.no").unwrap();
        assert!(address.with_tag(&tag).split('@').next().unwrap().len() <= LOCAL_MAX);
        let (id, mac) = BounceTags::subscription_in(&tag).unwrap();
        assert_eq!(id, subscription);
        assert!(tags.fits(&id, "n1", mac));
        assert!(
            tags.fits(&id, "n1", &mac.to_ascii_uppercase()),
            "a mail system may change the case"
        );
        assert!(!tags.fits(&id, "n2", mac), "another newsletter's bounce");
        let other = "fedcba9876543210fedcba9876543210";
        assert!(
            !tags.fits(other, "n1", mac),
            "the tag moved to another subscription"
        );
        let newer = Keyring::parse(
            "k1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n\
             k2 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n",
        )
        .unwrap();
        let newer = BounceTags::new(&newer).unwrap();
        assert!(
            newer.fits(&id, "n1", mac),
            "a tag made before a newer vault key came"
        );
        assert_ne!(
            newer.tag(subscription, "n1"),
            tag,
            "new tags under the newer key"
        );
        assert_eq!(BounceTags::subscription_in("kari.nordmann"), None);
        assert_eq!(BounceTags::subscription_in(subscription), None);
    }

    #[test]
    fn only_a_delivery_status_that_says_failed_counts() {
        let to = "retur+x@kommune.no";
        assert_eq!(
            status_of(report("failed", "5.1.1", to).as_bytes()),
            Status::Failed
        );
        let unix = report("failed", "5.1.1", to).replace("\r\n", "\n");
        assert_eq!(status_of(unix.as_bytes()), Status::Failed);
        let commented = report("Failed (mailbox gone)", "5.1.1", to);
        assert_eq!(status_of(commented.as_bytes()), Status::Failed);
        // The text part says "Action: failed" too, but only the report's fields count.
        assert_eq!(
            status_of(report("delayed", "4.4.1", to).as_bytes()),
            Status::Other("delayed".into())
        );
        let auto_reply = "From: kari@example.no\r\nSubject: Fravær\r\n\r\nAction: failed\r\n";
        assert_eq!(status_of(auto_reply.as_bytes()), Status::NotAReport);
    }

    #[test]
    fn the_recipient_is_read_from_the_delivery_headers() {
        let address = BounceAddress::parse("retur@kommune.no").unwrap();
        let message = report("failed", "5.1.1", "retur+abc.def@kommune.no");
        assert_eq!(
            recipient_in(message.as_bytes(), &address).as_deref(),
            Some("retur+abc.def@kommune.no")
        );
        let plain = "To: Kommunen <retur+t.u@kommune.no>, annen@example.no\n\nhei\n";
        assert_eq!(
            recipient_in(plain.as_bytes(), &address).as_deref(),
            Some("retur+t.u@kommune.no")
        );
        let elsewhere = "To: postmottak@kommune.no\n\nX-Original-To: retur+t.u@kommune.no\n";
        assert_eq!(recipient_in(elsewhere.as_bytes(), &address), None);
    }
}
