//! The field vault: AES-256-GCM for data the server must read again.
//!
//! A [`Keyring`] holds one or more 256-bit keys, each with a short id. The newest key (the
//! last one loaded) encrypts; every key decrypts, so keys rotate without downtime: add a
//! new key, restart, re-encrypt what is stored ([`Keyring::reencrypt`]), then drop the
//! old key.
//!
//! A ciphertext is `0x01 | id length | id | 12-byte nonce | ciphertext and tag`. The key
//! id and the value's [`Place`] (table, column, row id) are bound as associated data, so
//! a ciphertext copied to another row or column fails to open.
//!
//! Key file format, one key a line, oldest first, `#` comments allowed:
//!
//! ```text
//! # id   key: 64 hexadecimal characters (32 random bytes)
//! 2026a  5f0c…
//! ```

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;
const MAX_ID_LEN: usize = 32;
const AAD_DOMAIN: &[u8] = b"forms-vault/v1";
const DERIVE_DOMAIN: &[u8] = b"forms-vault-derive/v1";

/// Where a vault value lives. Bound into every ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

struct VaultKey {
    id: String,
    cipher: Aes256Gcm,
    /// The key itself, only for [`Keyring::derive`].
    secret: Zeroizing<Vec<u8>>,
}

/// The server's vault keys. The last key encrypts; all keys decrypt.
pub struct Keyring {
    keys: Vec<VaultKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.ids().collect();
        write!(f, "Keyring(keys {ids:?})")
    }
}

impl Keyring {
    /// Builds a keyring from `(id, 32-byte key)` pairs, oldest first.
    pub fn new<'a>(
        keys: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<Keyring, VaultKeyError> {
        let mut ring = Keyring { keys: Vec::new() };
        for (id, key) in keys {
            ring.push(id, key, None)?;
        }
        if ring.keys.is_empty() {
            return Err(VaultKeyError::NoKeys);
        }
        Ok(ring)
    }

