//! Sealing submissions to caseworkers' age X25519 keys.
//!
//! [`seal`] writes age's standard binary format (age-encryption.org/v1), so a sealed
//! submission opens with the `age` command-line tool and the caseworker's identity file
//! as well as with [`open`]. The server holds [`Recipient`]s only; [`Identity`] is for the
//! caseworker's own machine and for tests.

use std::fmt;
use std::io::{Read, Write};
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

/// A caseworker's public key (`age1…`), to which submissions are sealed.
#[derive(Clone)]
pub struct Recipient(age::x25519::Recipient);

impl FromStr for Recipient {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        if text.starts_with("AGE-SECRET-KEY-") {
            return Err(KeyError::SecretWherePublicExpected);
        }
        if !text.starts_with("age1") {
            return Err(KeyError::WrongPrefix {
                expected: "age1",
                found: text.chars().take(8).collect(),
            });
        }
        age::x25519::Recipient::from_str(text)
            .map(Recipient)
            .map_err(|reason| KeyError::Malformed(reason.to_string()))
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({})", self.0)
    }
}

impl PartialEq for Recipient {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Recipient {}

/// A caseworker's secret key (`AGE-SECRET-KEY-1…`). Never on the server.
#[derive(Clone)]
pub struct Identity(age::x25519::Identity);

impl Identity {
    /// A fresh identity from the operating system's random number generator.
    pub fn generate() -> Self {
        Identity(age::x25519::Identity::generate())
    }

    /// The public key that seals to this identity.
    pub fn recipient(&self) -> Recipient {
        Recipient(self.0.to_public())
    }

    /// The identity as an age identity file, the way `age-keygen` writes it.
    /// The returned text is wiped from memory when dropped.
    pub fn to_identity_file(&self, created: &str) -> Zeroizing<String> {
        let secret = self.0.to_string();
        Zeroizing::new(format!(
            "# created: {created}\n# public key: {}\n{}\n",
            self.recipient(),
            secret.expose_secret()
        ))
    }

    /// Parses the identities of an age identity file: one `AGE-SECRET-KEY-1…` a line,
    /// `#` comments and blank lines allowed. At least one identity is required.
    pub fn parse_file(text: &str) -> Result<Vec<Identity>, KeyError> {
        let mut identities = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let identity = line.parse::<Identity>().map_err(|err| KeyError::AtLine {
                line: index + 1,
                source: Box::new(err),
            })?;
            identities.push(identity);
        }
        if identities.is_empty() {
            return Err(KeyError::NoIdentityInFile);
        }
        Ok(identities)
    }
}

impl FromStr for Identity {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        if text.starts_with("age1") {
            return Err(KeyError::PublicWhereSecretExpected);
        }
        if !text.starts_with("AGE-SECRET-KEY-1") {
            // Do not echo any of it: it may be a mistyped secret.
            return Err(KeyError::WrongPrefix {
                expected: "AGE-SECRET-KEY-1",
                found: String::from("(hidden)"),
            });
        }
        age::x25519::Identity::from_str(text)
            .map(Identity)
            .map_err(|reason| KeyError::Malformed(reason.to_string()))
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity(public key {})", self.recipient())
    }
}

/// Why a key could not be parsed. Never contains secret material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    Empty,
    WrongPrefix {
        expected: &'static str,
        found: String,
    },
    SecretWherePublicExpected,
    PublicWhereSecretExpected,
    Malformed(String),
    NoIdentityInFile,
    AtLine {
        line: usize,
        source: Box<KeyError>,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty => f.write_str("the key is empty"),
            KeyError::WrongPrefix { expected, found } => {
                write!(
                    f,
                    "expected a key starting with '{expected}', found '{found}'"
                )
            }
            KeyError::SecretWherePublicExpected => f.write_str(
                "this is a secret key (AGE-SECRET-KEY-…); give the public key (age1…) \
                 and keep the secret key on the caseworker's machine",
            ),
            KeyError::PublicWhereSecretExpected => f.write_str(
                "this is a public key (age1…); an identity (AGE-SECRET-KEY-1…) is needed",
            ),
            KeyError::Malformed(reason) => write!(f, "not a valid age X25519 key: {reason}"),
            KeyError::NoIdentityInFile => {
                f.write_str("the identity file holds no AGE-SECRET-KEY-1… line")
            }
            KeyError::AtLine { line, source } => write!(f, "line {line}: {source}"),
        }
    }
}

impl std::error::Error for KeyError {}

