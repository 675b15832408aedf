//! Citizens' sessions, server-side in the database.
//!
//! The `__Host-session` cookie holds a random id; the database holds only its SHA-256,
//! and everything else about the citizen encrypted with the field vault, bound to that
//! row. A session ends after 30 minutes idle or 120 minutes in all (ID-porten's own
//! limits), on logout either way, and gets a new id at login.

use std::collections::BTreeMap;
use std::sync::Arc;

use forms_crypto::vault::Keyring;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::PidKey;
use super::idporten::{KrrContact, LoggedIn, PendingLogin};
use super::random_token;
use crate::clock::Timestamp;
use crate::i18n::Lang;
use crate::store::{Op, SessionRow, Store, StoreError, VaultColumn};

pub const COOKIE: &str = "__Host-session";
pub const IDLE_MS: i64 = 30 * 60 * 1000;
pub const ABSOLUTE_MS: i64 = 120 * 60 * 1000;

/// A logged-in citizen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Citizen {
    pub login: LoggedIn,
    /// From KRR at login; `None` when reserved, unregistered or KRR failed.
    pub contact: Option<KrrContact>,
}

impl Citizen {
    /// The value a prefill source offers this citizen, if any.
    pub fn offered(&self, source: crate::schema::Prefill) -> Option<&str> {
        use crate::schema::Prefill;
        let contact = self.contact.as_ref();
        match source {
            Prefill::IdportenPid => Some(self.login.pid.as_str()),
            Prefill::KrrEmail => contact.and_then(|c| c.email.as_deref()),
            Prefill::KrrMobile => contact.and_then(|c| c.mobile.as_deref()),
        }
    }
}

/// A login under way, and where to go back to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub login: PendingLogin,
    /// The path to return to afterwards (a form, or "Mine innsendinger").
    pub return_to: String,
    pub lang: Lang,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionData {
    pub citizen: Option<Citizen>,
    pub pending: Option<Pending>,
    /// Answers typed before a login, by form; given back once, after it.
    pub drafts: BTreeMap<String, Vec<(String, String)>>,
}

pub struct Session {
    /// The cookie's value. Never logged or stored.
    pub id: String,
    pub created_at: Timestamp,
    pub data: SessionData,
}

/// Loads, saves and ends sessions.
pub struct Sessions {
    store: Store,
    vault: Arc<Keyring>,
    key: Arc<PidKey>,
}

fn id_hash(id: &str) -> String {
    forms_crypto::hex::encode(&Sha256::digest(id.as_bytes()))
}

impl Sessions {
    pub fn new(store: Store, vault: Arc<Keyring>, key: Arc<PidKey>) -> Sessions {
        Sessions { store, vault, key }
    }

    /// The session of this cookie value, if it exists and has not expired. An expired
    /// one is deleted.
    pub async fn load(&self, id: &str, now: Timestamp) -> Option<Session> {
        let hash = id_hash(id);
        let row = self.store.session(&hash).await.ok()??;
        let idle = now.millis() - row.last_seen.millis() > IDLE_MS;
        let too_old = now.millis() - row.created_at.millis() > ABSOLUTE_MS;
        if idle || too_old {
            let _ = self
                .store
                .write(vec![Op::DeleteSession { id_hash: hash }])
                .await;
            return None;
        }
        let place = VaultColumn::Session.place(&row.id_hash);
        let plain = self.vault.decrypt(place, &row.data).ok()?;
        let data: SessionData = serde_json::from_slice(&plain).ok()?;
        Some(Session {
            id: id.to_string(),
            created_at: row.created_at,
            data,
        })
    }

    /// A new, empty session.
    pub fn create(&self, now: Timestamp) -> Session {
        Session {
            id: random_token(),
            created_at: now,
            data: SessionData::default(),
        }
    }

    /// Writes the session (and marks it used now).
    pub async fn save(&self, session: &Session, now: Timestamp) -> Result<(), StoreError> {
        let hash = id_hash(&session.id);
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(&session.data).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        let data = self
            .vault
            .encrypt(VaultColumn::Session.place(&hash), &plain)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let sid_hash = session
            .data
            .citizen
            .as_ref()
            .and_then(|c| c.login.sid.as_deref())
            .map(|sid| self.key.mac("sid", sid));
        self.store
            .write(vec![Op::PutSession(SessionRow {
                id_hash: hash,
                sid_hash,
                created_at: session.created_at,
                last_seen: now,
                data,
            })])
            .await
    }

    /// Moves a session's data to a new id (at login), deleting the old row.
    pub async fn renew(&self, old: Session, now: Timestamp) -> Result<Session, StoreError> {
        let fresh = Session {
            id: random_token(),
            created_at: now,
            data: old.data,
        };
        self.save(&fresh, now).await?;
        self.end(&old.id).await?;
        Ok(fresh)
    }

    pub async fn end(&self, id: &str) -> Result<(), StoreError> {
        self.store
            .write(vec![Op::DeleteSession {
                id_hash: id_hash(id),
            }])
            .await
    }

    /// Front-channel logout: ends every session of this ID-porten `sid`.
    pub async fn end_by_sid(&self, sid: &str) -> Result<(), StoreError> {
        self.store
            .write(vec![Op::DeleteSessionsBySid {
                sid_hash: self.key.mac("sid", sid),
            }])
            .await
    }

    /// Deletes sessions idle for longer than allowed.
    pub async fn sweep(&self, now: Timestamp) -> Result<(), StoreError> {
        self.store
            .write(vec![Op::DeleteSessionsIdleSince {
                before: Timestamp(now.millis() - IDLE_MS),
            }])
            .await
    }

    /// The look-up value of a citizen's identity number.
    pub fn citizen_key(&self, pid: &str) -> String {
        self.key.mac("pid", pid)
    }
}
