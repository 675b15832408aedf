//! The store's contract, the same test on SQLite and on PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use forms_server::clock::Timestamp;
use forms_server::store::{
    AuditEntry, Confirmed, NewSubmission, Newsletter, Note, Op, SessionRow, Status, Store,
    StoreError, SubscriptionRow, VaultColumn, actions,
};

use crate::support::{Postgres, TempDir};

fn submission(n: usize, reference: &str, queue: &str) -> NewSubmission {
    NewSubmission {
        id: format!("id-{n:04}"),
        reference: reference.to_string(),
        form_id: "kontakt".into(),
        schema_sha256: "ab".repeat(32),
        queue: queue.into(),
        received_at: Timestamp(1_700_000_000_000 + n as i64),
        retain_until: Timestamp(1_800_000_000_000),
        sealed: vec![n as u8; 64],
        reply_to: None,
        contact_address: (n % 100 == 7).then(|| vec![7; 40]),
        handover_consent: false,
        citizen: (n % 100 == 7).then(|| "citizen-hmac".to_string()),
    }
}

async fn contract(store: Store) {
    // Many concurrent jobs share commits; a job whose reference is taken fails alone.
    let mut tasks = Vec::new();
    for n in 0..300 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let reference = if n == 150 {
                "R-0000".to_string()
            } else {
                format!("R-{n:04}")
            };
            let queue = if n % 2 == 0 { "a" } else { "b" };
            let result = store
                .write(vec![
                    Op::InsertSubmission(submission(n, &reference, queue)),
                    Op::Audit(AuditEntry {
                        at: Timestamp(n as i64),
                        actor: "citizen".into(),
                        action: actions::SUBMISSION_RECEIVED,
                        submission_id: Some(format!("id-{n:04}")),
                        queue: Some(queue.into()),
                    }),
                ])
                .await;
            (n, result)
        }));
    }
    let mut losers = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (_, Ok(())) => {}
            (n, Err(StoreError::Conflict)) => losers.push(n),
            (_, Err(other)) => panic!("{other}"),
        }
    }
    // Jobs 0 and 150 share a reference; whichever commits second fails, alone.
    assert_eq!(
        losers.len(),
        1,
        "exactly one of the duplicate references fails"
    );
    assert!(losers[0] == 0 || losers[0] == 150);
    let loser = format!("id-{:04}", losers[0]);
    assert_eq!(store.count_submissions().await.unwrap(), 299);
    assert!(store.sealed(&loser).await.unwrap().is_none());
    // The failed job left nothing behind, not even its audit entry.
    let audit = store.audit_log().await.unwrap();
    // Every entry is chained, on either backend.
    match store.verify_audit().await.unwrap() {
        forms_server::store::AuditVerdict::Intact { entries, legacy } => {
            assert_eq!((entries, legacy), (audit.len(), 0));
        }
        broken => panic!("{broken:?}"),
    }
    assert_eq!(audit.len(), 299);
    assert!(
        audit
            .iter()
            .all(|e| e.submission_id.as_deref() != Some(loser.as_str()))
    );

    let a = store.list_queue("a", None).await.unwrap();
    assert_eq!(a.len(), 149, "the 150 even n, less the one that lost");
    assert!(
        a.windows(2).all(|w| w[0].received_at <= w[1].received_at),
        "oldest first"
    );
    let (meta, sealed) = store.sealed("id-0002").await.unwrap().unwrap();
    assert_eq!(meta.reference, "R-0002");
    assert_eq!(sealed, vec![2u8; 64]);

    store
        .write(vec![Op::SetStatus {
            id: "id-0002".into(),
            status: Status::Done,
        }])
        .await
        .unwrap();
    assert_eq!(
        store
            .list_queue("a", Some(Status::Done))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .list_queue("a", Some(Status::New))
            .await
            .unwrap()
            .len(),
        148
    );

    store
        .write(vec![Op::AddCaseworker {
            id: "cw1".into(),
            name: "Kari".into(),
            token_hash: "h1".into(),
            queues: vec!["b".into(), "a".into()],
            created_at: Timestamp(0),
            expires_at: Some(Timestamp(5_000)),
        }])
        .await
        .unwrap();
    let cw = store.caseworker_by_token_hash("h1").await.unwrap().unwrap();
    assert_eq!(cw.queues, vec!["a".to_string(), "b".to_string()]);
    assert!(cw.active(Timestamp(4_999)) && !cw.active(Timestamp(5_000)));
    store
        .write(vec![Op::RevokeCaseworker {
            id: "cw1".into(),
            at: Timestamp(100),
        }])
        .await
        .unwrap();
    let cw = store.caseworker_by_token_hash("h1").await.unwrap().unwrap();
    assert_eq!(cw.revoked_at, Some(Timestamp(100)));
    assert!(!cw.active(Timestamp(200)));
    let all = store.caseworkers().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].queues, vec!["a".to_string(), "b".to_string()]);
    assert!(
        store
            .caseworker_by_token_hash("h2")
            .await
            .unwrap()
            .is_none()
    );

    // One citizen's submissions, newest first, found by the HMAC of their number.
    let mine = store.submissions_of("citizen-hmac").await.unwrap();
    let ids: Vec<&str> = mine.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["id-0207", "id-0107", "id-0007"]);
    assert!(
        store
            .submissions_of("someone-else")
            .await
            .unwrap()
            .is_empty()
    );

    // What is held about them, for their access request: the same submissions, with
    // what is kept beside each, and the audit entries on those alone.
    store
        .write(vec![
            Op::RecordConsent {
                id: "id-0107".into(),
            },
            Op::AddNote(Note {
                id: "note-held".into(),
                submission_id: "id-0107".into(),
                at: Timestamp(5),
                author: "cw1".into(),
                sealed: vec![9; 8],
            }),
        ])
        .await
        .unwrap();
    let held = store.held_about("citizen-hmac").await.unwrap();
    let kept: Vec<(&str, bool, bool, i64)> = held
        .iter()
        .map(|h| {
            (
                h.meta.id.as_str(),
                h.reply_address,
                h.handover_consent,
                h.notes,
            )
        })
        .collect();
    assert_eq!(
        kept,
        [
            ("id-0207", false, false, 0),
            ("id-0107", false, true, 1),
            ("id-0007", false, false, 0)
        ]
    );
    let mut events: Vec<(String, &str)> = store
        .audit_about("citizen-hmac")
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.submission_id.unwrap(), e.action))
        .collect();
    events.sort();
    assert_eq!(
        events,
        ["id-0007", "id-0107", "id-0207"].map(|id| (id.to_string(), actions::SUBMISSION_RECEIVED))
    );
    assert_eq!(
        store.citizen_of("id-0107").await.unwrap().as_deref(),
        Some("citizen-hmac")
    );
    assert_eq!(store.citizen_of("id-0002").await.unwrap(), None);
    assert_eq!(
        store.contact_address_of("id-0107").await.unwrap(),
        Some(vec![7; 40])
    );
    assert_eq!(store.contact_address_of("id-0002").await.unwrap(), None);
    assert!(store.held_about("someone-else").await.unwrap().is_empty());
    let one: Vec<&str> = store
        .audit_of("id-0107")
        .await
        .unwrap()
        .iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(one, [actions::SUBMISSION_RECEIVED]);
    assert!(store.audit_about("someone-else").await.unwrap().is_empty());

    // What has left a queue: a forwarded submission, with the queue it is in now, and a
    // deleted one, from its tombstone; once the forwarded one is deleted too, it is in
    // no queue, and its tombstone is in the queue it was deleted from.
    let gone_since = |queue: &'static str, since: Option<i64>| {
        let store = store.clone();
        async move {
            store
                .gone_from(queue, since.map(Timestamp))
                .await
                .unwrap()
                .into_iter()
                .filter(|g| g.reference == "R-0010" || g.reference == "R-0012")
                .map(|g| (g.reference, g.at.0, g.forwarded, g.now_in))
                .collect::<Vec<_>>()
        }
    };
    let gone = |queue: &'static str| gone_since(queue, None);
    store
        .write(vec![Op::MoveSubmission {
            id: "id-0010".into(),
            queue: "b".into(),
            sealed: vec![1; 64],
            at: Timestamp(20),
        }])
        .await
        .unwrap();
    store
        .write(vec![Op::DeleteSubmission {
            id: "id-0012".into(),
            at: Timestamp(30),
        }])
        .await
        .unwrap();
    assert_eq!(
        gone("a").await,
        [
            ("R-0010".to_string(), 20, true, Some("b".to_string())),
            ("R-0012".to_string(), 30, false, None)
        ]
    );
    assert!(gone("b").await.is_empty());
    // Asked since a time: what left then or later, of both kinds.
    assert_eq!(
        gone_since("a", Some(30)).await,
        [("R-0012".to_string(), 30, false, None)]
    );
    assert_eq!(gone_since("a", Some(20)).await.len(), 2);
    assert!(gone_since("a", Some(31)).await.is_empty());
    store
        .write(vec![Op::DeleteSubmission {
            id: "id-0010".into(),
            at: Timestamp(40),
        }])
        .await
        .unwrap();
    assert_eq!(gone("a").await[0], ("R-0010".to_string(), 20, true, None));
    assert_eq!(gone("b").await, [("R-0010".to_string(), 40, false, None)]);

    // Sessions: written, updated in place, ended one by one, by sid, and when idle.
    let session = |id: &str, sid: &str, seen: i64| SessionRow {
        id_hash: id.into(),
        sid_hash: Some(sid.into()),
        created_at: Timestamp(1_000),
        last_seen: Timestamp(seen),
        data: vec![1, 2, 3],
    };
    store
        .write(vec![
            Op::PutSession(session("s1", "sid-a", 1_000)),
            Op::PutSession(session("s2", "sid-a", 1_000)),
            Op::PutSession(session("s3", "sid-b", 1_000)),
            Op::PutSession(session("s4", "sid-c", 5_000)),
        ])
        .await
        .unwrap();
    let mut updated = session("s3", "sid-b", 9_000);
    updated.data = vec![9];
    store
        .write(vec![Op::PutSession(updated.clone())])
        .await
        .unwrap();
    assert_eq!(store.session("s3").await.unwrap(), Some(updated));
    store
        .write(vec![Op::DeleteSessionsBySid {
            sid_hash: "sid-a".into(),
        }])
        .await
        .unwrap();
    assert_eq!(store.session("s1").await.unwrap(), None);
    assert_eq!(store.session("s2").await.unwrap(), None);
    store
        .write(vec![Op::DeleteSessionsIdleSince {
            before: Timestamp(6_000),
        }])
        .await
        .unwrap();
    assert_eq!(store.session("s4").await.unwrap(), None);
    assert!(store.session("s3").await.unwrap().is_some());
    store
        .write(vec![Op::DeleteSession {
            id_hash: "s3".into(),
        }])
        .await
        .unwrap();
    assert_eq!(store.session("s3").await.unwrap(), None);

    // Vault columns are read a page at a time in key order, and a value is replaced
    // only while the row still holds what was read.
    let mut rows = Vec::new();
    for (id, value) in [("v1", 1u8), ("v2", 2), ("v3", 3)] {
        let mut row = session(id, "sid-v", 1_000);
        row.data = vec![value; 4];
        rows.push(Op::PutSession(row));
    }
    store.write(rows).await.unwrap();
    let page = |after: &'static str| store.vault_values(VaultColumn::Session, after, 2);
    let first = page("").await.unwrap();
    assert_eq!(
        first,
        vec![
            ("v1".to_string(), vec![1; 4]),
            ("v2".to_string(), vec![2; 4])
        ]
    );
    assert_eq!(
        page("v2").await.unwrap(),
        vec![("v3".to_string(), vec![3; 4])]
    );
    assert!(page("v3").await.unwrap().is_empty());
    assert!(
        store
            .vault_values(VaultColumn::ReplyAddress, "", 10)
            .await
            .unwrap()
            .is_empty(),
        "submissions without a reply address"
    );
    let replace = |row: &str, old: u8, new: u8| Op::ReplaceVaultValue {
        column: VaultColumn::Session,
        row: row.into(),
        old: vec![old; 4],
        new: vec![new; 4],
    };
    store
        .write(vec![replace("v1", 1, 7), replace("v2", 9, 8)])
        .await
        .unwrap();
    assert_eq!(store.session("v1").await.unwrap().unwrap().data, vec![7; 4]);
    assert_eq!(
        store.session("v2").await.unwrap().unwrap().data,
        vec![2; 4],
        "a value changed since it was read is left alone"
    );
    store
        .write(vec![Op::DeleteSessionsBySid {
            sid_hash: "sid-v".into(),
        }])
        .await
        .unwrap();

    // The content guard's refusals: counted per day, form and kind, added up.
    let refusal = |day: &str, kinds: Vec<&'static str>| Op::CountGuardRefusal {
        day: day.into(),
        form_id: "kontakt".into(),
        kinds,
    };
    store
        .write(vec![
            refusal("2026-11-22", vec!["health"]),
            refusal("2026-11-23", vec!["health", "id_number"]),
            refusal("2026-11-23", vec!["health"]),
        ])
        .await
        .unwrap();
    let counts: Vec<(String, String, i64)> = store
        .guard_refusals("2026-11-23")
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.day, r.kind, r.count))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("2026-11-23".into(), "health".into(), 2),
            ("2026-11-23".into(), "id_number".into(), 1),
        ]
    );

    // Submission counts: the writer refuses a submission past its source's hourly
    // share, also among jobs that arrive together; other sources go on; slots that
    // have left the hour do not count, and are deleted.
    let now = Timestamp(1_000 * 3_600_000);
    let minute = 60_000;
    let count = |source: &str, per_hour: u32, now: Timestamp| Op::CountSubmission {
        source: source.into(),
        per_hour,
        now,
    };
    let together = tokio::join!(
        store.write(vec![count("s1", 2, now)]),
        store.write(vec![count("s1", 2, now)]),
        store.write(vec![count("s1", 2, now)]),
    );
    let results = [together.0, together.1, together.2];
    let refused: Vec<u64> = results
        .iter()
        .filter_map(|r| match r {
            Err(StoreError::OverLimit(seconds)) => Some(*seconds),
            Ok(()) => None,
            Err(other) => panic!("{other}"),
        })
        .collect();
    assert_eq!(refused.len(), 1, "{results:?}");
    assert!((1..=3600).contains(&refused[0]));
    store.write(vec![count("s2", 2, now)]).await.unwrap();

    let hour_ago = Timestamp(now.0 - 60 * minute);
    store.write(vec![count("s3", 1, hour_ago)]).await.unwrap();
    assert!(
        matches!(
            store.write(vec![count("s3", 1, hour_ago)]).await,
            Err(StoreError::OverLimit(_))
        ),
        "an hour ago, the slot counted"
    );
    store.write(vec![count("s3", 1, now)]).await.unwrap();
    assert!(matches!(
        store.write(vec![count("s3", 1, now)]).await,
        Err(StoreError::OverLimit(_))
    ));
    store
        .write(vec![Op::DeleteSubmissionCountsBefore {
            before: forms_server::limit::counted_since(now),
        }])
        .await
        .unwrap();
    store
        .write(vec![count("s3", 1, hour_ago)])
        .await
        .expect("the old slot is gone");
    subscriptions(&store).await;
    store.close().await;
}