/// Why sealing or opening failed.
#[derive(Debug)]
pub enum SealError {
    NoRecipients,
    Encrypt(String),
    /// None of the given identities is among the ciphertext's recipients.
    NotForTheseKeys,
    /// The ciphertext is not an age file, or it was altered.
    Corrupt(String),
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealError::NoRecipients => f.write_str("there are no recipients to seal to"),
            SealError::Encrypt(reason) => write!(f, "sealing failed: {reason}"),
            SealError::NotForTheseKeys => {
                f.write_str("this was not sealed to any of the given identities")
            }
            SealError::Corrupt(reason) => write!(f, "not a valid sealed payload: {reason}"),
        }
    }
}

impl std::error::Error for SealError {}

/// Seals `plaintext` to every recipient, in age's binary format.
pub fn seal(plaintext: &[u8], recipients: &[Recipient]) -> Result<Vec<u8>, SealError> {
    if recipients.is_empty() {
        return Err(SealError::NoRecipients);
    }
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| &r.0 as &dyn age::Recipient))
            .map_err(|err| SealError::Encrypt(err.to_string()))?;
    // age adds a header of about 100 bytes a recipient, a nonce and a 16-byte tag a 64 KiB chunk.
    let mut out = Vec::with_capacity(plaintext.len() + 64 + 100 * recipients.len());
    let mut writer = encryptor
        .wrap_output(&mut out)
        .map_err(|err| SealError::Encrypt(err.to_string()))?;
    writer
        .write_all(plaintext)
        .and_then(|()| writer.finish().map(|_| ()))
        .map_err(|err| SealError::Encrypt(err.to_string()))?;
    Ok(out)
}

/// Opens a sealed payload with any of the given identities.
pub fn open(ciphertext: &[u8], identities: &[Identity]) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let decryptor = age::Decryptor::new_buffered(ciphertext)
        .map_err(|err| SealError::Corrupt(err.to_string()))?;
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| &i.0 as &dyn age::Identity))
        .map_err(|err| match err {
            age::DecryptError::NoMatchingKeys => SealError::NotForTheseKeys,
            other => SealError::Corrupt(other.to_string()),
        })?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    reader
        .read_to_end(&mut plaintext)
        .map_err(|err| SealError::Corrupt(err.to_string()))?;
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_recipient_opens_alone_and_others_cannot() {
        let (a, b, stranger) = (
            Identity::generate(),
            Identity::generate(),
            Identity::generate(),
        );
        let sealed = seal(b"hei kommunen", &[a.recipient(), b.recipient()]).unwrap();
        assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
        assert!(!sealed.windows(12).any(|w| w == b"hei kommunen"));
        assert_eq!(
            &open(&sealed, std::slice::from_ref(&a)).unwrap()[..],
            b"hei kommunen"
        );
        assert_eq!(&open(&sealed, &[b]).unwrap()[..], b"hei kommunen");
        assert!(matches!(
            open(&sealed, &[stranger]),
            Err(SealError::NotForTheseKeys)
        ));
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(matches!(open(&tampered, &[a]), Err(SealError::Corrupt(_))));
    }

    #[test]
    fn sealing_needs_a_recipient() {
        assert!(matches!(seal(b"x", &[]), Err(SealError::NoRecipients)));
    }

    #[test]
    fn identity_file_round_trips() {
        let id = Identity::generate();
        let file = id.to_identity_file("2026-11-23T12:00:00Z");
        let parsed = Identity::parse_file(&file).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].recipient(), id.recipient());
    }

    #[test]
    fn key_errors_say_what_is_wrong() {
        let id = Identity::generate();
        let public = id.recipient().to_string();
        let secret = id.0.to_string().expose_secret().to_string();
        let cases: Vec<(&str, KeyError)> = vec![
            ("", KeyError::Empty),
            (&secret, KeyError::SecretWherePublicExpected),
            (
                "ssh-ed25519 AAAA",
                KeyError::WrongPrefix {
                    expected: "age1",
                    found: "ssh-ed25".into(),
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                input.parse::<Recipient>().unwrap_err(),
                expected,
                "{input:?}"
            );
        }
        // Change the last character, whatever it is, so the checksum no longer fits.
        let last = if public.ends_with('x') { 'y' } else { 'x' };
        let broken = format!("{}{last}", &public[..public.len() - 1]);
        assert!(matches!(
            broken.parse::<Recipient>(),
            Err(KeyError::Malformed(_))
        ));
        assert_eq!(
            public.parse::<Identity>().unwrap_err(),
            KeyError::PublicWhereSecretExpected
        );
        let err = Identity::parse_file("# comment\n\nnot-a-key\n").unwrap_err();
        assert!(err.to_string().starts_with("line 3:"), "{err}");
        assert!(!err.to_string().contains("not-a-key"));
        assert_eq!(
            Identity::parse_file("# only comments\n").unwrap_err(),
            KeyError::NoIdentityInFile
        );
    }
}
