//! Authentication of citizens: the OpenID Connect client for ID-porten
//! ([`idporten`]), the sessions that follow a login ([`session`]), and the ID-porten
//! simulator that stands in for ID-porten and KRR in development and tests
//! ([`simulator`]).
//!
//! Must never: log or store in the clear an identity number, token or contact detail.
//! Identity numbers live only inside sealed payloads, inside vault-encrypted sessions,
//! and as a keyed HMAC ([`PidKey`]) for look-ups.

pub mod idporten;
pub mod session;
pub mod simulator;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, Mac};
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha2::Sha256;

/// 32 random bytes, base64url: states, nonces, codes, session ids, access tokens.
pub fn random_token() -> String {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    if forms_crypto::random_bytes(bytes.as_mut()).is_err() {
        // Without randomness no token is safe; a predictable one would be worse.
        std::process::abort();
    }
    B64URL.encode(&bytes[..])
}

/// Percent-encodes everything but letters and digits (query values, Basic credentials).
pub fn url_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The signing input of a compact JWS: base64url header, a dot, base64url claims.
pub fn jws_input(header: &serde_json::Value, claims: &serde_json::Value) -> String {
    format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    )
}

/// A compact JWS signed with RS256 (the header must say so).
pub fn rs256_jws(
    header: &serde_json::Value,
    claims: &serde_json::Value,
    key: &RsaPrivateKey,
) -> String {
    let input = jws_input(header, claims);
    let signature = SigningKey::<Sha256>::new(key.clone()).sign(input.as_bytes());
    format!("{input}.{}", B64URL.encode(signature.to_bytes()))
}

/// The key of the HMAC under which identity numbers (and ID-porten `sid`s) are looked
/// up. 32 random bytes, hex, in a file of its own.
pub struct PidKey(zeroize::Zeroizing<Vec<u8>>);

impl PidKey {
    pub fn from_hex(text: &str) -> Result<PidKey, String> {
        let bytes = forms_crypto::hex::decode(text.trim())
            .ok_or("the HMAC key file must hold 64 hex digits")?;
        if bytes.len() != 32 {
            return Err("the HMAC key file must hold 64 hex digits (32 bytes)".into());
        }
        Ok(PidKey(zeroize::Zeroizing::new(bytes)))
    }

    /// A key of these bytes (from another secret, such as one derived from the vault).
    pub fn new(bytes: &[u8]) -> PidKey {
        PidKey(zeroize::Zeroizing::new(bytes.to_vec()))
    }

    pub fn generate_hex() -> Result<String, String> {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        forms_crypto::random_bytes(bytes.as_mut()).map_err(|e| e.to_string())?;
        Ok(forms_crypto::hex::encode(bytes.as_ref()))
    }

    /// The look-up value of `what` (an identity number or a `sid`) in its `domain`.
    pub fn mac(&self, domain: &str, what: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(what.as_bytes());
        forms_crypto::hex::encode(&mac.finalize().into_bytes())
    }
}
