//! The test harness: the real `forms` binary over real TLS, a real SQLite file or a
//! throwaway PostgreSQL started here, real age keys, and the real `age` CLI.
//!
//! Nothing is mocked. A test that needs PostgreSQL and cannot start it fails with the
//! reason; it never skips.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use forms_crypto::seal::Identity;
use tokio::io::{AsyncRead, AsyncReadExt};

pub const FORMS: &str = env!("CARGO_BIN_EXE_forms");
const REPO_SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../form-schemas");

/// Reads one HTTP/1.1 response with a Content-Length; its status line.
pub async fn read_response(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("a response")
            .unwrap();
        assert!(n > 0, "closed before the response was whole");
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .expect("a Content-Length");
            if data.len() >= end + 4 + length {
                return text.lines().next().unwrap().to_string();
            }
        }
    }
}

/// The port of the address a JSON log line gives in `addr`.
fn logged_port(line: &str) -> u16 {
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    let addr = value["addr"].as_str().unwrap();
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

/// A folder under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("forms-e2e-{}-{label}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn find_pg_tool(name: &str) -> PathBuf {
    let on_path = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if let Some(path) = on_path {
        return path;
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path().join("bin").join(name))
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions.into_iter().rev().find(|p| p.exists()).unwrap_or_else(|| {
        panic!("PostgreSQL's {name} is not installed (apt-get install postgresql); the PostgreSQL tests need it")
    })
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root (initdb refuses root).
fn pg_command(tool: &str, as_owner: bool) -> Command {
    let path = find_pg_tool(tool);
    if as_owner && is_root() {
        let mut cmd = Command::new("runuser");
        cmd.arg("-u").arg("postgres").arg("--").arg(path);
        cmd
    } else {
        Command::new(path)
    }
}

fn run_ok(mut cmd: Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A PostgreSQL server of our own, on a Unix socket in a temporary folder.
pub struct Postgres {
    dir: TempDir,
    pub url: String,
}

impl Postgres {
    pub fn start() -> Postgres {
        let dir = TempDir::new("pg");
        let data = dir.path().join("data");
        if is_root() {
            run_ok(
                {
                    let mut c = Command::new("chown");
                    c.arg("-R").arg("postgres").arg(dir.path());
                    c
                },
                "chown the PostgreSQL folder",
            );
        }
        let mut initdb = pg_command("initdb", true);
        initdb.arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "forms",
            "-E",
            "UTF8",
            "--no-locale",
        ]);
        run_ok(initdb, "initdb");
        let mut pg = Postgres {
            dir,
            url: String::new(),
        };
        pg.run();
        pg.url = pg.create_database("forms");
        pg
    }

    /// Starts the server on its data folder (again, after [`Postgres::stop`]).
    pub fn run(&self) {
        let mut start = pg_command("pg_ctl", true);
        start
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-l")
            .arg(self.dir.path().join("postgres.log"))
            .arg("-o")
            .arg(format!(
                "-k {} -c listen_addresses='' -c max_connections=100",
                self.dir.path().display()
            ))
            .args(["-w", "-t", "60", "start"]);
        run_ok(start, "pg_ctl start");
    }

    /// Stops the server as an outage would: its clients' connections are cut.
    pub fn stop(&self) {
        let mut stop = pg_command("pg_ctl", true);
        stop.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "fast", "-w", "-t", "60", "stop"]);
        run_ok(stop, "pg_ctl stop");
    }

    /// Creates an empty database `name` in this cluster; returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        let mut create = pg_command("psql", false);
        create.arg("-h").arg(self.dir.path()).args([
            "-U",
            "forms",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            &format!("CREATE DATABASE {name}"),
        ]);
        run_ok(create, "create database");
        format!(
            "postgres://forms@localhost/{name}?host={}",
            self.dir.path().display()
        )
    }

    /// Everything in the database, as `pg_dump` writes it.
    pub fn dump(&self) -> String {
        let mut dump = pg_command("pg_dump", false);
        dump.arg("-h")
            .arg(self.dir.path())
            .args(["-U", "forms", "forms"]);
        run_ok(dump, "pg_dump")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut stop = pg_command("pg_ctl", true);
        stop.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = stop.status();
    }
}

