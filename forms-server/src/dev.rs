//! `forms dev`: the whole stack on one machine with one command.
//!
//! Creates what is missing under the data folder and keeps what is there, so a restart
//! keeps its data and keys:
//!
//! ```text
//! DIR/tls/cert.pem, DIR/tls/key.pem     self-signed for localhost, 127.0.0.1 and ::1
//! DIR/vault.keys                        the field vault's key
//! DIR/forms.db                          SQLite
//! DIR/keys/<queue>.identity             a development caseworker's age identity
//! DIR/keys/<queue>.token                that caseworker's API token
//! DIR/keys/metrics.token                the token that reads /metrics
//! DIR/idporten/simulator-key.pem        the ID-porten simulator's signing key
//! DIR/idporten/client-secret            this server's secret at the simulator
//! DIR/idporten/hmac.key                 the key of identity-number look-ups
//! ```
//!
//! The ID-porten simulator runs next to the server, on the port after it, with
//! synthetic test people only; the server logs in against it like against ID-porten.
//!
//! Every queue is sealed to its development identity instead of the keys in
//! `queues.yaml`, so test data never reaches real caseworkers. Binds to loopback only.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use forms_crypto::seal::{Identity, Recipient};
use forms_crypto::vault::Keyring;

use crate::auth::simulator::{self, SimClient, SimulatorOptions};
use crate::caseworker;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, Database, IdPortenConfig, Limits, Log, LogFormat, TlsFiles, Vault};
use crate::files::write_private;
use crate::schema::Catalog;
use crate::store::Store;
use crate::web::{self, BuildOptions};

pub struct DevOptions {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub schemas: PathBuf,
}

/// The paths `forms dev` uses under its data folder.
pub struct DevPaths {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub vault: PathBuf,
    pub database: PathBuf,
    pub keys: PathBuf,
    pub idporten: PathBuf,
    /// Every mail the server sends, one `.eml` file each (there is no mail server).
    pub mail: PathBuf,
    /// The token that reads `/metrics`.
    pub metrics_token: PathBuf,
}

impl DevPaths {
    pub fn new(dir: &Path) -> DevPaths {
        DevPaths {
            cert: dir.join("tls").join("cert.pem"),
            key: dir.join("tls").join("key.pem"),
            vault: dir.join("vault.keys"),
            database: dir.join("forms.db"),
            keys: dir.join("keys"),
            idporten: dir.join("idporten"),
            mail: dir.join("mail"),
            metrics_token: dir.join("keys").join("metrics.token"),
        }
    }

    /// The development identity of `queue`.
    pub fn identity(&self, queue: &str) -> PathBuf {
        self.keys.join(format!("{queue}.identity"))
    }

    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.database.display())
    }
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

fn write_err(e: std::io::Error) -> String {
    format!("cannot write a file: {e}")
}

/// Creates the self-signed certificate if it is missing.
fn ensure_certificate(paths: &DevPaths) -> Result<(), String> {
    if paths.cert.exists() && paths.key.exists() {
        return Ok(());
    }
    let dir = paths.cert.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("cannot make a certificate: {e}"))?;
    write_private(&paths.key, certified.signing_key.serialize_pem().as_bytes())
        .map_err(write_err)?;
    std::fs::write(&paths.cert, certified.cert.pem()).map_err(io_error(&paths.cert))?;
    Ok(())
}

fn ensure_vault_key(paths: &DevPaths) -> Result<(), String> {
    if paths.vault.exists() {
        return Ok(());
    }
    let line = Keyring::generate_key_line("dev1").map_err(|e| e.to_string())?;
    let text = format!(
        "# forms dev: the field vault's key. Not for production.\n{}",
        *line
    );
    write_private(&paths.vault, text.as_bytes()).map_err(write_err)
}

/// The development identity of every queue, created where missing.
fn ensure_identities(
    paths: &DevPaths,
    catalog: &Catalog,
    now: &str,
) -> Result<BTreeMap<String, Recipient>, String> {
    std::fs::create_dir_all(&paths.keys).map_err(io_error(&paths.keys))?;
    let mut recipients = BTreeMap::new();
    for queue in catalog.queues() {
        let path = paths.identity(queue.id.as_str());
        let identity = match read_identity(&path)? {
            Some(identity) => identity,
            None => {
                let identity = Identity::generate();
                write_private(&path, identity.to_identity_file(now).as_bytes())
                    .map_err(write_err)?;
                identity
            }
        };
        recipients.insert(queue.id.to_string(), identity.recipient());
    }
    Ok(recipients)
}