fn subscription_row(id: &str, address: &str, created: i64) -> SubscriptionRow {
    SubscriptionRow {
        id: id.into(),
        form_id: "nyhetsbrev".into(),
        address_key: address.into(),
        token_hash: format!("hash-{id}"),
        created_at: Timestamp(created),
        confirmed_at: None,
        retain_until: Timestamp(created + 1000),
        data: id.as_bytes().to_vec(),
    }
}

/// Subscriptions: found by token, one awaiting confirmation per address, a
/// confirmation that replaces the address's older subscription, pages of the
/// confirmed, ends by time; newsletters: taken on by one server at a time, progress,
/// finished.
async fn subscriptions(store: &Store) {
    const T: i64 = 1_900_000_000_000;
    store
        .write(vec![
            Op::PutSubscription(subscription_row("sub-a", "addr-1", T)),
            Op::PutSubscription(subscription_row("sub-b", "addr-2", T)),
        ])
        .await
        .unwrap();
    let a = store
        .subscription_by_token("hash-sub-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a, subscription_row("sub-a", "addr-1", T));
    assert!(
        store
            .subscription_by_token("hash-none")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .awaits_confirmation("nyhetsbrev", "addr-1", Timestamp(T))
            .await
            .unwrap()
    );
    assert!(
        !store
            .awaits_confirmation("nyhetsbrev", "addr-1", Timestamp(T + 1))
            .await
            .unwrap(),
        "only since the time asked"
    );
    assert!(
        !store
            .awaits_confirmation("kontakt", "addr-1", Timestamp(T))
            .await
            .unwrap()
    );
    // An address's subscriptions to one form, for a privacy request's report.
    let of = |form: &'static str, key: &'static str| {
        let store = store.clone();
        async move {
            let rows = store.subscriptions_of(form, key).await.unwrap();
            rows.into_iter().map(|row| row.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(of("nyhetsbrev", "addr-1").await, ["sub-a"]);
    assert!(of("kontakt", "addr-1").await.is_empty());
    assert!(of("nyhetsbrev", "addr-3").await.is_empty());
    // A confirmation names the address's key under each vault key.
    let confirm = |id: &str, at: i64| Op::ConfirmSubscription {
        id: id.into(),
        at: Timestamp(at),
        retain_until: Timestamp(at + 10_000),
        address_keys: match id {
            "sub-b" => vec!["addr-2".into()],
            _ => vec!["addr-1".into(), "addr-1-old".into()],
        },
    };
    store.write(vec![confirm("sub-a", T + 5)]).await.unwrap();
    assert!(
        !store
            .awaits_confirmation("nyhetsbrev", "addr-1", Timestamp(T))
            .await
            .unwrap()
    );
    // The same address signs up again and confirms: the older subscriptions go, also
    // one stored under an older vault key's address key.
    store
        .write(vec![
            Op::PutSubscription(subscription_row("sub-0", "addr-1-old", T + 1)),
            Op::PutSubscription(subscription_row("sub-c", "addr-1", T + 10)),
        ])
        .await
        .unwrap();
    store.write(vec![confirm("sub-c", T + 20)]).await.unwrap();
    for gone in ["hash-sub-a", "hash-sub-0"] {
        assert!(
            store.subscription_by_token(gone).await.unwrap().is_none(),
            "{gone}"
        );
    }
    // A key derived anew replaces the old one only while the row still holds it.
    let rekeyed = |old: &str| Op::ReplaceAddressKey {
        id: "sub-c".into(),
        old: old.into(),
        new: "addr-1-new".into(),
    };
    store.write(vec![rekeyed("addr-x")]).await.unwrap();
    assert_eq!(of("nyhetsbrev", "addr-1").await, ["sub-c"]);
    store.write(vec![rekeyed("addr-1")]).await.unwrap();
    assert!(of("nyhetsbrev", "addr-1").await.is_empty());
    assert_eq!(of("nyhetsbrev", "addr-1-new").await, ["sub-c"]);
    let c = store
        .subscription_by_token("hash-sub-c")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.confirmed_at, Some(Timestamp(T + 20)));
    assert_eq!(c.retain_until, Timestamp(T + 10_020));
    assert!(matches!(
        store.write(vec![confirm("sub-a", T + 30)]).await,
        Err(StoreError::Gone)
    ));
    store
        .write(vec![Op::UpdateSubscription {
            id: "sub-c".into(),
            data: b"changed".to_vec(),
            retain_until: Timestamp(T + 50_000),
        }])
        .await
        .unwrap();
    // Only the confirmed ones, in id order, a page after a cursor.
    store.write(vec![confirm("sub-b", T + 40)]).await.unwrap();
    let rows = |page: Vec<Confirmed>| -> Vec<(String, Vec<u8>, i64)> {
        page.into_iter()
            .map(|row| (row.id, row.data, row.refusals))
            .collect()
    };
    let page = store.subscribers_after("nyhetsbrev", "", 1).await.unwrap();
    assert_eq!(rows(page), [("sub-b".into(), b"sub-b".to_vec(), 0)]);
    let page = store
        .subscribers_after("nyhetsbrev", "sub-b", 10)
        .await
        .unwrap();
    assert_eq!(rows(page), [("sub-c".into(), b"changed".to_vec(), 0)]);
    let values = store
        .vault_values(VaultColumn::Subscription, "", 10)
        .await
        .unwrap();
    assert_eq!(values.len(), 2);
    // sub-b ends at T + 10_040, sub-c at T + 50_000.
    store
        .write(vec![Op::DeleteSubscriptionsEndedBy {
            now: Timestamp(T + 10_040),
        }])
        .await
        .unwrap();
    assert!(
        store
            .subscription_by_token("hash-sub-b")
            .await
            .unwrap()
            .is_none()
    );
    // Refusals count up. A newsletter taken is the subscription's `last_taken` until
    // the next goes out (it has arrived then, and the count starts over) or a bounce
    // mail for it counts, once. At `end_at` the subscription ends.
    let refused = || Op::SubscriptionsRefused {
        ids: vec!["sub-c".into()],
        end_at: 3,
    };
    let taken = |newsletter: &str| Op::SubscriptionsTaken {
        ids: vec!["sub-c".into()],
        newsletter: newsletter.into(),
    };
    let bounced = |newsletter: &str| Op::SubscriptionBounced {
        id: "sub-c".into(),
        newsletter: newsletter.into(),
        end_at: 3,
    };
    let state = || async {
        let page = store.subscribers_after("nyhetsbrev", "", 10).await.unwrap();
        page.iter()
            .map(|row| {
                (
                    row.refusals,
                    row.last_taken.clone(),
                    row.refusals_in_a_row(),
                )
            })
            .collect::<Vec<_>>()
    };
    let last = |n: &str| Some(n.to_string());
    store.write(vec![refused()]).await.unwrap();
    assert_eq!(state().await, [(1, None, 1)]);
    store.write(vec![taken("nl-0")]).await.unwrap();
    assert_eq!(state().await, [(1, last("nl-0"), 0)]);
    assert_eq!(
        store.subscription_last_taken("sub-c").await.unwrap(),
        Some(last("nl-0"))
    );
    let gone = |result| matches!(result, Err(StoreError::Gone));
    assert!(
        gone(store.write(vec![bounced("nl-x")]).await),
        "another newsletter"
    );
    store.write(vec![bounced("nl-0")]).await.unwrap();
    assert_eq!(state().await, [(2, None, 2)]);
    assert!(
        gone(store.write(vec![bounced("nl-0")]).await),
        "counted before"
    );
    store.write(vec![taken("nl-1")]).await.unwrap();
    assert_eq!(state().await, [(2, last("nl-1"), 0)]);
    store.write(vec![taken("nl-2")]).await.unwrap();
    assert_eq!(state().await, [(0, last("nl-2"), 0)], "nl-1 arrived");
    assert!(gone(store.write(vec![bounced("nl-1")]).await), "late");
    store.write(vec![refused()]).await.unwrap();
    assert_eq!(state().await, [(1, None, 1)], "nl-2 arrived");
    store.write(vec![refused(), taken("nl-3")]).await.unwrap();
    store.write(vec![bounced("nl-3")]).await.unwrap();
    assert_eq!(state().await, Vec::new(), "three in a row");
    assert_eq!(store.subscription_last_taken("sub-c").await.unwrap(), None);
    assert!(gone(store.write(vec![bounced("nl-3")]).await));
    // Deleting by id what is gone already is no error.
    store
        .write(vec![Op::DeleteSubscription { id: "sub-c".into() }])
        .await
        .unwrap();
    assert!(
        store
            .subscribers_after("nyhetsbrev", "", 10)
            .await
            .unwrap()
            .is_empty()
    );

    let letter = Newsletter {
        id: "nl-1".into(),
        form_id: "nyhetsbrev".into(),
        queue: "kommunikasjon".into(),
        topic: Some("vei".into()),
        subject: "Veiarbeid".into(),
        body: "Tekst".into(),
        created_at: Timestamp(T),
        created_by: "cw-1".into(),
        recipients: 3,
        cursor: String::new(),
        sent: 0,
        failed: 0,
        ended: 0,
        finished_at: None,
    };
    store
        .write(vec![Op::AddNewsletter(letter.clone())])
        .await
        .unwrap();
    assert_eq!(
        store.newsletter("nl-1").await.unwrap(),
        Some(letter.clone())
    );
    assert_eq!(
        store.newsletters_to_deliver(Timestamp(T)).await.unwrap(),
        vec![letter.clone()]
    );
    let claim = |now: i64| Op::ClaimNewsletter {
        id: "nl-1".into(),
        now: Timestamp(now),
        until: Timestamp(now + 100),
    };
    store.write(vec![claim(T)]).await.unwrap();
    assert!(
        matches!(
            store.write(vec![claim(T + 50)]).await,
            Err(StoreError::Gone)
        ),
        "held by the first"
    );
    assert!(
        store
            .newsletters_to_deliver(Timestamp(T + 50))
            .await
            .unwrap()
            .is_empty()
    );
    let progress = |cursor: &str, finished: Option<i64>| Op::NewsletterProgress {
        id: "nl-1".into(),
        cursor: cursor.into(),
        sent: 2,
        failed: 1,
        ended: 1,
        until: Timestamp(T + 200),
        finished_at: finished.map(Timestamp),
    };
    store.write(vec![progress("sub-b", None)]).await.unwrap();
    // Another server takes over once the hold has run out, from the cursor.
    let taken = store
        .newsletters_to_deliver(Timestamp(T + 201))
        .await
        .unwrap();
    assert_eq!(
        (taken[0].cursor.as_str(), taken[0].sent, taken[0].failed),
        ("sub-b", 2, 1)
    );
    store.write(vec![claim(T + 201)]).await.unwrap();
    store
        .write(vec![progress("sub-c", Some(T + 250))])
        .await
        .unwrap();
    let done = store.newsletter("nl-1").await.unwrap().unwrap();
    assert_eq!(
        (done.sent, done.failed, done.ended, done.finished_at),
        (4, 2, 2, Some(Timestamp(T + 250)))
    );
    assert!(
        store
            .newsletters_to_deliver(Timestamp(T + 10_000))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.write(vec![claim(T + 10_000)]).await,
        Err(StoreError::Gone)
    ));
    let later = Newsletter {
        id: "nl-0".into(),
        created_at: Timestamp(T + 1),
        ..letter.clone()
    };
    let other_form = Newsletter {
        id: "nl-2".into(),
        form_id: "annet".into(),
        ..letter.clone()
    };
    store
        .write(vec![
            Op::AddNewsletter(later),
            Op::AddNewsletter(other_form),
        ])
        .await
        .unwrap();
    let ids: Vec<String> = store
        .newsletters_of("nyhetsbrev")
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(ids, ["nl-0", "nl-1"], "newest first, the form's own");
}

/// The submissions the contract leaves: 299 stored, less the two it deletes.
const LEFT_BY_CONTRACT: i64 = 297;

#[tokio::test(flavor = "multi_thread")]
async fn store_contract_on_sqlite() {
    let dir = TempDir::new("store");
    let url = format!("sqlite://{}", dir.path().join("forms.db").display());
    contract(Store::open(&url).await.unwrap()).await;
    // Reopening runs the migrations again without harm and keeps the data.
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.count_submissions().await.unwrap(), LEFT_BY_CONTRACT);
}

#[tokio::test(flavor = "multi_thread")]
async fn store_contract_on_postgres() {
    let pg = Postgres::start();
    contract(Store::open(&pg.url).await.unwrap()).await;
    let store = Store::open(&pg.url).await.unwrap();
    assert_eq!(store.count_submissions().await.unwrap(), LEFT_BY_CONTRACT);
}

/// What the contract leaves in SQLite moves into PostgreSQL whole, page after page:
/// the same rows, the same sealed bytes, and an audit chain that verifies there.
#[tokio::test(flavor = "multi_thread")]
async fn what_the_contract_leaves_moves_from_sqlite_to_postgres() {
    let dir = TempDir::new("store-move");
    let url = format!("sqlite://{}", dir.path().join("forms.db").display());
    contract(Store::open(&url).await.unwrap()).await;
    let source = Store::open(&url).await.unwrap();
    let pg = Postgres::start();
    let target = Store::open(&pg.url).await.unwrap();
    let moved = source.copy_to_postgres(&target).await.unwrap();
    let rows = |table: &str| moved.iter().find(|(t, _)| *t == table).unwrap().1;
    assert_eq!(rows("submissions") as i64, LEFT_BY_CONTRACT);
    assert_eq!(target.count_submissions().await.unwrap(), LEFT_BY_CONTRACT);
    assert_eq!(rows("audit_head"), 1);
    let entries = source.audit_log().await.unwrap();
    assert!(entries.len() > 256, "more than one page: {}", entries.len());
    assert_eq!(target.audit_log().await.unwrap(), entries);
    assert!(matches!(
        target.verify_audit().await.unwrap(),
        forms_server::store::AuditVerdict::Intact { .. }
    ));
    for id in ["id-0001", "id-0299"] {
        assert!(source.sealed(id).await.unwrap().is_some(), "{id}");
        assert_eq!(
            target.sealed(id).await.unwrap(),
            source.sealed(id).await.unwrap(),
            "{id}"
        );
    }
    // Moved once; a second time into the same database is refused.
    assert!(source.copy_to_postgres(&target).await.is_err());
    // And only ever from SQLite into PostgreSQL.
    assert!(target.copy_to_postgres(&source).await.is_err());
}

/// Two servers sharing a database run retention at the same time: every expired
/// submission is deleted once, with one audit entry, and the rest stay.
async fn retention_by_two_servers_at_once(url: &str) {
    const T0: i64 = 1_800_000_000_000;
    let first = Store::open(url).await.unwrap();
    let second = Store::open(url).await.unwrap();
    let mut writes = Vec::new();
    for n in 0..200 {
        let mut s = submission(n, &format!("R-{n:04}"), "a");
        s.retain_until = Timestamp(T0 + n as i64);
        let store = first.clone();
        writes.push(tokio::spawn(async move {
            store.write(vec![Op::InsertSubmission(s)]).await
        }));
    }
    for write in writes {
        write.await.unwrap().unwrap();
    }
    // Retention ended for the 150 whose time is at or before now.
    let now = Timestamp(T0 + 149);
    let (a, b) = tokio::join!(
        forms_server::privacy::retention::delete_expired(&first, now),
        forms_server::privacy::retention::delete_expired(&second, now),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 150, "deleted {a} and {b}");
    assert_eq!(first.count_submissions().await.unwrap(), 50);
    assert!(first.sealed("id-0149").await.unwrap().is_none());
    assert!(first.sealed("id-0150").await.unwrap().is_some());
    let audit = first.audit_log().await.unwrap();
    let mut deleted: Vec<String> = audit
        .iter()
        .filter(|e| e.action == actions::SUBMISSION_DELETED)
        .map(|e| e.submission_id.clone().unwrap())
        .collect();
    deleted.sort();
    deleted.dedup();
    assert_eq!(deleted.len(), 150, "one entry a deleted submission");
    assert_eq!(audit.len(), 150, "and no other");
    assert!(
        audit
            .iter()
            .all(|e| e.actor == forms_server::privacy::retention::ACTOR)
    );
    assert!(matches!(
        first.verify_audit().await.unwrap(),
        forms_server::store::AuditVerdict::Intact { entries: 150, .. }
    ));
    // A second run finds nothing more.
    assert_eq!(
        forms_server::privacy::retention::delete_expired(&second, now)
            .await
            .unwrap(),
        0
    );
    first.close().await;
    second.close().await;
}

/// Two servers that both write their first audit entry into a new database: the
/// entries are chained one after the other, and neither write fails.
async fn first_audit_entries_of_two_servers(url: &str) {
    let first = Store::open(url).await.unwrap();
    let second = Store::open(url).await.unwrap();
    let entry = |actor: &str| {
        vec![Op::Audit(AuditEntry {
            at: Timestamp(1_800_000_000_000),
            actor: actor.into(),
            action: actions::CASEWORKER_ADDED,
            submission_id: None,
            queue: None,
        })]
    };
    let (a, b) = tokio::join!(first.write(entry("first")), second.write(entry("second")));
    a.unwrap();
    b.unwrap();
    assert!(matches!(
        first.verify_audit().await.unwrap(),
        forms_server::store::AuditVerdict::Intact {
            entries: 2,
            legacy: 0
        }
    ));
    first.close().await;
    second.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn first_audit_entries_of_two_servers_on_sqlite() {
    for round in 0..10 {
        let dir = TempDir::new(&format!("first-audit-{round}"));
        let url = format!("sqlite://{}", dir.path().join("forms.db").display());
        first_audit_entries_of_two_servers(&url).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn first_audit_entries_of_two_servers_on_postgres() {
    let pg = Postgres::start();
    for round in 0..10 {
        first_audit_entries_of_two_servers(&pg.create_database(&format!("fresh{round}"))).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_by_two_servers_on_sqlite() {
    let dir = TempDir::new("retention");
    let url = format!("sqlite://{}", dir.path().join("forms.db").display());
    retention_by_two_servers_at_once(&url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_by_two_servers_on_postgres() {
    let pg = Postgres::start();
    retention_by_two_servers_at_once(&pg.url).await;
}

/// Commits that follow each other without a pause never give SQLite the moment it needs
/// to start its WAL over by itself (before the store restarted it, this load left a WAL
/// of 147 MiB). The store restarts it at 16 MiB, so the WAL stays near that size however
/// long the load lasts, and its file shrinks back once it starts over.
#[tokio::test(flavor = "multi_thread")]
async fn the_wal_stays_bounded_while_commits_never_pause() {
    const MIB: u64 = 1 << 20;
    let dir = TempDir::new("wal");
    let path = dir.path().join("forms.db");
    let store = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let wal = dir.path().join("forms.db-wal");
    let wal_size = move || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);

    // 16 writers, 4,000 submissions of 32 KiB: about 160 MiB through the WAL, with no
    // pause between commits.
    let next = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for _ in 0..16 {
        let (store, next) = (store.clone(), next.clone());
        writers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= 4000 {
                    return;
                }
                let mut s = submission(n, &format!("W-{n:05}"), "a");
                s.sealed = vec![(n % 251) as u8; 32 * 1024];
                store.write(vec![Op::InsertSubmission(s)]).await.unwrap();
            }
        }));
    }
    let mut largest = 0;
    while writers.iter().any(|w| !w.is_finished()) {
        largest = largest.max(wal_size());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    largest = largest.max(wal_size());
    // 16 MiB and what one group commit adds before the writer restarts the WAL.
    assert!(
        largest < 24 * MIB,
        "the WAL grew to {} MiB under load",
        largest / MIB
    );

    // Once the load is over, a checkpoint copies the rest and the next commit starts the
    // WAL over, cutting its file back.
    let mut n = 4000;
    let deadline = Instant::now() + Duration::from_secs(30);
    while wal_size() > 16 * MIB {
        assert!(
            Instant::now() < deadline,
            "the WAL file stayed at {} MiB",
            wal_size() / MIB
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        store
            .write(vec![Op::InsertSubmission(submission(
                n,
                &format!("W-{n:05}"),
                "a",
            ))])
            .await
            .unwrap();
        n += 1;
    }
    assert_eq!(store.count_submissions().await.unwrap(), n as i64);
}