    /// Parses a key file (see the module documentation).
    pub fn parse(text: &str) -> Result<Keyring, VaultKeyError> {
        let mut ring = Keyring { keys: Vec::new() };
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line_no = Some(index + 1);
            let mut parts = line.split_whitespace();
            let (Some(id), Some(hex_key), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(VaultKeyError::Line {
                    line: index + 1,
                    reason: "expected two words: a key id and 64 hexadecimal characters".into(),
                });
            };
            let key =
                Zeroizing::new(
                    crate::hex::decode(hex_key).ok_or_else(|| VaultKeyError::Line {
                        line: index + 1,
                        reason: format!("key '{id}' is not hexadecimal"),
                    })?,
                );
            ring.push(id, &key, line_no)?;
        }
        if ring.keys.is_empty() {
            return Err(VaultKeyError::NoKeys);
        }
        Ok(ring)
    }

    /// A fresh key line for a key file, `id` followed by 32 random bytes in hex.
    pub fn generate_key_line(id: &str) -> Result<Zeroizing<String>, VaultKeyError> {
        check_id(id, None)?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        crate::random_bytes(&mut key[..]).map_err(|_| VaultKeyError::NoRandomness)?;
        Ok(Zeroizing::new(format!(
            "{id} {}\n",
            crate::hex::encode(&key[..])
        )))
    }

    fn push(&mut self, id: &str, key: &[u8], line: Option<usize>) -> Result<(), VaultKeyError> {
        check_id(id, line)?;
        if self.keys.iter().any(|k| k.id == id) {
            return Err(VaultKeyError::DuplicateId(id.to_string()));
        }
        if key.len() != KEY_LEN {
            return Err(VaultKeyError::WrongLength {
                id: id.to_string(),
                found: key.len(),
            });
        }
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| VaultKeyError::WrongLength {
            id: id.to_string(),
            found: key.len(),
        })?;
        self.keys.push(VaultKey {
            id: id.to_string(),
            cipher,
            secret: Zeroizing::new(key.to_vec()),
        });
        Ok(())
    }

    /// The ids of the keys, oldest first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }

    /// The id of the key that encrypts.
    pub fn current_id(&self) -> &str {
        self.keys.last().map(|k| k.id.as_str()).unwrap_or_default()
    }

    /// A key for another `purpose` than the vault's, derived from the newest key with
    /// HMAC-SHA256: the same on every server that loads the same key file, and a new
    /// one when a newer key is added.
    pub fn derive(&self, purpose: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
        self.derive_each(purpose)?
            .into_iter()
            .next()
            .ok_or(VaultError::NoKeys)
    }

    /// The key for `purpose` derived from each key of the ring, newest first: what was
    /// derived before a newer key was added is among them until its key leaves.
    pub fn derive_each(&self, purpose: &str) -> Result<Vec<Zeroizing<[u8; KEY_LEN]>>, VaultError> {
        use hmac::{Hmac, Mac};
        if self.keys.is_empty() {
            return Err(VaultError::NoKeys);
        }
        let mut derived = Vec::with_capacity(self.keys.len());
        for key in self.keys.iter().rev() {
            let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key.secret)
                .map_err(|_| VaultError::Failed)?;
            mac.update(DERIVE_DOMAIN);
            mac.update(&[0]);
            mac.update(purpose.as_bytes());
            let mut out = Zeroizing::new([0u8; KEY_LEN]);
            out.copy_from_slice(&mac.finalize().into_bytes());
            derived.push(out);
        }
        Ok(derived)
    }

    /// Encrypts `plaintext` for `place` under the newest key.
    pub fn encrypt(&self, place: Place<'_>, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let key = self.keys.last().ok_or(VaultError::NoKeys)?;
        let mut nonce = [0u8; NONCE_LEN];
        crate::random_bytes(&mut nonce).map_err(|_| VaultError::NoRandomness)?;
        let aad = associated_data(&key.id, place);
        let sealed = key
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Failed)?;
        let mut out = Vec::with_capacity(2 + key.id.len() + NONCE_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.push(key.id.len() as u8);
        out.extend_from_slice(key.id.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts a vault ciphertext that must belong to `place`.
    pub fn decrypt(
        &self,
        place: Place<'_>,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let Parts { id, nonce, sealed } = Parts::of(ciphertext)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| VaultError::UnknownKey(id.to_string()))?;
        let aad = associated_data(id, place);
        key.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Failed)
    }

    /// The same value under the newest key, for the same place; `None` when it is under
    /// the newest key already. This is how an old key is retired: once nothing stored
    /// is under it, its line can go.
    pub fn reencrypt(
        &self,
        place: Place<'_>,
        ciphertext: &[u8],
    ) -> Result<Option<Vec<u8>>, VaultError> {
        if key_id(ciphertext)? == self.current_id() {
            return Ok(None);
        }
        let plain = self.decrypt(place, ciphertext)?;
        self.encrypt(place, &plain).map(Some)
    }
}

/// The id of the key a vault ciphertext was made with (read from its header; nothing
/// is decrypted).
pub fn key_id(ciphertext: &[u8]) -> Result<&str, VaultError> {
    Parts::of(ciphertext).map(|parts| parts.id)
}

/// A ciphertext split at its header: `0x01 | id length | id | nonce | sealed`.
struct Parts<'a> {
    id: &'a str,
    nonce: &'a [u8],
    sealed: &'a [u8],
}

impl<'a> Parts<'a> {
    fn of(ciphertext: &'a [u8]) -> Result<Parts<'a>, VaultError> {
        let (&version, rest) = ciphertext.split_first().ok_or(VaultError::Malformed)?;
        if version != FORMAT_V1 {
            return Err(VaultError::Malformed);
        }
        let (&id_len, rest) = rest.split_first().ok_or(VaultError::Malformed)?;
        let id_len = id_len as usize;
        if rest.len() < id_len + NONCE_LEN + 16 {
            return Err(VaultError::Malformed);
        }
        let (id, rest) = rest.split_at(id_len);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let id = std::str::from_utf8(id).map_err(|_| VaultError::Malformed)?;
        Ok(Parts { id, nonce, sealed })
    }
}

fn check_id(id: &str, line: Option<usize>) -> Result<(), VaultKeyError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(VaultKeyError::BadId {
            line,
            id: id.chars().take(40).collect(),
        })
    }
}