/// The public keys `forms dev` seals each queue's submissions to: those of the
/// development identities it has made so far (for `forms admin` on a data folder).
pub fn dev_recipients(
    paths: &DevPaths,
    catalog: &Catalog,
) -> Result<BTreeMap<String, Recipient>, String> {
    let mut recipients = BTreeMap::new();
    for queue in catalog.queues() {
        if let Some(identity) = read_identity(&paths.identity(queue.id.as_str()))? {
            recipients.insert(queue.id.to_string(), identity.recipient());
        }
    }
    Ok(recipients)
}

/// The identity in the file at `path`, if there is one.
fn read_identity(path: &Path) -> Result<Option<Identity>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(io_error(path))?;
    let mut ids = Identity::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Some(ids.remove(0)))
}

/// A token file for every queue, registered in the database.
async fn ensure_tokens(
    paths: &DevPaths,
    catalog: &Catalog,
    store: &Store,
    clock: &dyn Clock,
) -> Result<(), String> {
    for queue in catalog.queues() {
        let path = paths.keys.join(format!("{}.token", queue.id));
        let name = format!("dev caseworker of {}", queue.id);
        let queues = vec![queue.id.to_string()];
        if path.exists() {
            let token =
                zeroize::Zeroizing::new(std::fs::read_to_string(&path).map_err(io_error(&path))?);
            let known = caseworker::authenticate(store, &token, clock.now())
                .await
                .is_ok();
            if !known {
                caseworker::register(
                    store,
                    &name,
                    &queues,
                    &caseworker::token_hash(&token),
                    clock.now(),
                    None,
                )
                .await
                .map_err(|e| e.to_string())?;
            }
        } else {
            let (_, token) = caseworker::add(store, &name, &queues, clock.now(), None)
                .await
                .map_err(|e| e.to_string())?;
            write_private(&path, format!("{}\n", *token).as_bytes()).map_err(write_err)?;
        }
    }
    Ok(())
}

/// Writes a random secret (hex) to `path` unless the file is there.
fn ensure_secret(path: &Path) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    }
    let secret = crate::auth::PidKey::generate_hex()?;
    write_private(path, format!("{secret}\n").as_bytes()).map_err(write_err)
}

/// Starts the ID-porten simulator on the port after the server's and returns the
/// `[idporten]` configuration that logs in against it.
async fn start_simulator(
    paths: &DevPaths,
    server: SocketAddr,
    clock: Arc<dyn Clock>,
) -> Result<(IdPortenConfig, String), String> {
    let secret_file = paths.idporten.join("client-secret");
    let hmac_file = paths.idporten.join("hmac.key");
    ensure_secret(&secret_file)?;
    ensure_secret(&hmac_file)?;
    let secret = std::fs::read_to_string(&secret_file).map_err(io_error(&secret_file))?;
    let base = format!("https://localhost:{}", server.port());
    let client_id = "forms-dev".to_string();
    let tls = web::tls::server_config(&paths.cert, &paths.key)?;
    let port = server
        .port()
        .checked_add(1)
        .ok_or("no port after the server's")?;
    let sim = simulator::start(SimulatorOptions {
        listen: SocketAddr::new(server.ip(), port),
        tls,
        key_file: paths.idporten.join("simulator-key.pem"),
        clients: vec![SimClient {
            client_id: client_id.clone(),
            secret: Some(secret.trim().to_string()),
            public_key: None,
            redirect_uris: vec![format!("{base}/innlogging/tilbake")],
            post_logout_redirect_uris: vec![format!("{base}/utlogget")],
            frontchannel_logout_uri: Some(format!("{base}/innlogging/frontkanal")),
        }],
        clock,
    })
    .await
    .map_err(|e| format!("the ID-porten simulator: {e}"))?;
    let config = IdPortenConfig {
        issuer: sim.issuer.clone(),
        client_id,
        client_secret_file: Some(secret_file),
        private_key_file: None,
        key_id: None,
        redirect_uri: format!("{base}/innlogging/tilbake"),
        post_logout_redirect_uri: format!("{base}/utlogget"),
        krr_url: format!("{}/kontaktregister/rest/v1/person", sim.issuer),
        krr_timeout_ms: 3000,
        ca_file: Some(paths.cert.clone()),
        hmac_key_file: hmac_file,
    };
    Ok((config, sim.issuer))
}

