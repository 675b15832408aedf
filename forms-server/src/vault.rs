//! Retiring a field-vault key.
//!
//! Four columns hold field-vault ciphertexts ([`VaultColumn`]): the reply addresses of
//! submissions, the login sessions, the newsletter subscriptions and the KRR addresses
//! kept with privacy requests. The newest key of the keyring encrypts every new value,
//! but what is stored stays under the key it was written with until [`rekey`]
//! re-encrypts it. `forms admin vault rekey` runs it, and prints how many values each
//! key still holds afterwards: when the old key holds none, its line can leave the key
//! file.
//!
//! The server may run meanwhile. A value is replaced only if its row still holds the
//! ciphertext that was read (the server may have saved a session or forgotten an
//! address since); the count afterwards shows anything left behind.

use std::collections::BTreeMap;

use forms_crypto::vault::{Keyring, key_id};

use crate::clock::Timestamp;
use crate::store::{AuditEntry, Op, Store, StoreError, VaultColumn, actions};

/// Rows read a time; each page's replacements are one write with one audit entry.
const PAGE: u32 = 256;

/// What [`rekey`] did, and what is stored under each key once it was done.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rekeyed {
    /// The key that encrypts: everything moved under it.
    pub newest: String,
    /// Reply addresses re-encrypted.
    pub reply_addresses: u64,
    /// Sessions re-encrypted.
    pub sessions: u64,
    /// Newsletter subscriptions re-encrypted.
    pub subscriptions: u64,
    /// KRR addresses of privacy requests re-encrypted.
    pub contact_addresses: u64,
    /// Subscriptions' address keys derived anew under the newest key.
    pub address_keys: u64,
    /// Values that do not open with this keyring (a key it lacks, or a damaged or moved
    /// value), by the key id they name; left as they are.
    pub unopened: BTreeMap<String, u64>,
    /// The values stored under each key id once done (`?`: not a vault ciphertext).
    pub stored: BTreeMap<String, u64>,
}

impl Rekeyed {
    /// The keys of `ring` other than the newest that no stored value needs any more.
    pub fn retired<'a>(&self, ring: &'a Keyring) -> Vec<&'a str> {
        ring.ids()
            .filter(|id| *id != self.newest && !self.stored.contains_key(*id))
            .collect()
    }
}

/// Re-encrypts every stored vault value under the newest key of `ring`.
pub async fn rekey(store: &Store, ring: &Keyring, now: Timestamp) -> Result<Rekeyed, StoreError> {
    let mut done = Rekeyed {
        newest: ring.current_id().to_string(),
        ..Rekeyed::default()
    };
    for column in VaultColumn::ALL {
        let mut pages = Pages::new(column);
        while let Some(page) = pages.next(store).await? {
            let mut ops = Vec::new();
            for (row, old) in page {
                match ring.reencrypt(column.place(&row), &old) {
                    Ok(None) => {}
                    Ok(Some(new)) => ops.push(Op::ReplaceVaultValue {
                        column,
                        row,
                        old,
                        new,
                    }),
                    Err(_) => *done.unopened.entry(label(&old)).or_default() += 1,
                }
            }
            if ops.is_empty() {
                continue;
            }
            let moved = ops.len() as u64;
            ops.push(Op::Audit(AuditEntry::by_admin(actions::VAULT_REKEYED, now)));
            store.write(ops).await?;
            match column {
                VaultColumn::ReplyAddress => done.reply_addresses += moved,
                VaultColumn::Session => done.sessions += moved,
                VaultColumn::Subscription => done.subscriptions += moved,
                VaultColumn::ContactAddress => done.contact_addresses += moved,
            }
        }
    }
    done.address_keys = crate::newsletter::rekey_address_keys(store, ring, now).await?;
    for column in VaultColumn::ALL {
        let mut pages = Pages::new(column);
        while let Some(page) = pages.next(store).await? {
            for (_, value) in page {
                *done.stored.entry(label(&value)).or_default() += 1;
            }
        }
    }
    Ok(done)
}

/// The key id a value names, or `?`.
fn label(value: &[u8]) -> String {
    key_id(value).unwrap_or("?").to_string()
}

/// A column's values, a page at a time, in key order.
struct Pages {
    column: VaultColumn,
    /// The last key read; `None` once the column is exhausted.
    after: Option<String>,
}

impl Pages {
    fn new(column: VaultColumn) -> Pages {
        Pages {
            column,
            after: Some(String::new()),
        }
    }

    async fn next(&mut self, store: &Store) -> Result<Option<Vec<(String, Vec<u8>)>>, StoreError> {
        let Some(after) = &self.after else {
            return Ok(None);
        };
        let page = store.vault_values(self.column, after, PAGE).await?;
        self.after = match page.last() {
            Some((key, _)) if page.len() == PAGE as usize => Some(key.clone()),
            _ => None,
        };
        Ok((!page.is_empty()).then_some(page))
    }
}
