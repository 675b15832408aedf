//! Metrics for the operators' monitoring, in Prometheus's text format (version 0.0.4),
//! served at `GET /metrics` to a scraper that holds the metrics token.
//!
//! One registry a process ([`count`], [`add`], [`observe`], [`set`]) gathers what happens in
//! this server: requests by route and status, submissions by form and outcome, mail,
//! logins, KRR look-ups, schema reloads, and when the TLS certificate ends. What the
//! database holds (each queue's workload) is read when scraped ([`Sample`]), and is the
//! same from every server of an installation. [`FAMILIES`] names every metric with its help text.
//!
//! Must never: carry anything a citizen wrote or is (answers, addresses, identity
//! numbers, tokens, network addresses). Label values are route templates, form and
//! queue ids, and outcomes from fixed lists, so the number of series stays bounded.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, PoisonError, RwLock};

/// A metric's kind, as the text format names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

pub const HTTP_REQUESTS: &str = "forms_http_requests_total";
pub const HTTP_DURATION: &str = "forms_http_request_duration_seconds";
pub const SUBMISSIONS: &str = "forms_submissions_total";
pub const MAIL: &str = "forms_mail_messages_total";
pub const LOGINS: &str = "forms_logins_total";
pub const KRR_LOOKUPS: &str = "forms_krr_lookups_total";
pub const SCHEMA_RELOADS: &str = "forms_schema_reloads_total";
pub const FORMS_LOADED: &str = "forms_schema_forms";
pub const CERTIFICATE_END: &str = "forms_tls_certificate_not_after_timestamp_seconds";
pub const BUILD: &str = "forms_build_info";
pub const DATABASE_UP: &str = "forms_database_up";
pub const QUEUE_SUBMISSIONS: &str = "forms_queue_submissions";
pub const QUEUE_OLDEST_NEW: &str = "forms_queue_oldest_new_timestamp_seconds";
pub const QUEUE_CASEWORKERS: &str = "forms_queue_caseworkers";
pub const QUEUE_KEYS: &str = "forms_queue_recipient_keys";
pub const STORE_COMMIT: &str = "forms_store_commit_duration_seconds";
pub const HOUSEKEEPING_RUNS: &str = "forms_housekeeping_runs_total";
pub const HOUSEKEEPING_DONE: &str = "forms_housekeeping_last_success_timestamp_seconds";
pub const RETENTION_DELETED: &str = "forms_retention_deleted_total";
pub const SUBSCRIPTIONS_ENDED: &str = "forms_newsletter_subscriptions_ended_total";

