//! Cryptography of the forms backend, with no I/O and no configuration.
//!
//! Two mechanisms, each in its own module:
//!
//! - [`seal`]: submissions are sealed with age to the X25519 public keys of a queue's
//!   caseworkers. The server only ever holds [`seal::Recipient`]s; an [`seal::Identity`]
//!   lives on a caseworker's machine. The output is age's own binary format, so the
//!   standard `age` command-line tool opens it.
//! - [`vault`]: data the server itself must read again (sessions, reply addresses) is
//!   encrypted with AES-256-GCM under a [`vault::Keyring`]. Each ciphertext names its key
//!   and is bound to its place (table, column, row), so it cannot be moved.
//!
//! Bytes in, bytes out. Nothing here logs, reads files or looks at the clock.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod hex;
pub mod seal;
pub mod vault;

/// Fills `buf` from the operating system's random number generator.
///
/// There is no fallback: a machine without a working RNG must not seal or encrypt.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buf).map_err(|_| RandomError)
}

/// The operating system's random number generator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomError;

impl std::fmt::Display for RandomError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the operating system's random number generator failed")
    }
}

impl std::error::Error for RandomError {}
