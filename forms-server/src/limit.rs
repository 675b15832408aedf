//! The hourly limit on submissions from one network address.
//!
//! Anyone may send the open forms, and every submission lands in a caseworker's queue
//! (and mails them), so one sender must not be able to flood them. Each accepted
//! submission is counted under its source: an IPv4 address, or the /64 network of an
//! IPv6 address (what one household or device is given). The source is stored only as a
//! keyed HMAC, under a key derived from the vault's newest key, so every server that
//! shares the database and the key file counts together. Counts are kept in ten-minute
//! slots; a slot counts for an hour and is then deleted by the housekeeping task.
//!
//! The writer checks and counts in one place for a whole group commit (one read of the
//! batch's sources, one summed upsert), so the limit costs a submission little. A
//! refused sender learns how long to wait; nothing of what they sent is stored.
//!
//! Must never: store or log a network address.

use std::net::IpAddr;

use crate::auth::PidKey;
use crate::clock::Timestamp;
use crate::store::Op;

/// The length of one counting slot.
pub const SLOT_MS: i64 = 10 * 60 * 1000;
/// How long a submission counts against its source.
pub const WINDOW_MS: i64 = 60 * 60 * 1000;

/// The limit and the key under which sources are named.
pub struct Limiter {
    per_hour: u32,
    key: PidKey,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Limiter({} an hour)", self.per_hour)
    }
}

impl Limiter {
    /// A limit of `per_hour` submissions a source; `None` when `per_hour` is 0 (no
    /// limit). Without vault keys the key is random, so each server counts alone.
    pub fn new(
        per_hour: u32,
        vault: Option<&forms_crypto::vault::Keyring>,
    ) -> Result<Option<Limiter>, String> {
        if per_hour == 0 {
            return Ok(None);
        }
        let key = match vault {
            Some(ring) => ring
                .derive("submission-source")
                .map_err(|e| format!("cannot derive the limit's key: {e}"))?,
            None => {
                let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
                forms_crypto::random_bytes(bytes.as_mut()).map_err(|e| e.to_string())?;
                bytes
            }
        };
        Ok(Some(Limiter {
            per_hour,
            key: PidKey::new(&key[..]),
        }))
    }

    /// The stored name of the source of `ip`.
    fn source(&self, ip: IpAddr) -> String {
        self.key.mac("source", &network_of(ip))
    }

    /// The op that counts a submission from `ip` at `now`, to be written with it. The
    /// store's writer refuses the job with [`crate::store::StoreError::OverLimit`] if
    /// the source has sent its hour's share.
    pub fn count(&self, ip: IpAddr, now: Timestamp) -> Op {
        Op::CountSubmission {
            source: self.source(ip),
            per_hour: self.per_hour,
            now,
        }
    }
}

/// What a source is counted as: an IPv4 address (also when written as IPv6), or the
/// /64 network of an IPv6 address.
fn network_of(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The start of the slot that `now` falls in.
pub fn slot_of(now: Timestamp) -> Timestamp {
    Timestamp(now.0 - now.0.rem_euclid(SLOT_MS))
}

/// The start of the oldest slot that still counts at `now`.
pub fn counted_since(now: Timestamp) -> Timestamp {
    Timestamp(slot_of(now).0 - (WINDOW_MS - SLOT_MS))
}

/// With `counts` (slot, submissions; oldest first) of the last hour: `None` if another
/// submission is allowed, or the seconds until enough slots have left the hour.
pub fn wait(counts: &[(Timestamp, i64)], per_hour: u32, now: Timestamp) -> Option<u64> {
    let limit = i64::from(per_hour);
    let mut remaining: i64 = counts.iter().map(|(_, n)| n).sum();
    if remaining < limit {
        return None;
    }
    for (slot, n) in counts {
        remaining -= n;
        if remaining < limit {
            let millis = (slot.0 + WINDOW_MS - now.0).max(1000);
            return Some(u64::try_from((millis + 999) / 1000).unwrap_or(1));
        }
    }
    Some(u64::try_from(WINDOW_MS / 1000).unwrap_or(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_an_ipv4_address_or_an_ipv6_network() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(network_of(ip("192.0.2.7")), "192.0.2.7");
        assert_eq!(network_of(ip("::ffff:192.0.2.7")), "192.0.2.7");
        assert_eq!(
            network_of(ip("2001:db8:1:2:aaaa::1")),
            network_of(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            network_of(ip("2001:db8:1:2::1")),
            network_of(ip("2001:db8:1:3::1"))
        );

        let limiter = Limiter::new(3, None).unwrap().unwrap();
        let source = limiter.source(ip("192.0.2.7"));
        assert_eq!(source.len(), 64, "an HMAC in hex");
        assert!(!source.contains("192"));
        assert_ne!(source, limiter.source(ip("192.0.2.8")));
        assert!(Limiter::new(0, None).unwrap().is_none(), "0 is no limit");
    }

    #[test]
    fn servers_with_the_same_vault_key_name_a_source_alike() {
        let ring = |k: u8| forms_crypto::vault::Keyring::new([("k", &[k; 32][..])]).unwrap();
        let ip: IpAddr = "198.51.100.1".parse().unwrap();
        let a = Limiter::new(5, Some(&ring(1))).unwrap().unwrap();
        let b = Limiter::new(5, Some(&ring(1))).unwrap().unwrap();
        let other = Limiter::new(5, Some(&ring(2))).unwrap().unwrap();
        assert_eq!(a.source(ip), b.source(ip));
        assert_ne!(a.source(ip), other.source(ip));
    }

    #[test]
    fn slots_count_for_an_hour_and_the_wait_is_until_enough_have_left() {
        let minute = 60_000;
        let now = Timestamp(1_000 * WINDOW_MS + 25 * minute + 30_000);
        assert_eq!(slot_of(now), Timestamp(1_000 * WINDOW_MS + 20 * minute));
        assert_eq!(
            counted_since(now),
            Timestamp(1_000 * WINDOW_MS + 20 * minute - 50 * minute)
        );
        let slot = |minutes_ago: i64| Timestamp(slot_of(now).0 - minutes_ago * minute);
        // 3 a hour: two sent are fine, three are not.
        assert_eq!(wait(&[(slot(30), 2)], 3, now), None);
        assert_eq!(wait(&[], 3, now), None);
        // Three in the slot that began 50 minutes before the current one's start: it
        // leaves the hour 10 minutes after that start, 4 min 30 s from now.
        assert_eq!(wait(&[(slot(50), 3)], 3, now), Some(270));
        // The oldest slot leaving is not enough when the newer ones alone reach the
        // limit: wait for the second.
        assert_eq!(
            wait(&[(slot(50), 1), (slot(40), 3)], 3, now),
            Some(270 + 600)
        );
    }
}