/// Every metric: name, kind and help text, in the order they are served.
pub const FAMILIES: &[(&str, Kind, &str)] = &[
    (
        BUILD,
        Kind::Gauge,
        "The version of forms this server runs (always 1).",
    ),
    (
        HTTP_REQUESTS,
        Kind::Counter,
        "Requests answered, by method, route template and status.",
    ),
    (
        HTTP_DURATION,
        Kind::Histogram,
        "Time from a request's arrival to its response, by method and route template.",
    ),
    (
        SUBMISSIONS,
        Kind::Counter,
        "Submissions by form and outcome: stored, awaits_confirmation (a newsletter \
         sign-up), invalid, sensitive (refused by the content guard), login_required, \
         too_many (the hourly limit), unavailable (configuration) or failed.",
    ),
    (
        MAIL,
        Kind::Counter,
        "Mail by kind (receipt, reply, notice, confirmation, newsletter, \
         newsletter_test) and outcome: sent, refused (the mail server refused it for \
         good, as for a mailbox that does not exist) or failed.",
    ),
    (
        LOGINS,
        Kind::Counter,
        "ID-porten logins that came back, by outcome: ok or why they failed.",
    ),
    (
        KRR_LOOKUPS,
        Kind::Counter,
        "Contact-register look-ups after login, by outcome: found, none (reserved or \
         not registered), refused (an error or an answer that is no JSON) or \
         unreachable (no answer in time).",
    ),
    (
        SCHEMA_RELOADS,
        Kind::Counter,
        "Form schema reloads while running, by outcome: ok, or refused (the last good \
         schemas keep serving).",
    ),
    (
        STORE_COMMIT,
        Kind::Histogram,
        "Time the database writer took to commit a batch of writes (group commit), by \
         outcome (ok, failed).",
    ),
    (
        HOUSEKEEPING_RUNS,
        Kind::Counter,
        "Runs of housekeeping (deleting what retention, idle sessions, the hourly limit \
         and newsletter sign-ups have ended), by outcome: ok, or failed in some part.",
    ),
    (
        HOUSEKEEPING_DONE,
        Kind::Gauge,
        "When housekeeping last ran without a failure, in seconds since 1970.",
    ),
    (
        RETENTION_DELETED,
        Kind::Counter,
        "Submissions deleted because their retention ended.",
    ),
    (
        SUBSCRIPTIONS_ENDED,
        Kind::Counter,
        "Newsletter subscriptions ended, by reason: unsubscribed (by the subscriber), \
         refused (the mail server refused three newsletters in a row at the address), or \
         erased (on the subscriber's request for erasure).",
    ),
    (FORMS_LOADED, Kind::Gauge, "Forms in force."),
    (
        CERTIFICATE_END,
        Kind::Gauge,
        "When the TLS certificate being served ends, in seconds since 1970.",
    ),
    (
        DATABASE_UP,
        Kind::Gauge,
        "Whether the database answered this scrape (1) or not (0).",
    ),
    (
        QUEUE_SUBMISSIONS,
        Kind::Gauge,
        "Submissions held, by queue and status (new, in_progress, done); the same from \
         every server of an installation.",
    ),
    (
        QUEUE_OLDEST_NEW,
        Kind::Gauge,
        "When the oldest new submission of a queue was received, in seconds since 1970; \
         absent while a queue has none.",
    ),
    (
        QUEUE_CASEWORKERS,
        Kind::Gauge,
        "Caseworkers whose token works, by queue; at 0 nobody can fetch what citizens \
         send to it.",
    ),
    (
        QUEUE_KEYS,
        Kind::Gauge,
        "The age keys a queue's submissions are sealed to.",
    ),
];

/// Upper bounds of the duration histograms' buckets, in seconds: from a commit on a
/// quick disk to a request that waits for ID-porten.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One series' numbers. They are atomics, so that recording one takes only a read lock
/// on the registry, which every thread may hold at once, and allocates nothing once the
/// series exists.
#[derive(Debug)]
enum Cell {
    /// A counter's count.
    Count(AtomicU64),
    /// A gauge's value, as the bits of an `f64`.
    Value(AtomicU64),
    Histogram(Box<HistogramCell>),
}