/// Where a test server keeps its data.
pub enum Backend {
    Sqlite,
    Postgres(String),
}

/// A queue of the test catalog and its caseworker's key.
pub struct TestQueue {
    pub id: String,
    pub identity: Identity,
    pub identity_path: PathBuf,
}

/// The real `forms serve`, with a catalog of the shipped contact form plus a second
/// form routed to a second queue.
pub struct Server {
    pub dir: TempDir,
    pub url: String,
    pub config: PathBuf,
    pub cert_pem: Vec<u8>,
    pub sqlite_path: Option<PathBuf>,
    pub queues: Vec<TestQueue>,
    child: Option<Child>,
    log_path: PathBuf,
    database_url: String,
    /// The ID-porten simulator's issuer, when the server logs in against it.
    pub issuer: Option<String>,
    simulator_files: Option<TempDir>,
}

impl Server {
    /// A browser that trusts this server and its ID-porten simulator.
    pub fn browser(&self) -> Browser {
        Browser::new(&[&self.cert_pem])
    }
}

const OTHER_FORM: &str = "id: byggesak-sporsmal
title: { nb: Spørsmål om byggesak }
languages: [nb]
auth: none
route: { queue: byggesak }
retention: { months: 12, required_by: arkivlova § 6 }
privacy:
  purpose: { nb: For å svare på spørsmål om byggesaker. }
  legal_basis: { nb: Plan- og bygningsloven & forvaltningsloven. }
fields:
  - id: message
    type: textarea
    label: { nb: Spørsmålet ditt }
    required: true
";

/// The [idporten] section of a test server, and the simulator it logs in against.
pub struct LoginSetup {
    port: u16,
    /// The certificate and key of both the simulator and the server (a client told to
    /// trust two self-signed certificates with the same name may try the wrong one).
    cert_pem: String,
    key_pem: String,
    config: String,
    issuer: String,
}

/// The client id and secret of the test server at the simulator.
const CLIENT_ID: &str = "forms-test";
const CLIENT_SECRET: &str = "test-client-secret-not-for-production";

/// A self-signed certificate for localhost, written to `dir` as cert.pem and key.pem,
/// and a TLS server configuration of it.
pub fn localhost_tls(dir: &Path) -> (String, String, std::sync::Arc<rustls::ServerConfig>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let (cert, key) = (certified.cert.pem(), certified.signing_key.serialize_pem());
    std::fs::write(dir.join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.join("key.pem"), &key).unwrap();
    let tls =
        forms_server::web::tls::server_config(&dir.join("cert.pem"), &dir.join("key.pem")).unwrap();
    (cert, key, tls)
}

