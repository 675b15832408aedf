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

pub const FORMS: &str = env!("CARGO_BIN_EXE_forms");
const REPO_SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../form-schemas");

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
        let mut start = pg_command("pg_ctl", true);
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("postgres.log"))
            .arg("-o")
            .arg(format!(
                "-k {} -c listen_addresses='' -c max_connections=100",
                dir.path().display()
            ))
            .args(["-w", "-t", "60", "start"]);
        run_ok(start, "pg_ctl start");
        let mut create = pg_command("psql", false);
        create.arg("-h").arg(dir.path()).args([
            "-U",
            "forms",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            "CREATE DATABASE forms",
        ]);
        run_ok(create, "create database");
        let url = format!(
            "postgres://forms@localhost/forms?host={}",
            dir.path().display()
        );
        Postgres { dir, url }
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
}

const OTHER_FORM: &str = "id: byggesak-sporsmal
title: { nb: Spørsmål om byggesak }
languages: [nb]
auth: none
route: { queue: byggesak }
retention: { months: 12 }
fields:
  - id: message
    type: textarea
    label: { nb: Spørsmålet ditt }
    required: true
";

impl Server {
    pub fn start(backend: Backend) -> Server {
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

        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ])
        .unwrap();
        let cert_pem = certified.cert.pem().into_bytes();
        std::fs::write(root.join("cert.pem"), &cert_pem).unwrap();
        std::fs::write(root.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
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
        std::fs::write(
            &config,
            "listen = \"127.0.0.1:0\"\nschemas = \"schemas\"\n\
             [tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n\
             [vault]\nkey_file = \"vault.keys\"\n\
             [limits]\nmax_body_bytes = 65536\n\
             [log]\nformat = \"json\"\n",
        )
        .unwrap();
        let mut server = Server {
            log_path: root.join("server.log"),
            dir,
            url: String::new(),
            config,
            cert_pem,
            sqlite_path,
            queues,
            child: None,
            database_url,
        };
        server.launch();
        server
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
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                let addr = value["addr"].as_str().unwrap();
                let port = addr.rsplit(':').next().unwrap();
                self.url = format!("https://localhost:{port}");
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

    /// SIGKILL: no shutdown, no flushing; what was committed must survive.
    /// The folder of form schemas the server reads.
    pub fn schemas(&self) -> PathBuf {
        self.dir.path().join("schemas")
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
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

    /// Adds a caseworker to a queue with `forms admin` and returns the token file.
    pub fn add_caseworker(&self, queue: &str) -> (PathBuf, String) {
        let out = Command::new(FORMS)
            .args([
                "admin",
                "caseworker",
                "add",
                "--queue",
                queue,
                "--name",
                "Test Caseworker",
            ])
            .arg("--config")
            .arg(&self.config)
            .env("FORMS_DATABASE_URL", &self.database_url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
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

    /// Runs `forms caseworker pull` for a queue into `out`.
    pub fn pull(&self, token_file: &Path, queue: &str, out: &Path) -> String {
        let ca = self.dir.path().join("cert.pem");
        let output = Command::new(FORMS)
            .args(["caseworker", "pull", "--server", &self.url])
            .arg("--ca")
            .arg(&ca)
            .arg("--token-file")
            .arg(token_file)
            .arg("--identity")
            .arg(&self.queue(queue).identity_path)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "pull from {} failed: {}",
            self.url,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
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

/// The HTML form's CSRF cookie and token, from a GET of the form page.
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