#[derive(Debug, Default)]
struct HistogramCell {
    /// Observations at or below each of [`BUCKETS`] (not yet cumulative).
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

/// A metric with one set of labels, in the order given.
#[derive(Debug)]
struct Series {
    name: &'static str,
    labels: Vec<(&'static str, String)>,
    cell: Cell,
}

impl Series {
    fn is(&self, name: &str, labels: &[(&'static str, &str)]) -> bool {
        self.name == name
            && self.labels.len() == labels.len()
            && self
                .labels
                .iter()
                .zip(labels)
                .all(|((k1, v1), (k2, v2))| k1 == k2 && v1 == v2)
    }
}

/// What this process has counted: series by a hash of their name and labels.
type Registry = HashMap<u64, Vec<Series>>;

static REGISTRY: LazyLock<RwLock<Registry>> = LazyLock::new(RwLock::default);

/// Labels as a series keeps them.
fn owned(labels: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    labels.iter().map(|(k, v)| (*k, (*v).to_string())).collect()
}

/// A time as a metric gives it: seconds since 1970.
pub fn seconds(at: crate::clock::Timestamp) -> f64 {
    at.millis() as f64 / 1000.0
}

fn hash_of(name: &str, labels: &[(&'static str, &str)]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    name.hash(&mut hasher);
    labels.hash(&mut hasher);
    hasher.finish()
}

/// Applies `f` to the cell of `name` with `labels`, made by `new` the first time.
fn record(
    name: &'static str,
    labels: &[(&'static str, &str)],
    new: impl FnOnce() -> Cell,
    f: impl Fn(&Cell),
) {
    let hash = hash_of(name, labels);
    {
        let registry = REGISTRY.read().unwrap_or_else(PoisonError::into_inner);
        let found = registry
            .get(&hash)
            .and_then(|all| all.iter().find(|s| s.is(name, labels)));
        if let Some(series) = found {
            f(&series.cell);
            return;
        }
    }
    let mut registry = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
    let all = registry.entry(hash).or_default();
    if let Some(series) = all.iter().find(|s| s.is(name, labels)) {
        f(&series.cell);
        return;
    }
    let series = Series {
        name,
        labels: owned(labels),
        cell: new(),
    };
    f(&series.cell);
    all.push(series);
}

/// Adds one to counter `name` with `labels`.
pub fn count(name: &'static str, labels: &[(&'static str, &str)]) {
    add(name, labels, 1);
}

/// Adds `n` to counter `name` with `labels`.
pub fn add(name: &'static str, labels: &[(&'static str, &str)], n: u64) {
    let new = || Cell::Count(AtomicU64::new(0));
    record(name, labels, new, |cell| {
        if let Cell::Count(count) = cell {
            count.fetch_add(n, Ordering::Relaxed);
        }
    });
}

/// Records one duration of `seconds` in histogram `name` with `labels`.
pub fn observe(name: &'static str, labels: &[(&'static str, &str)], seconds: f64) {
    let new = || Cell::Histogram(Box::default());
    record(name, labels, new, |cell| {
        if let Cell::Histogram(histogram) = cell {
            if let Some(i) = BUCKETS.iter().position(|bound| seconds <= *bound) {
                histogram.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
            histogram.count.fetch_add(1, Ordering::Relaxed);
            let nanos = (seconds * 1e9) as u64;
            histogram.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        }
    });
}

/// Sets gauge `name` with `labels` to `value`.
pub fn set(name: &'static str, labels: &[(&'static str, &str)], value: f64) {
    let new = || Cell::Value(AtomicU64::new(0));
    record(name, labels, new, |cell| {
        if let Cell::Value(bits) = cell {
            bits.store(value.to_bits(), Ordering::Relaxed);
        }
    });
}

/// A value read at the moment of scraping (from the database), served with the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: &'static str,
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

impl Sample {
    pub fn new(name: &'static str, labels: &[(&'static str, &str)], value: f64) -> Sample {
        Sample {
            name,
            labels: owned(labels),
            value,
        }
    }
}

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Everything this process has counted, with `scraped`, in the text format: each
/// metric of [`FAMILIES`] with its help and type, then its series.
pub fn render(scraped: &[Sample]) -> String {
    let mut out = String::new();
    let registry = REGISTRY.read().unwrap_or_else(PoisonError::into_inner);
    let mut all: Vec<&Series> = registry.values().flatten().collect();
    all.sort_by(|a, b| (a.name, &a.labels).cmp(&(b.name, &b.labels)));
    for (name, kind, help) in FAMILIES {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {}", kind.name());
        if *name == BUILD {
            let version = [("version", env!("CARGO_PKG_VERSION").to_string())];
            line(&mut out, name, "", &version, None, 1.0);
        }
        for series in all.iter().filter(|s| s.name == *name) {
            let labels = &series.labels;
            match &series.cell {
                Cell::Count(n) => line(
                    &mut out,
                    name,
                    "",
                    labels,
                    None,
                    n.load(Ordering::Relaxed) as f64,
                ),
                Cell::Value(bits) => {
                    let value = f64::from_bits(bits.load(Ordering::Relaxed));
                    line(&mut out, name, "", labels, None, value);
                }
                Cell::Histogram(histogram) => {
                    let mut below = 0;
                    for (bound, n) in BUCKETS.iter().zip(&histogram.buckets) {
                        below += n.load(Ordering::Relaxed);
                        let le = bound.to_string();
                        line(&mut out, name, "_bucket", labels, Some(&le), below as f64);
                    }
                    let count = histogram.count.load(Ordering::Relaxed) as f64;
                    let sum = histogram.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
                    line(&mut out, name, "_bucket", labels, Some("+Inf"), count);
                    line(&mut out, name, "_sum", labels, None, sum);
                    line(&mut out, name, "_count", labels, None, count);
                }
            }
        }
        for sample in scraped.iter().filter(|s| s.name == *name) {
            line(&mut out, name, "", &sample.labels, None, sample.value);
        }
    }
    out
}