/// A port free just now, for a server whose redirect address must name its port before
/// it starts. Taken below Linux's ephemeral range (32768 and up), where the kernel puts
/// every client connection and every `:0` listener of the other tests running at the
/// same time, so none of them can take it before the server binds it; and never twice
/// in this process. (A port from `:0`, as before, now and then went to a test's client
/// connection first, and the server then failed to start.)
pub fn free_port() -> u16 {
    const FIRST: usize = 20_000;
    const COUNT: usize = 12_000;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let start = std::process::id() as usize;
    loop {
        let port = FIRST + (start + NEXT.fetch_add(1, Ordering::SeqCst) * 7) % COUNT;
        let port = u16::try_from(port).unwrap();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

impl Server {
    pub fn start(backend: Backend) -> Server {
        Server::start_with(backend, None)
    }

    /// A server that logs in against an ID-porten simulator running in this test
    /// process (call from a multi-threaded tokio test).
    pub async fn start_with_login(backend: Backend) -> Server {
        let mut server = Server::prepare_with_login(backend).await;
        tokio::task::block_in_place(|| server.launch());
        server
    }

    /// As [`Server::start_with_login`], but not started: see [`Server::serve_here`].
    pub async fn prepare_with_login(backend: Backend) -> Server {
        let dir = TempDir::new("login-files");
        let (cert_pem, key_pem, tls) = localhost_tls(dir.path());
        let port = free_port();
        let base = format!("https://localhost:{port}");
        let sim =
            forms_server::auth::simulator::start(forms_server::auth::simulator::SimulatorOptions {
                listen: "127.0.0.1:0".parse().unwrap(),
                tls,
                key_file: dir.path().join("sim-key.pem"),
                clients: vec![forms_server::auth::simulator::SimClient {
                    client_id: CLIENT_ID.into(),
                    secret: Some(CLIENT_SECRET.into()),
                    public_key: None,
                    redirect_uris: vec![format!("{base}/innlogging/tilbake")],
                    post_logout_redirect_uris: vec![format!("{base}/utlogget")],
                    frontchannel_logout_uri: Some(format!("{base}/innlogging/frontkanal")),
                }],
                clock: std::sync::Arc::new(forms_server::clock::SystemClock),
            })
            .await
            .unwrap();
        let sim_ca = dir.path().join("cert.pem").display().to_string();
        let config = format!(
            "allow_synthetic_ids = true\n\
             [idporten]\nissuer = \"{issuer}\"\nclient_id = \"{CLIENT_ID}\"\n\
             client_secret_file = \"client-secret\"\n\
             redirect_uri = \"{base}/innlogging/tilbake\"\n\
             post_logout_redirect_uri = \"{base}/utlogget\"\n\
             krr_url = \"{issuer}/kontaktregister/rest/v1/person\"\n\
             krr_timeout_ms = 1000\n\
             ca_file = \"{sim_ca}\"\nhmac_key_file = \"hmac.key\"\n",
            issuer = sim.issuer,
        );
        let setup = LoginSetup {
            port,
            cert_pem,
            key_pem,
            config,
            issuer: sim.issuer,
        };
        let mut server = Server::prepare(backend, Some(setup));
        server.simulator_files = Some(dir);
        server
    }

    /// Serves from this test process instead of a `forms serve` process, with `clock`
    /// as the server's time.
    pub async fn serve_here(&mut self, clock: std::sync::Arc<dyn forms_server::clock::Clock>) {
        let here = self.dir.path().join("forms-here.toml");
        let text = std::fs::read_to_string(&self.config).unwrap();
        let url = &self.database_url;
        std::fs::write(&here, format!("{text}[database]\nurl = \"{url}\"\n")).unwrap();
        let config = forms_server::config::Config::load(&here).unwrap();
        let app = forms_server::web::build(
            &config,
            forms_server::web::BuildOptions {
                clock,
                dev_recipients: None,
                mail_folder: None,
            },
        )
        .await
        .unwrap();
        self.url = format!("https://localhost:{}", app.local_addr().unwrap().port());
        tokio::spawn(app.serve());
    }

    /// A server whose config file has `extra` (TOML tables) appended.
    pub fn start_with_config(backend: Backend, extra: &str) -> Server {
        let mut server = Server::prepare(backend, None);
        server.append_config(extra);
        server.launch();
        server
    }

    /// A server that takes `per_hour` submissions an hour from one address (the tests
    /// all send from 127.0.0.1; without this the server's default holds).
    pub fn start_with_limit(backend: Backend, per_hour: u32) -> Server {
        let mut server = Server::prepare(backend, None);
        server.set_limit("submissions_per_hour", per_hour.into());
        server.launch();
        server
    }

    /// Sets a key of `[limits]` (such as `submissions_per_hour`), for the next start.
    pub fn set_limit(&self, key: &str, value: u64) {
        let text = std::fs::read_to_string(&self.config).unwrap();
        let limits = "[limits]\n";
        assert!(text.contains(limits));
        let text = text.replace(limits, &format!("{limits}{key} = {value}\n"));
        std::fs::write(&self.config, text).unwrap();
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// The port of the plain port that only redirects, as the server logged it.
    pub fn plain_port(&self) -> u16 {
        let log = self.log();
        let line = log
            .lines()
            .find(|l| l.contains("plain HTTP port"))
            .expect("the plain port's address in the log");
        logged_port(line)
    }

    /// A TLS connection to the server, trusting its certificate, offering `alpn`.
    pub async fn tls_connect(
        &self,
        alpn: &[&[u8]],
    ) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&self.cert_pem) {
            roots.add(cert.unwrap()).unwrap();
        }
        let mut config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port()))
            .await
            .unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        connector.connect(name, tcp).await.unwrap()
    }

    /// Appends `extra` (TOML tables) to the config file, for the next start.
    pub fn append_config(&self, extra: &str) {
        let mut text = std::fs::read_to_string(&self.config).unwrap();
        text.push_str(extra);
        std::fs::write(&self.config, text).unwrap();
    }

    fn start_with(backend: Backend, login: Option<LoginSetup>) -> Server {
        let mut server = Server::prepare(backend, login);
        server.launch();
        server
    }

    pub fn prepare(backend: Backend, login: Option<LoginSetup>) -> Server {
        let dir = TempDir::new("server");
        let root = dir.path();
        let schemas = root.join("schemas");
        let keys = root.join("keys");
        std::fs::create_dir_all(&schemas).unwrap();
        std::fs::create_dir_all(&keys).unwrap();

        let mut queues = Vec::new();
        let mut queue_yaml = String::from("queues:\n");
        // Every shipped queue, and one more for a second form, each with a test key.
        let shipped = forms_server::schema::Catalog::load_dir(Path::new(REPO_SCHEMAS)).unwrap();
        let mut ids: Vec<String> = shipped.queues().map(|q| q.id.to_string()).collect();
        ids.push("byggesak".into());
        for id in ids {
            let identity = Identity::generate();
            let identity_path = keys.join(format!("{id}.identity"));
            std::fs::write(&identity_path, identity.to_identity_file("test").as_bytes()).unwrap();
            queue_yaml.push_str(&format!(
                "  - id: {id}\n    name: {{ nb: {id} }}\n    caseworkers:\n      - name: Test\n        recipients: [{}]\n",
                identity.recipient()
            ));
            queues.push(TestQueue {
                id,
                identity,
                identity_path,
            });
        }
        std::fs::write(schemas.join("queues.yaml"), queue_yaml).unwrap();
        for entry in std::fs::read_dir(REPO_SCHEMAS).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".yaml") && name != "queues.yaml" {
                std::fs::copy(&path, schemas.join(&name)).unwrap();
            }
        }
        std::fs::write(schemas.join("byggesak-sporsmal.yaml"), OTHER_FORM).unwrap();
        let guard = schemas.join("guard");
        std::fs::create_dir_all(&guard).unwrap();
        for entry in std::fs::read_dir(Path::new(REPO_SCHEMAS).join("guard")).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, guard.join(path.file_name().unwrap())).unwrap();
        }

        let (cert_pem, key_pem) = match &login {
            Some(login) => (login.cert_pem.clone(), login.key_pem.clone()),
            None => {
                let certified = rcgen::generate_simple_self_signed(vec![
                    "localhost".to_string(),
                    "127.0.0.1".to_string(),
                ])
                .unwrap();
                (certified.cert.pem(), certified.signing_key.serialize_pem())
            }
        };
        let cert_pem = cert_pem.into_bytes();
        std::fs::write(root.join("cert.pem"), &cert_pem).unwrap();
        std::fs::write(root.join("key.pem"), key_pem).unwrap();
        let vault = forms_crypto::vault::Keyring::generate_key_line("t1").unwrap();
        std::fs::write(root.join("vault.keys"), vault.as_bytes()).unwrap();

        let (database_url, sqlite_path) = match backend {
            Backend::Sqlite => {
                let path = root.join("forms.db");
                (format!("sqlite://{}", path.display()), Some(path))
            }
            Backend::Postgres(url) => (url, None),
        };
        let config = root.join("forms.toml");
        let port = login.as_ref().map_or(0, |l| l.port);
        let mut text = format!("listen = \"127.0.0.1:{port}\"\nschemas = \"schemas\"\n");
        if let Some(login) = &login {
            std::fs::write(root.join("client-secret"), CLIENT_SECRET).unwrap();
            std::fs::write(root.join("hmac.key"), "ab".repeat(32)).unwrap();
            text.push_str(&login.config);
        }
        std::fs::write(root.join("metrics.token"), METRICS_TOKEN).unwrap();
        text.push_str(
            "[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n\
             [vault]\nkey_file = \"vault.keys\"\n\
             [metrics]\ntoken_file = \"metrics.token\"\n\
             [limits]\nmax_body_bytes = 65536\n\
             [log]\nformat = \"json\"\n",
        );
        std::fs::write(&config, text).unwrap();
        Server {
            log_path: root.join("server.log"),
            dir,
            url: String::new(),
            config,
            cert_pem,
            sqlite_path,
            queues,
            child: None,
            database_url,
            issuer: login.map(|l| l.issuer),
            simulator_files: None,
        }
    }

    /// Starts the process (again) and waits until it serves.
    pub fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap();
        let start_offset = log.metadata().unwrap().len() as usize;
        let child = Command::new(FORMS)
            .arg("serve")
            .arg("--config")
            .arg(&self.config)
            .env("FORMS_DATABASE_URL", &self.database_url)
            .env("RUST_LOG", "debug,sqlx=warn,hyper=info,h2=info,rustls=info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = self.log();
            let new = &text[start_offset.min(text.len())..];
            if let Some(line) = new.lines().find(|l| l.contains("serving HTTPS")) {
                self.url = format!("https://localhost:{}", logged_port(line));
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("forms serve exited with {status}:\n{new}");
            }
            assert!(
                Instant::now() < deadline,
                "forms serve did not start:\n{new}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The folder of form schemas the server reads.
    pub fn schemas(&self) -> PathBuf {
        self.dir.path().join("schemas")
    }

    /// SIGKILL: no shutdown, no flushing; what was committed must survive.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Sends SIGTERM, as a service manager does, and returns at once.
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    /// Sends the server process a signal, such as `HUP`.
    pub fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("a running server").id();
        let status = Command::new("kill")
            .args([&format!("-{name}"), &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} {pid}");
    }

    /// Waits for the process to end by itself; panics after `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        let child = self.child.as_mut().expect("a running server");
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit in {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the server's log contains `needle`; panics after `limit`.
    pub fn wait_for_log(&self, needle: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.log().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "{needle:?} not logged within {limit:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Everything the server has logged so far.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log_path) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    pub fn queue(&self, id: &str) -> &TestQueue {
        self.queues.iter().find(|q| q.id == id).unwrap()
    }

    /// Runs `forms ARGS --config CONFIG` on this server's database, or on
    /// `database_url` if given.
    pub fn run_forms(&self, args: &[&str], database_url: Option<&str>) -> std::process::Output {
        self.run_forms_with_input(args, database_url, b"")
    }

    /// As [`Server::run_forms`], with `input` on the command's standard input.
    pub fn run_forms_with_input(
        &self,
        args: &[&str],
        database_url: Option<&str>,
        input: &[u8],
    ) -> std::process::Output {
        use std::io::Write;
        let mut child = Command::new(FORMS)
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .env(
                "FORMS_DATABASE_URL",
                database_url.unwrap_or(&self.database_url),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    /// The privacy officer's report of the whole audit log (`forms audit export`).
    pub fn audit_report(&self) -> String {
        let out = self.run_forms(
            &[
                "audit",
                "export",
                "--from",
                "2000-01-01",
                "--to",
                "2100-01-01",
            ],
            None,
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// From the next launch on, the server (and the commands run for it) use this
    /// database instead.
    pub fn use_database(&mut self, url: &str) {
        self.database_url = url.to_string();
    }

    /// Runs `forms admin ARGS` against this server's configuration and database;
    /// returns what it printed, after checking that it succeeded.
    pub fn admin(&self, args: &[&str]) -> String {
        let mut all = vec!["admin"];
        all.extend_from_slice(args);
        let out = self.run_forms(&all, None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Asserts that `forms audit verify` finds this server's audit chain whole.
    pub fn assert_audit_intact(&self) {
        let out = self.run_forms(&["audit", "verify"], None);
        assert!(
            out.status.success(),
            "audit verify: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    /// Adds a caseworker to a queue with `forms admin` and returns the token file.
    pub fn add_caseworker(&self, queue: &str) -> (PathBuf, String) {
        let out = self.admin(&[
            "caseworker",
            "add",
            "--queue",
            queue,
            "--name",
            "Test Caseworker",
        ]);
        let token = out.trim().to_string();
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = self.dir.path().join(format!(
            "{queue}-{}.token",
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::write(&path, &token).unwrap();
        (path, token)
    }

    /// An HTTPS client that trusts this server's certificate.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&self.cert_pem).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    /// Runs `forms caseworker ARGS` against this server as the caseworker of
    /// `token_file`.
    pub fn caseworker(&self, token_file: &Path, args: &[&str]) -> std::process::Output {
        Command::new(FORMS)
            .arg("caseworker")
            .args(args)
            .args(["--server", &self.url])
            .arg("--ca")
            .arg(self.dir.path().join("cert.pem"))
            .arg("--token-file")
            .arg(token_file)
            .output()
            .unwrap()
    }

    /// As [`Server::caseworker`], asserting success; returns what it printed.
    pub fn caseworker_ok(&self, token_file: &Path, args: &[&str]) -> String {
        let out = self.caseworker(token_file, args);
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "forms caseworker {args:?}: {said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        said
    }

    /// Runs `forms caseworker pull` for a queue into `out`.
    pub fn pull(&self, token_file: &Path, queue: &str, out: &Path) -> String {
        let identity = self.queue(queue).identity_path.to_str().unwrap();
        let out = out.to_str().unwrap();
        self.caseworker_ok(token_file, &["pull", "--identity", identity, "--out", out])
    }

    /// A queue's listing as its caseworker with `token` sees it (asserting a 200).
    pub async fn listed(&self, token: &str, queue: &str) -> Vec<serde_json::Value> {
        let response = self
            .client()
            .get(format!("{}/api/v1/queues/{queue}/submissions", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "listing {queue}");
        response.json().await.unwrap()
    }

    /// Submits the contact form through the JSON API; returns status and body.
    pub async fn submit_json(
        &self,
        client: &reqwest::Client,
        form: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = client
            .post(format!("{}/api/v1/forms/{form}/submissions", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let json = response.json().await.unwrap_or(serde_json::Value::Null);
        (status, json)
    }

    /// `GET /metrics` with the metrics token: the text as served.
    pub async fn metrics_text(&self) -> String {
        let response = self
            .client()
            .get(format!("{}/metrics", self.url))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET /metrics");
        let kind = response.headers()["content-type"].to_str().unwrap();
        assert_eq!(kind, "text/plain; version=0.0.4; charset=utf-8");
        response.text().await.unwrap()
    }

    /// The metrics, as Prometheus's own parser (Python's prometheus_client) reads them.
    pub async fn metrics(&self) -> Metrics {
        Metrics::parse(&self.metrics_text().await)
    }

    /// The metrics once sample `name` with `labels` has a value that `fits` (for what
    /// the server counts in the background), failing after 20 s.
    pub async fn metrics_when(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        fits: impl Fn(f64) -> bool,
    ) -> Metrics {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let metrics = self.metrics().await;
            let now = metrics.get(name, labels);
            if fits(now) {
                return metrics;
            }
            assert!(
                Instant::now() < deadline,
                "{name} {labels:?} is still {now}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The database files' raw bytes: the SQLite file and its WAL.
    pub fn sqlite_bytes(&self) -> Vec<u8> {
        let path = self.sqlite_path.as_ref().expect("a SQLite server");
        let mut bytes = std::fs::read(path).unwrap();
        for suffix in ["-wal", "-shm"] {
            let extra = PathBuf::from(format!("{}{suffix}", path.display()));
            if let Ok(more) = std::fs::read(extra) {
                bytes.extend(more);
            }
        }
        bytes
    }
}

/// The token every test server's `/metrics` takes.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789abcdef";

/// Debian's Python with `module`, from Debian's `package` (.ci/run installs it).
pub fn python_with(module: &str, package: &str) -> &'static str {
    for python in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return python;
        }
    }
    panic!("this test needs {module}: apt-get install {package} (.ci/run does this)");
}

/// Metrics as parsed by prometheus_client: each sample's name, labels and value.
pub struct Metrics(Vec<(String, std::collections::BTreeMap<String, String>, f64)>);

const PARSE_METRICS: &str = "
import json, sys
from prometheus_client.parser import text_string_to_metric_families
samples = [[s.name, s.labels, s.value]
           for family in text_string_to_metric_families(sys.stdin.read())
           for s in family.samples]
json.dump(samples, sys.stdout)
";

impl Metrics {
    /// Parses the text format with Prometheus's Python client, which refuses what
    /// Prometheus would not read.
    pub fn parse(text: &str) -> Metrics {
        use std::io::Write;
        let mut child = Command::new(python_with(
            "prometheus_client",
            "python3-prometheus-client",
        ))
        .args(["-c", PARSE_METRICS])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "prometheus_client cannot read the metrics: {}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
        Metrics(serde_json::from_slice(&out.stdout).unwrap())
    }

    /// The values of the samples `name` whose labels include `labels`.
    fn values(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        let fits = |have: &std::collections::BTreeMap<String, String>| {
            labels
                .iter()
                .all(|(k, v)| have.get(*k).map(String::as_str) == Some(*v))
        };
        self.0
            .iter()
            .filter(|(n, have, _)| n == name && fits(have))
            .map(|(_, _, value)| *value)
            .collect()
    }

    /// The value of the one sample `name` whose labels include `labels`; 0 if there is
    /// none (a counter that has not counted yet).
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let found = self.values(name, labels);
        assert!(
            found.len() <= 1,
            "{name} {labels:?} is not one sample: {found:?}"
        );
        found.first().copied().unwrap_or(0.0)
    }

    /// Whether there is a sample `name` with `labels`.
    pub fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        !self.values(name, labels).is_empty()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The start of a PNG file: enough for the server, which judges a file by its first
/// bytes, to take it for a picture.
pub const TINY_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR a tiny picture";

/// A value no one else would write, to look for where it must not be.
pub fn canary(label: &str) -> String {
    let id = forms_server::submission::random_id().unwrap();
    format!("CANARY-{label}-{}", &id[..12])
}

/// The body of a GET as text.
pub async fn get_text(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// The first file in `dir` with this extension (what `forms caseworker pull` wrote).
pub fn file_with_extension(dir: &Path, extension: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == extension))
        .unwrap_or_else(|| panic!("no .{extension} file in {}", dir.display()))
}

/// The HTML form's CSRF cookie and token, from a GET of the form page.
pub async fn form_session(client: &reqwest::Client, url: &str) -> (String, String) {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("__Host-csrf="))
        .expect("a CSRF cookie");
    let cookie = cookie.split(';').next().unwrap().to_string();
    let html = response.text().await.unwrap();
    let token = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF field")
        .to_string();
    (cookie, token)
}

/// A page as a browser ends up on it, after following redirects.
pub struct Page {
    pub url: String,
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// An HTTPS client that keeps cookies per host and port, as a browser does for
/// `__Host-` cookies, and follows redirects itself so each hop's cookies are kept.
pub struct Browser {
    http: reqwest::Client,
    jar: std::sync::Mutex<
        std::collections::HashMap<String, std::collections::BTreeMap<String, String>>,
    >,
}

fn origin(url: &reqwest::Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(0)
    )
}

impl Browser {
    pub fn new(roots: &[&[u8]]) -> Browser {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30));
        for pem in roots {
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(pem).unwrap());
        }
        Browser {
            http: builder.build().unwrap(),
            jar: Default::default(),
        }
    }

    /// The value of a cookie this browser holds for `url`'s host and port.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        let url = reqwest::Url::parse(url).unwrap();
        self.jar
            .lock()
            .unwrap()
            .get(&origin(&url))?
            .get(name)
            .cloned()
    }

    pub fn set_cookie(&self, url: &str, name: &str, value: &str) {
        let url = reqwest::Url::parse(url).unwrap();
        self.jar
            .lock()
            .unwrap()
            .entry(origin(&url))
            .or_default()
            .insert(name.into(), value.into());
    }

    /// One request, without following a redirect.
    pub async fn hop(&self, url: &str, form: Option<&[(String, String)]>) -> reqwest::Response {
        let parsed = reqwest::Url::parse(url).unwrap();
        let key = origin(&parsed);
        let mut request = match form {
            Some(pairs) => self.http.post(url).form(pairs),
            None => self.http.get(url),
        };
        let cookies = self
            .jar
            .lock()
            .unwrap()
            .get(&key)
            .cloned()
            .unwrap_or_default();
        if !cookies.is_empty() {
            let header: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header("cookie", header.join("; "));
        }
        let response = request.send().await.unwrap();
        let mut jar = self.jar.lock().unwrap();
        let host = jar.entry(key).or_default();
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.to_ascii_lowercase().contains("max-age=0") {
                host.remove(name.trim());
            } else {
                host.insert(name.trim().to_string(), value.trim().to_string());
            }
        }
        response
    }

    /// GET (or POST `form`), following redirects with GET as a browser does.
    pub async fn go(&self, url: &str, form: Option<&[(String, String)]>) -> Page {
        let mut url = url.to_string();
        let mut response = self.hop(&url, form).await;
        for _ in 0..10 {
            if !response.status().is_redirection() {
                break;
            }
            let location = response.headers()["location"].to_str().unwrap();
            url = reqwest::Url::parse(&url)
                .unwrap()
                .join(location)
                .unwrap()
                .to_string();
            response = self.hop(&url, None).await;
        }
        Page {
            url,
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, url: &str) -> Page {
        self.go(url, None).await
    }
}

fn unescape_html(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in the text of one tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(unescape_html(&tag[start..end]))
}

impl Page {
    /// What the page's (first) form would send as it stands: inputs with a value,
    /// ticked boxes, text areas. Submit buttons are not included.
    pub fn form_values(&self) -> Vec<(String, String)> {
        let mut values = Vec::new();
        for piece in self.main().split("<input").skip(1) {
            let tag = &piece[..piece.find('>').unwrap_or(piece.len())];
            let kind = attribute(tag, "type").unwrap_or_default();
            let ticked = tag.contains(" checked");
            if (kind == "radio" || kind == "checkbox") && !ticked {
                continue;
            }
            if let (Some(name), Some(value)) = (attribute(tag, "name"), attribute(tag, "value")) {
                values.push((name, value));
            }
        }
        for piece in self.main().split("<textarea").skip(1) {
            let tag = &piece[..piece.find('>').unwrap_or(piece.len())];
            let text = &piece[tag.len() + 1..piece.find("</textarea>").unwrap_or(tag.len() + 1)];
            if let Some(name) = attribute(tag, "name") {
                values.push((name, unescape_html(text)));
            }
        }
        values
    }

    /// The value an input of this name has on the page.
    pub fn input_value(&self, name: &str) -> Option<String> {
        self.form_values()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The page's main content (the header's logout form left out).
    fn main(&self) -> &str {
        let start = self.body.find("<main").unwrap_or(0);
        &self.body[start..]
    }

    /// The address the main content's form posts to.
    pub fn form_action(&self) -> String {
        let tag_start = self.main().find("<form method=\"post\"").expect("a form");
        let tag = &self.main()[tag_start..];
        let tag = &tag[..tag.find('>').unwrap()];
        let action = attribute(tag, "action").unwrap();
        reqwest::Url::parse(&self.url)
            .unwrap()
            .join(&action)
            .unwrap()
            .to_string()
    }
}

impl Page {
    /// What the page's form sends with `changes` replacing (or adding) values.
    pub fn form_with(&self, changes: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut values = self.form_values();
        for (name, value) in changes {
            values.retain(|(n, _)| n != name);
            values.push((name.to_string(), value.to_string()));
        }
        values
    }
}

/// Sends the page's form as it stands, with `changes` replacing (or adding) values.
pub async fn submit(browser: &Browser, page: &Page, changes: &[(&str, &str)]) -> Page {
    browser
        .go(&page.form_action(), Some(&page.form_with(changes)))
        .await
}