pub async fn run(options: DevOptions) -> Result<(), String> {
    if !options.listen.ip().is_loopback() {
        return Err(format!(
            "forms dev listens on loopback only; {} is not a loopback address. \
             Use `forms serve --config FILE` for anything else.",
            options.listen
        ));
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let dir = &options.data_dir;
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let paths = DevPaths::new(dir);
    ensure_certificate(&paths)?;
    ensure_vault_key(&paths)?;
    ensure_secret(&paths.metrics_token)?;

    let catalog = Catalog::load_dir(&options.schemas).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        format!("the form schemas have errors:\n{}", lines.join("\n"))
    })?;
    let recipients = ensure_identities(&paths, &catalog, &clock.now().rfc3339())?;
    if options.listen.port() == 0 {
        return Err("forms dev needs a fixed port (ID-porten's redirect address names it)".into());
    }
    let (idporten, issuer) = start_simulator(&paths, options.listen, clock.clone()).await?;

    let config = Config {
        listen: options.listen,
        schemas: options.schemas.clone(),
        tls: TlsFiles {
            cert: paths.cert.clone(),
            key: paths.key.clone(),
        },
        database: Database {
            url: Some(paths.database_url()),
        },
        vault: Vault {
            key_file: Some(paths.vault.clone()),
        },
        limits: Limits::default(),
        log: Log {
            format: LogFormat::Text,
        },
        allow_synthetic_ids: true,
        idporten: Some(idporten),
        mail: None,
        housekeeping: Default::default(),
        site: crate::config::Site {
            url: Some(format!("https://localhost:{}", options.listen.port())),
            ..Default::default()
        },
        redirect: None,
        metrics: Some(crate::config::MetricsConfig {
            token_file: paths.metrics_token.clone(),
        }),
    };
    config.vault.keyring().map_err(|e| e.to_string())?;
    let app = web::build(
        &config,
        BuildOptions {
            clock: clock.clone(),
            dev_recipients: Some(recipients),
            mail_folder: Some(paths.mail.clone()),
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    ensure_tokens(&paths, &catalog, &app.state.store, clock.as_ref()).await?;

    let addr = app.local_addr().map_err(|e| e.to_string())?;
    let host = if addr.ip().is_ipv4() && addr.ip().to_string() == "127.0.0.1" {
        "localhost".to_string()
    } else {
        addr.ip().to_string()
    };
    let url = format!("https://{host}:{}", addr.port());
    print_banner(&url, &issuer, dir, &paths, &catalog);
    app.run().await;
    Ok(())
}

fn print_banner(url: &str, issuer: &str, dir: &Path, paths: &DevPaths, catalog: &Catalog) {
    let first_queue = catalog
        .queues()
        .next()
        .map(|q| q.id.to_string())
        .unwrap_or_default();
    println!();
    println!(
        "  *** DEVELOPMENT MODE: not for production. Keys and certificate are for this machine only. ***"
    );
    println!();
    println!("  Forms:        {url}/");
    for form in catalog.forms() {
        println!("                {url}/skjema/{}", form.id);
    }
    println!("  My submissions: {url}/mine-innsendinger");
    println!("  ID-porten:    {issuer} (simulator; pick a test person when you log in)");
    for person in simulator::PEOPLE {
        println!("                {} {}", person.pid, person.name);
    }
    println!("                {issuer}/sesjoner ends a login as if from elsewhere");
    println!(
        "  Certificate:  {} (trust it with curl --cacert)",
        paths.cert.display()
    );
    println!("  Database:     {}", paths.database.display());
    println!(
        "  Mail:         {} (each mail the server sends, as a file)",
        paths.mail.display()
    );
    println!(
        "  Metrics:      {url}/metrics (Authorization: Bearer, the token in {})",
        paths.metrics_token.display()
    );
    println!(
        "  Caseworkers:  {}/<queue>.identity and <queue>.token, for queues:",
        paths.keys.display()
    );
    for queue in catalog.queues() {
        println!("                {}", queue.id);
    }
    println!();
    println!("  Pull a queue's submissions as its caseworker:");
    println!(
        "    cargo run -p forms-server --bin forms -- caseworker pull --server {url} \\\n      --ca {cert} --token-file {keys}/{q}.token --identity {keys}/{q}.identity --out {dir}/inbox-{q}",
        cert = paths.cert.display(),
        keys = paths.keys.display(),
        q = first_queue,
        dir = dir.display(),
    );
    println!();
}