/// One sample line: `name{labels} value`, with `le` last where given.
fn line(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &[(&'static str, String)],
    le: Option<&str>,
    value: f64,
) {
    let mut pairs: Vec<String> = labels
        .iter()
        .map(|(key, value)| format!("{key}=\"{}\"", escape(value)))
        .collect();
    if let Some(le) = le {
        pairs.push(format!("le=\"{le}\""));
    }
    let labels = if pairs.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", pairs.join(","))
    };
    let _ = writeln!(out, "{name}{suffix}{labels} {value}");
}

/// A label value as the text format quotes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the one line of `text` that starts with `prefix` and a space.
    fn value(text: &str, prefix: &str) -> f64 {
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with(' '))
            })
            .collect();
        assert_eq!(lines.len(), 1, "{prefix} in:\n{text}");
        lines[0][prefix.len() + 1..].parse().unwrap()
    }

    #[test]
    fn counters_histograms_and_scraped_values_are_served_in_the_text_format() {
        // The registry is the process's; labels unique to this test keep it apart.
        let route = [
            ("method", "GET"),
            ("route", "/test/{counted}"),
            ("status", "200"),
        ];
        count(HTTP_REQUESTS, &route);
        count(HTTP_REQUESTS, &route);
        let timed = [("method", "GET"), ("route", "/test/{timed}")];
        for seconds in [0.001, 0.02, 0.02, 3.0, 60.0] {
            observe(HTTP_DURATION, &timed, seconds);
        }
        set(FORMS_LOADED, &[], 7.0);
        let queue = Sample::new(
            QUEUE_SUBMISSIONS,
            &[("queue", "test\"queue\\\n"), ("status", "new")],
            4.0,
        );
        let text = render(&[queue]);

        let requests =
            r#"forms_http_requests_total{method="GET",route="/test/{counted}",status="200"}"#;
        assert_eq!(value(&text, requests), 2.0);
        let bucket = |le: &str| {
            value(
                &text,
                &format!(
                    r#"forms_http_request_duration_seconds_bucket{{method="GET",route="/test/{{timed}}",le="{le}"}}"#
                ),
            )
        };
        assert_eq!(bucket("0.0005"), 0.0);
        assert_eq!(bucket("0.001"), 1.0);
        assert_eq!(bucket("0.005"), 1.0);
        assert_eq!(bucket("0.01"), 1.0);
        assert_eq!(bucket("0.025"), 3.0);
        assert_eq!(bucket("2.5"), 3.0);
        assert_eq!(bucket("5"), 4.0);
        assert_eq!(bucket("10"), 4.0);
        assert_eq!(bucket("+Inf"), 5.0);
        let timed = r#"{method="GET",route="/test/{timed}"}"#;
        assert_eq!(
            value(
                &text,
                &format!("forms_http_request_duration_seconds_count{timed}")
            ),
            5.0
        );
        let sum = value(
            &text,
            &format!("forms_http_request_duration_seconds_sum{timed}"),
        );
        assert!((sum - 63.041).abs() < 1e-9, "{sum}");
        assert_eq!(value(&text, "forms_schema_forms"), 7.0);
        assert_eq!(
            value(
                &text,
                r#"forms_queue_submissions{queue="test\"queue\\\n",status="new"}"#
            ),
            4.0
        );
        let version = format!(
            r#"forms_build_info{{version="{}"}}"#,
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(value(&text, &version), 1.0);

        // Every metric has its help and type once, before its samples.
        for (name, kind, _) in FAMILIES {
            let help = format!("# HELP {name} ");
            let kind = format!("# TYPE {name} {}", kind.name());
            assert_eq!(text.matches(&help).count(), 1, "{name}");
            assert_eq!(text.lines().filter(|l| *l == kind).count(), 1, "{name}");
            let declared = text.find(&kind).unwrap();
            let first = text
                .lines()
                .position(|l| l.starts_with(name) && !l.starts_with('#'));
            if let Some(first) = first {
                let first_at: usize = text.lines().take(first).map(|l| l.len() + 1).sum();
                assert!(declared < first_at, "{name}");
            }
        }
    }
}
