//! Throughput of a sealed, durably stored submission against its two ceilings.
//!
//! `cargo bench -p forms-server --bench submit`. The phases take turns in `BENCH_ROUNDS`
//! rounds (3 by default), each phase `BENCH_SECONDS` a round (2 s by default), so that a
//! machine whose speed drifts weighs on all of them alike. Runs the real server
//! in-process on 127.0.0.1 with the shipped form schemas, a SQLite database in a
//! temporary folder, and 16 HTTPS keep-alive clients (one connection each) in the same
//! process. It measures:
//!
//! (a) a bare TLS endpoint of the same server with a fixed body (`GET /livez`);
//! (b) age sealing of a contact-form payload to the queue's recipients, alone, per core;
//! (c) the contact-form submission through the JSON API, sealed and durably stored;
//!
//! and prints (c) / (1 / (1/a + 1/(b × cores))): the share of the ceiling that TLS and
//! sealing together leave, over all rounds and for each round. The target is at least
//! 80 %.
//!
//! Each phase also reports the CPU time (user and system, clients included) it spent an
//! operation, and for (a) and (c) the same split by thread name (tokio's workers, where
//! the HTTP, TLS, sealing and the clients run; sqlx's SQLite threads). A last line
//! compares the CPU a submission may take at the target with what (a) and (b) already
//! take of it and with what (c) took.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use forms_server::config::{Config, Database, Limits, Log, LogFormat, TlsFiles, Vault};
use forms_server::schema::Catalog;
use forms_server::web::{self, BuildOptions};

const CLIENTS: usize = 16;
const MESSAGE: &str = "Hei! Jeg lurer på når søppelet blir hentet i Storgata denne uka, \
    siden det var helligdag på mandag. Og kan jeg levere hageavfall på gjenbruksstasjonen \
    uten å bestille time først? Takk for svar.";

struct Phase {
    name: &'static str,
    ops: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// CPU time of the whole process (server and clients) over the phase.
    cpu: Duration,
    /// The same by thread name (tokio's workers, sqlx's SQLite threads, …), without the
    /// threads that ended during the phase; empty for (b).
    threads: BTreeMap<String, Duration>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }

    /// CPU time spent for each operation, on all cores together.
    fn cpu_per_op(&self) -> Duration {
        self.cpu / self.ops.max(1) as u32
    }

    /// The rounds of one phase as one measurement.
    fn merge(parts: Vec<Phase>) -> Phase {
        let mut merged = Phase {
            name: parts[0].name,
            ops: 0,
            elapsed: Duration::ZERO,
            latencies: Vec::new(),
            cpu: Duration::ZERO,
            threads: BTreeMap::new(),
        };
        for part in parts {
            merged.ops += part.ops;
            merged.elapsed += part.elapsed;
            merged.latencies.extend(part.latencies);
            merged.cpu += part.cpu;
            for (name, cpu) in part.threads {
                *merged.threads.entry(name).or_default() += cpu;
            }
        }
        merged
    }

    fn print(&self) {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let percentile_ms = |p: f64| {
            let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
            sorted.get(index).copied().unwrap_or_default().as_secs_f64() * 1e3
        };
        println!(
            "{:<44} {:>10.0}/s   p50 {:>8.3} ms   p99 {:>8.3} ms   CPU {:>5} µs/op   ({} ops)",
            self.name,
            self.rate(),
            percentile_ms(0.50),
            percentile_ms(0.99),
            self.cpu_per_op().as_micros(),
            self.ops
        );
        if !self.threads.is_empty() {
            let ops = self.ops.max(1) as u32;
            let by_thread: Vec<String> = self
                .threads
                .iter()
                .map(|(name, cpu)| (name, (*cpu / ops).as_micros()))
                .filter(|(_, micros)| *micros > 0)
                .map(|(name, micros)| format!("{name} {micros} µs"))
                .collect();
            println!("    CPU an op by thread: {}", by_thread.join(", "));
        }
    }
}

/// User and system CPU time so far, from a `stat` file of /proc (in the kernel's fixed
/// USER_HZ of 100 ticks a second): `/proc/self/stat` for the whole process, all threads,
/// `/proc/thread-self/stat` for the calling thread.
fn cpu_time(stat_file: &str) -> Duration {
    parse_stat(&std::fs::read_to_string(stat_file).unwrap()).1
}

/// The name and CPU time of each thread of this process now, by thread id.
fn cpu_by_thread() -> BTreeMap<u32, (String, Duration)> {
    let mut threads = BTreeMap::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let task = task.unwrap();
        let id = task.file_name().to_string_lossy().parse().unwrap();
        // A thread may end between listing and reading; it is left out.
        if let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) {
            let (name, cpu) = parse_stat(&stat);
            threads.insert(id, (name.to_string(), cpu));
        }
    }
    threads
}