/// Length-prefixed so that no two different places give the same bytes.
fn associated_data(key_id: &str, place: Place<'_>) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    for part in [
        AAD_DOMAIN,
        key_id.as_bytes(),
        place.table.as_bytes(),
        place.column.as_bytes(),
        place.row.as_bytes(),
    ] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part);
    }
    aad
}

/// A vault key that cannot be loaded. Never holds key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultKeyError {
    NoKeys,
    NoRandomness,
    WrongLength { id: String, found: usize },
    BadId { line: Option<usize>, id: String },
    DuplicateId(String),
    Line { line: usize, reason: String },
}

impl fmt::Display for VaultKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VaultKeyError::NoKeys => f.write_str("no vault key is given"),
            VaultKeyError::NoRandomness => {
                f.write_str("the operating system's random number generator failed")
            }
            VaultKeyError::WrongLength { id, found } => write!(
                f,
                "vault key '{id}' has {found} bytes; AES-256 needs exactly {KEY_LEN} \
                 (64 hexadecimal characters)"
            ),
            VaultKeyError::BadId { line, id } => {
                if let Some(line) = line {
                    write!(f, "line {line}: ")?;
                }
                write!(
                    f,
                    "key id '{id}' must be 1 to {MAX_ID_LEN} letters, digits, '-' or '_'"
                )
            }
            VaultKeyError::DuplicateId(id) => write!(f, "vault key id '{id}' is used twice"),
            VaultKeyError::Line { line, reason } => write!(f, "line {line}: {reason}"),
        }
    }
}

impl std::error::Error for VaultKeyError {}

/// A vault value that cannot be encrypted or opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultError {
    NoKeys,
    NoRandomness,
    Malformed,
    UnknownKey(String),
    /// Wrong key, wrong place, or altered ciphertext.
    Failed,
}

impl fmt::Display for VaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VaultError::NoKeys => f.write_str("the vault has no keys"),
            VaultError::NoRandomness => {
                f.write_str("the operating system's random number generator failed")
            }
            VaultError::Malformed => f.write_str("not a vault ciphertext"),
            VaultError::UnknownKey(id) => write!(f, "vault key '{id}' is not loaded"),
            VaultError::Failed => {
                f.write_str("the vault value does not open here (wrong key, place or altered)")
            }
        }
    }
}