/// What each thread spent since `before` (all of it for a thread started since), summed
/// by thread name.
fn cpu_by_thread_since(before: &BTreeMap<u32, (String, Duration)>) -> BTreeMap<String, Duration> {
    let mut by_name = BTreeMap::new();
    for (id, (name, cpu)) in cpu_by_thread() {
        let spent = cpu.saturating_sub(before.get(&id).map_or(Duration::ZERO, |b| b.1));
        *by_name.entry(name).or_default() += spent;
    }
    by_name
}

/// The name and the user and system CPU time of a `stat` line.
fn parse_stat(stat: &str) -> (&str, Duration) {
    // The name is in parentheses and may hold spaces; utime and stime are fields 14 and
    // 15 of the line, 12 and 13 after ") ".
    let open = stat.find('(').unwrap();
    let close = stat.rfind(')').unwrap();
    let ticks: u64 = stat[close + 2..]
        .split(' ')
        .skip(11)
        .take(2)
        .map(|t| t.parse::<u64>().unwrap())
        .sum();
    (&stat[open + 1..close], Duration::from_millis(ticks * 10))
}

/// The length of a phase in one round: `BENCH_SECONDS`, 2 s by default.
fn seconds() -> Duration {
    let secs = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    Duration::from_secs_f64(secs)
}

/// How many rounds of all phases: `BENCH_ROUNDS`, 3 by default.
fn rounds_wanted() -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(3)
}

const A: &str = "(a) bare TLS endpoint, GET /livez";
const B: &str = "(b) age sealing alone, one core";
const C: &str = "(c) contact form, sealed and durably stored";

/// How a client makes the request of a phase.
type Request = Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync>;

/// The rate a submission could reach if it cost exactly a request of `bare_tls` (a
/// second) and one sealing at `sealing` (a second, on all cores).
fn ceiling(bare_tls: f64, sealing: f64) -> f64 {
    1.0 / (1.0 / bare_tls + 1.0 / sealing)
}

/// 16 clients, each with one keep-alive connection, send requests until the deadline.
async fn load(
    name: &'static str,
    clients: &[reqwest::Client],
    make: Request,
    expected: u16,
) -> Phase {
    let duration = seconds();
    // Warm up: open every connection before the clock starts.
    for client in clients {
        let status = make(client).send().await.unwrap().status().as_u16();
        assert_eq!(status, expected, "{name}: warm-up request failed");
    }
    let cpu_before = cpu_time("/proc/self/stat");
    let threads_before = cpu_by_thread();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for client in clients {
        let client = client.clone();
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let response = make(&client).send().await.unwrap();
                assert_eq!(response.status().as_u16(), expected);
                let _ = response.bytes().await.unwrap();
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    Phase {
        name,
        ops: latencies.len(),
        elapsed: started.elapsed(),
        latencies,
        cpu: cpu_time("/proc/self/stat") - cpu_before,
        threads: cpu_by_thread_since(&threads_before),
    }
}

/// Sealing alone, on one thread: the cost a core pays for each submission.
fn seal_one_core(catalog: &Catalog) -> Phase {
    let form = catalog.form("kontakt").unwrap();
    let recipients = catalog
        .queue(form.routing.default.as_str())
        .unwrap()
        .recipients();
    let payload = serde_json::to_vec(&serde_json::json!({
        "format": "forms-submission/2",
        "reference": "2026-7K3F-9QXA",
        "submission_id": "0123456789abcdef0123456789abcdef",
        "form": {"id": "kontakt", "title": form.title.nb, "schema_sha256": form.schema_sha256},
        "queue": "servicetorget",
        "received_at": "2026-11-23T12:00:00Z",
        "auth": null,
        "prefill": {},
        "answers": {"message": MESSAGE, "email": "ola.nordmann@example.no"},
        "readable": form.fields().map(|f| serde_json::json!({"field": f.id, "label": f.label.nb, "value": MESSAGE})).collect::<Vec<_>>(),
    }))
    .unwrap();
    let duration = seconds();
    let cpu_before = cpu_time("/proc/thread-self/stat");
    let started = Instant::now();
    let mut latencies = Vec::new();
    while started.elapsed() < duration {
        let t = Instant::now();
        let sealed = forms_crypto::seal::seal(&payload, &recipients).unwrap();
        std::hint::black_box(sealed);
        latencies.push(t.elapsed());
    }
    Phase {
        name: B,
        ops: latencies.len(),
        elapsed: started.elapsed(),
        latencies,
        cpu: cpu_time("/proc/thread-self/stat") - cpu_before,
        threads: BTreeMap::new(),
    }
}

fn main() {
    // Quiet unless asked: RUST_LOG=forms_server::store=debug shows each group commit.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let dir = std::env::temp_dir().join(format!("forms-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.join("cert.pem"), certified.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
    let vault = forms_crypto::vault::Keyring::generate_key_line("b1").unwrap();
    std::fs::write(dir.join("vault.keys"), vault.as_bytes()).unwrap();
    let schemas = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../form-schemas");
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        schemas: schemas.clone(),
        tls: TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        },
        database: Database {
            url: Some(format!("sqlite://{}", dir.join("forms.db").display())),
        },
        vault: Vault {
            key_file: Some(dir.join("vault.keys")),
        },
        // All 16 clients share one address: the limit's bookkeeping (a read before
        // sealing, a count in the commit) is measured, but never refuses.
        limits: Limits {
            submissions_per_hour: u32::MAX,
            ..Limits::default()
        },
        log: Log {
            format: LogFormat::Json,
        },
        allow_synthetic_ids: false,
        idporten: None,
        mail: None,
        housekeeping: Default::default(),
        site: Default::default(),
        redirect: None,
        metrics: None,
    };
    let catalog = Catalog::load_dir(&schemas).unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (clients, get_live, post_submission) = runtime.block_on(async {
        let app = web::build(&config, BuildOptions::default()).await.unwrap();
        let port = app.local_addr().unwrap().port();
        tokio::spawn(app.serve());
        let base = format!("https://localhost:{port}");
        let ca = reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap();
        let clients: Vec<reqwest::Client> = (0..CLIENTS)
            .map(|_| {
                reqwest::Client::builder()
                    .add_root_certificate(ca.clone())
                    .http1_only()
                    .pool_max_idle_per_host(1)
                    .build()
                    .unwrap()
            })
            .collect();
        let live = format!("{base}/livez");
        let get_live: Request = Arc::new(move |c: &reqwest::Client| c.get(&live));
        let submit = format!("{base}/api/v1/forms/kontakt/submissions");
        let body = serde_json::json!({"answers": {"message": MESSAGE, "email": "ola.nordmann@example.no"}});
        let post_submission: Request =
            Arc::new(move |c: &reqwest::Client| c.post(&submit).json(&body));
        (clients, get_live, post_submission)
    });

    // The phases take turns, round after round, so that the machine's speed, which drifts
    // on shared hosts, weighs on each of them alike.
    let rounds = rounds_wanted();
    let (mut a_parts, mut b_parts, mut c_parts) = (Vec::new(), Vec::new(), Vec::new());
    let mut shares = Vec::new();
    // Sealing on all cores at once, operations a second in all, averaged over the rounds.
    let mut all_cores = 0.0;
    for _ in 0..rounds {
        let (a, c) = runtime.block_on(async {
            let a = load(A, &clients, get_live.clone(), 200).await;
            let c = load(C, &clients, post_submission.clone(), 201).await;
            (a, c)
        });
        let b = seal_one_core(&catalog);
        // The ceiling assumes sealing scales with cores; measure all cores sealing at once.
        all_cores += std::thread::scope(|scope| {
            let handles: Vec<_> = (0..cores)
                .map(|_| scope.spawn(|| seal_one_core(&catalog)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().rate())
                .sum::<f64>()
        }) / rounds as f64;
        let share = c.rate() / ceiling(a.rate(), b.rate() * cores as f64);
        shares.push(format!("{:.1} %", 100.0 * share));
        a_parts.push(a);
        b_parts.push(b);
        c_parts.push(c);
    }
    drop(runtime);
    let _ = std::fs::remove_dir_all(&dir);

    println!();
    println!(
        "cores: {cores}, clients: {CLIENTS}, {rounds} rounds of {} s a phase",
        seconds().as_secs_f64()
    );
    let (a, b, c) = (
        Phase::merge(a_parts),
        Phase::merge(b_parts),
        Phase::merge(c_parts),
    );
    a.print();
    b.print();
    c.print();
    let ceiling_rate = ceiling(a.rate(), b.rate() * cores as f64);
    println!(
        "ceiling 1/(1/a + 1/(b x {cores})) = {ceiling_rate:.0}/s; (c) reaches {:.1} % of it (target 80 %); \
         by round: {}",
        100.0 * c.rate() / ceiling_rate,
        shares.join(", ")
    );
    // The CPU that the target leaves a submission, against what (a) and (b) already take.
    let budget = Duration::from_secs_f64(cores as f64 / (0.8 * ceiling_rate));
    println!(
        "CPU a submission may take at 80 % of the ceiling: {} µs on all cores; \
         (a) and (b) take {} µs of it, (c) takes {} µs",
        budget.as_micros(),
        (a.cpu_per_op() + b.cpu_per_op()).as_micros(),
        c.cpu_per_op().as_micros()
    );
    let measured = ceiling(a.rate(), all_cores);
    println!(
        "for reference: sealing on all {cores} cores at once: {all_cores:.0}/s ({:.2} x one core); \
         with that, 1/(1/a + 1/b_all) = {measured:.0}/s and (c) reaches {:.1} %",
        all_cores / b.rate(),
        100.0 * c.rate() / measured
    );
}