impl std::error::Error for VaultError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_follow_the_newest_key_and_the_purpose() {
        let one = Keyring::new([("k1", &[1u8; 32][..])]).unwrap();
        let two = Keyring::new([("k1", &[1u8; 32][..]), ("k2", &[2u8; 32][..])]).unwrap();
        let again = Keyring::new([("k1", &[1u8; 32][..])]).unwrap();
        let a = one.derive("rate").unwrap();
        assert_eq!(
            *a,
            *again.derive("rate").unwrap(),
            "the same key file, the same key"
        );
        assert_ne!(
            *a,
            *one.derive("other").unwrap(),
            "another purpose, another key"
        );
        assert_ne!(*a, *two.derive("rate").unwrap(), "a newer key, another key");
        assert_ne!(&a[..], &[1u8; 32][..], "never the vault key itself");
        let each = two.derive_each("rate").unwrap();
        assert_eq!(each.len(), 2);
        assert_eq!(*each[0], *two.derive("rate").unwrap(), "the newest first");
        assert_eq!(*each[1], *a, "then what the older key gave");
    }

    const ROW: Place<'static> = Place {
        table: "sessions",
        column: "data",
        row: "abc",
    };

    #[test]
    fn newest_key_encrypts_and_all_keys_decrypt() {
        let old = Keyring::new([("k1", &[1u8; 32][..])]).unwrap();
        let rotated = Keyring::new([("k1", &[1u8; 32][..]), ("k2", &[2u8; 32][..])]).unwrap();
        let before = old.encrypt(ROW, b"ola@example.no").unwrap();
        let after = rotated.encrypt(ROW, b"ola@example.no").unwrap();
        assert_eq!(rotated.current_id(), "k2");
        assert_eq!(&before[2..4], b"k1");
        assert_eq!(&after[2..4], b"k2");
        assert_eq!(
            &rotated.decrypt(ROW, &before).unwrap()[..],
            b"ola@example.no"
        );
        assert_eq!(
            &rotated.decrypt(ROW, &after).unwrap()[..],
            b"ola@example.no"
        );
        assert_eq!(
            old.decrypt(ROW, &after).unwrap_err(),
            VaultError::UnknownKey("k2".into())
        );
        assert!(!after.windows(7).any(|w| w == b"example"));
    }

    #[test]
    fn reencrypt_moves_a_value_to_the_newest_key_and_keeps_its_place() {
        let old = Keyring::new([("k1", &[1u8; 32][..])]).unwrap();
        let rotated = Keyring::new([("k1", &[1u8; 32][..]), ("k2", &[2u8; 32][..])]).unwrap();
        let new = Keyring::new([("k2", &[2u8; 32][..])]).unwrap();
        let before = old.encrypt(ROW, b"kari@example.no").unwrap();
        assert_eq!(key_id(&before).unwrap(), "k1");

        let after = rotated.reencrypt(ROW, &before).unwrap().unwrap();
        assert_eq!(key_id(&after).unwrap(), "k2");
        // Opens without the old key, at its own place only.
        assert_eq!(&new.decrypt(ROW, &after).unwrap()[..], b"kari@example.no");
        let elsewhere = Place { row: "abd", ..ROW };
        assert_eq!(
            new.decrypt(elsewhere, &after).unwrap_err(),
            VaultError::Failed
        );
        // Already under the newest key: left as it is.
        assert_eq!(rotated.reencrypt(ROW, &after).unwrap(), None);
        // A value at the wrong place, or under a key the ring lacks, is an error.
        assert_eq!(
            rotated.reencrypt(elsewhere, &before).unwrap_err(),
            VaultError::Failed
        );
        assert_eq!(
            new.reencrypt(ROW, &before).unwrap_err(),
            VaultError::UnknownKey("k1".into())
        );
        assert_eq!(key_id(b"\x01\x02k1").unwrap_err(), VaultError::Malformed);
    }

    #[test]
    fn a_ciphertext_is_bound_to_its_place_and_key_id() {
        let ring = Keyring::new([("k1", &[1u8; 32][..]), ("k2", &[1u8; 32][..])]).unwrap();
        let ct = ring.encrypt(ROW, b"secret").unwrap();
        for other in [
            Place { row: "abd", ..ROW },
            Place {
                column: "email",
                ..ROW
            },
            Place {
                table: "replies",
                ..ROW
            },
        ] {
            assert_eq!(ring.decrypt(other, &ct).unwrap_err(), VaultError::Failed);
        }
        // Same key bytes under another id: relabelling the ciphertext must not open it.
        let mut relabelled = ct.clone();
        relabelled[3] = b'1';
        assert_eq!(
            ring.decrypt(ROW, &relabelled).unwrap_err(),
            VaultError::Failed
        );
        let mut flipped = ct.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(ring.decrypt(ROW, &flipped).unwrap_err(), VaultError::Failed);
        for short in [&[][..], &[1][..], &ct[..10]] {
            assert_eq!(ring.decrypt(ROW, short).unwrap_err(), VaultError::Malformed);
        }
    }

    #[test]
    fn bad_keys_are_refused_with_a_reason() {
        let line = Keyring::generate_key_line("2026a").unwrap();
        let ring = Keyring::parse(&format!("# vault keys\n\n{}", *line)).unwrap();
        assert_eq!(ring.current_id(), "2026a");
        let cases = [
            ("", "no vault key"),
            ("k1 abcd\n", "has 2 bytes"),
            ("k1 zz\n", "line 1: key 'k1' is not hexadecimal"),
            ("k1\n", "line 1: expected two words"),
            ("bad/id 00\n", "line 1: key id 'bad/id'"),
        ];
        for (text, expected) in cases {
            let err = Keyring::parse(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        let twice = format!("{}{}", *line, *line);
        assert_eq!(
            Keyring::parse(&twice).unwrap_err(),
            VaultKeyError::DuplicateId("2026a".into())
        );
        let hex_key = line.split_whitespace().nth(1).unwrap();
        assert!(
            !Keyring::parse(&format!("k1 {hex_key}00"))
                .unwrap_err()
                .to_string()
                .contains(hex_key)
        );
    }
}
