//! The web layer: TLS, routes, pages and the JSON API.
//!
//! Thin by rule: a handler parses the request, calls one domain function
//! ([`crate::submission::accept`], a [`crate::caseworker`] function), and renders the
//! result. The frame around every response ([`frame`]) adds a request id, the security
//! headers (HSTS, a CSP without inline script, frame-ancestors none, nosniff, no
//! referrer) and one access-log line with method, route, status and time, never a path
//! parameter, query, header or body.
//!
//! [`build`] returns the bound listener separately from serving, so tests and
//! benchmarks can bind port 0 and read the port back.

mod api;
mod citizen;
mod error;
pub mod login;
mod mine;
pub mod pages;
mod redirect;
mod subscriber;
pub mod tls;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post};
use forms_crypto::seal::Recipient;
use rustls::ServerConfig;
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::Config;
use crate::schema::answers::Context;
use crate::schema::{Catalog, Form, SchemaError};
use crate::store::Store;

/// What every handler can reach.
pub struct AppState {
    catalog: std::sync::RwLock<Arc<Catalog>>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// The largest request body of a form without attachments, and of the JSON API.
    pub max_body_bytes: usize,
    /// The largest request body of a form with attachments.
    pub max_upload_bytes: usize,
    /// Whether synthetic test persons' identity numbers are accepted.
    pub allow_synthetic_ids: bool,
    /// Login through ID-porten, if configured.
    pub login: Option<login::Login>,
    /// The field vault, if keys are configured.
    pub vault: Option<Arc<forms_crypto::vault::Keyring>>,
    /// Outgoing mail, if configured.
    pub mailer: Option<Arc<crate::mail::Mailer>>,
    /// Who the pages speak for.
    pub site: crate::config::Site,
    /// The hourly limit on submissions from one address, if there is one.
    pub limiter: Option<crate::limit::Limiter>,
    /// Newsletter subscriptions and their delivery, where vault, mail and the site's
    /// address are configured.
    pub newsletters: Option<Arc<crate::newsletter::Newsletters>>,
    /// Wakes the delivery of newsletters when one is sent.
    pub wake_delivery: tokio::sync::Notify,
    /// The SHA-256 of the token that reads `/metrics`, if metrics are served.
    pub metrics_token: Option<[u8; 32]>,
}

impl AppState {
    /// The forms and queues in force now.
    pub fn catalog(&self) -> Arc<Catalog> {
        match self.catalog.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Puts a newly checked catalog in force.
    pub fn replace_catalog(&self, catalog: Catalog) {
        let mut guard = match self.catalog.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(catalog);
    }

    /// Where a submission from `peer` is taken in now.
    pub fn intake<'a>(
        &'a self,
        catalog: &'a Catalog,
        peer: Option<tls::Peer>,
    ) -> crate::submission::Intake<'a> {
        crate::submission::Intake {
            catalog,
            store: &self.store,
            now: self.clock.now(),
            allow_synthetic_ids: self.allow_synthetic_ids,
            vault: self.vault.as_deref(),
            mailer: self.mailer.as_ref(),
            limit: self.limiter.as_ref().zip(peer.map(|p| p.0)),
            newsletters: self.newsletters.as_deref(),
            lang: crate::i18n::Lang::Nb,
        }
    }

    /// What validating answers needs now.
    pub fn context(&self) -> Context {
        Context::at(self.clock.now(), self.allow_synthetic_ids)
    }

    /// The request body limit for posts to `form`.
    pub fn body_limit(&self, form: &Form) -> usize {
        if form.has_attachments() {
            self.max_upload_bytes.max(self.max_body_bytes)
        } else {
            self.max_body_bytes
        }
    }
}

/// Options that are not in the config file.
pub struct BuildOptions {
    pub clock: Arc<dyn Clock>,
    /// `forms dev` only: seal each queue to this key instead of `queues.yaml`'s.
    pub dev_recipients: Option<BTreeMap<String, Recipient>>,
    /// `forms dev` only, without `[mail]`: write every mail into this folder.
    pub mail_folder: Option<std::path::PathBuf>,
}

impl Default for BuildOptions {
    /// Production: the system clock, `queues.yaml`'s keys.
    fn default() -> Self {
        BuildOptions {
            clock: Arc::new(crate::clock::SystemClock),
            dev_recipients: None,
            mail_folder: None,
        }
    }
}

/// A server ready to serve: listener bound, database migrated, schemas checked.
pub struct App {
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    router: Router,
    /// The plain port that only redirects, if configured.
    redirect: Option<(TcpListener, Router)>,
    /// How long a connection may stay idle.
    idle: Duration,
    pub state: Arc<AppState>,
}

#[derive(Debug)]
pub enum StartError {
    Schemas(Vec<SchemaError>),
    Tls(String),
    Store(crate::store::StoreError),
    Bind(SocketAddr, std::io::Error),
    Login(String),
    Mail(String),
    Limit(String),
    Metrics(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Schemas(errors) => {
                writeln!(f, "the form schemas have {} error(s):", errors.len())?;
                for error in errors {
                    writeln!(f, "  {error}")?;
                }
                Ok(())
            }
            StartError::Tls(msg) => f.write_str(msg),
            StartError::Store(err) => write!(f, "cannot open the database: {err}"),
            StartError::Bind(addr, err) => write!(f, "cannot listen on {addr}: {err}"),
            StartError::Login(msg) => write!(f, "[idporten]: {msg}"),
            StartError::Mail(msg) => write!(f, "[mail]: {msg}"),
            StartError::Limit(msg) => write!(f, "[limits]: {msg}"),
            StartError::Metrics(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for StartError {}

/// Loads everything the server needs and binds its port; does not serve yet.
pub async fn build(config: &Config, options: BuildOptions) -> Result<App, StartError> {
    let catalog = load_catalog(&config.schemas, options.dev_recipients.as_ref())
        .map_err(StartError::Schemas)?;
    let certificate =
        tls::Certificate::load(&config.tls.cert, &config.tls.key).map_err(StartError::Tls)?;
    let tls = certificate.server_config().map_err(StartError::Tls)?;
    let url = config
        .database_url()
        .map_err(|e| StartError::Store(crate::store::StoreError::Database(e.0)))?;
    let store = Store::open(url).await.map_err(StartError::Store)?;
    let vault = match config.vault.keyring() {
        Ok(keys) => Some(Arc::new(keys)),
        Err(_) if !config.has_vault_keys() => None,
        Err(e) => return Err(StartError::Login(format!("the vault keys: {e}"))),
    };
    let login = match (&config.idporten, &vault) {
        (Some(idporten), Some(vault)) => Some(login_from_config(
            config,
            idporten,
            &store,
            &options.clock,
            vault.clone(),
        )?),
        (Some(_), None) => {
            return Err(StartError::Login(
                "sessions need the vault keys: set [vault] key_file or FORMS_VAULT_KEYS".into(),
            ));
        }
        (None, _) => None,
    };
    let mailer = match (&config.mail, &options.mail_folder) {
        (Some(mail), _) => Some(Arc::new(
            crate::mail::Mailer::new(mail).map_err(StartError::Mail)?,
        )),
        (None, Some(folder)) => Some(Arc::new(
            crate::mail::Mailer::folder(folder.clone()).map_err(StartError::Mail)?,
        )),
        (None, None) => None,
    };
    let newsletters =
        match crate::newsletter::Newsletters::new(vault.clone(), mailer.clone(), &config.site) {
            Ok(newsletters) => Some(Arc::new(newsletters)),
            Err(missing) => {
                // Like a form behind login without [idporten]: shown, but not taken.
                for form in catalog.forms().filter(|f| f.subscription.is_some()) {
                    tracing::warn!(
                        form = %form.id,
                        missing,
                        "the form takes newsletter subscriptions, which need what is missing: \
                         its sign-ups are refused"
                    );
                }
                None
            }
        };
    let metrics_token = match &config.metrics {
        Some(metrics) => Some(metrics.token_hash().map_err(|e| StartError::Metrics(e.0))?),
        None => None,
    };
    let limiter = crate::limit::Limiter::new(config.limits.submissions_per_hour, vault.as_deref())
        .map_err(StartError::Limit)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| StartError::Bind(config.listen, e))?;
    let redirect = match &config.redirect {
        Some(plain) => Some((
            TcpListener::bind(plain.listen)
                .await
                .map_err(|e| StartError::Bind(plain.listen, e))?,
            redirect::router(plain.to.clone()),
        )),
        None => None,
    };
    let state = Arc::new(AppState {
        catalog: std::sync::RwLock::new(Arc::new(catalog)),
        store,
        clock: options.clock,
        max_body_bytes: config.limits.max_body_bytes,
        max_upload_bytes: config.limits.max_upload_bytes,
        allow_synthetic_ids: config.allow_synthetic_ids,
        login,
        vault,
        mailer,
        site: config.site.clone(),
        limiter,
        newsletters,
        wake_delivery: tokio::sync::Notify::new(),
        metrics_token,
    });
    spawn_delivery(state.clone());
    spawn_housekeeping(
        state.clone(),
        Duration::from_secs(config.housekeeping.every_seconds.max(1)),
    );
    report_certificate(&certificate, state.clock.now());
    spawn_reload(
        state.clone(),
        config.schemas.clone(),
        options.dev_recipients,
        certificate,
    );
    Ok(App {
        listener,
        tls,
        router: router(state.clone()),
        redirect,
        idle: config.limits.idle(),
        state,
    })
}

/// The ID-porten client and the session store, from `[idporten]`.
fn login_from_config(
    config: &Config,
    idporten: &crate::config::IdPortenConfig,
    store: &Store,
    clock: &Arc<dyn Clock>,
    vault: Arc<forms_crypto::vault::Keyring>,
) -> Result<login::Login, StartError> {
    use crate::auth::PidKey;
    use crate::auth::idporten::{ClientAuth, ClientSettings, IdPorten};
    use crate::auth::session::Sessions;
    use rsa::pkcs8::DecodePrivateKey;

    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .map(zeroize::Zeroizing::new)
            .map_err(|e| StartError::Login(format!("cannot read {}: {e}", path.display())))
    };
    let auth = match (
        &idporten.client_secret_file,
        &idporten.private_key_file,
        &idporten.key_id,
    ) {
        (Some(secret), None, None) => {
            ClientAuth::Secret(zeroize::Zeroizing::new(read(secret)?.trim().to_string()))
        }
        (None, Some(key), Some(kid)) => {
            let pem = read(key)?;
            let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| {
                StartError::Login(format!(
                    "{}: not an RSA private key in PKCS#8 PEM: {e}",
                    key.display()
                ))
            })?;
            ClientAuth::PrivateKey {
                key: Box::new(key),
                kid: kid.clone(),
            }
        }
        _ => {
            return Err(StartError::Login(
                "set either client_secret_file, or private_key_file and key_id".into(),
            ));
        }
    };
    let extra_root_pem = match &idporten.ca_file {
        Some(path) => Some(read(path)?.as_bytes().to_vec()),
        None => None,
    };
    let settings = ClientSettings {
        issuer: idporten.issuer.clone(),
        client_id: idporten.client_id.clone(),
        auth,
        redirect_uri: idporten.redirect_uri.clone(),
        post_logout_redirect_uri: idporten.post_logout_redirect_uri.clone(),
        krr_url: idporten.krr_url.clone(),
        extra_root_pem,
        krr_timeout: std::time::Duration::from_millis(idporten.krr_timeout_ms),
    };
    let client = IdPorten::new(settings, clock.clone(), config.allow_synthetic_ids)
        .map_err(StartError::Login)?;
    let key = PidKey::from_hex(&read(&idporten.hmac_key_file)?)
        .map_err(|e| StartError::Login(format!("{}: {e}", idporten.hmac_key_file.display())))?;
    Ok(login::Login {
        idporten: client,
        sessions: Sessions::new(store.clone(), vault, Arc::new(key)),
    })
}

/// The checked forms and queues of `dir`; under `forms dev`, sealed to the dev keys.
fn load_catalog(
    dir: &std::path::Path,
    dev_recipients: Option<&BTreeMap<String, Recipient>>,
) -> Result<Catalog, Vec<SchemaError>> {
    let mut catalog = Catalog::load_dir(dir)?;
    if let Some(keys) = dev_recipients {
        catalog.replace_recipients_for_dev(keys);
    }
    Ok(catalog)
}

/// How often the schema folder and the TLS certificate's files are looked at for changes.
const RELOAD_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// Deletes what has outlived its time, at start and then every `every`: sessions idle
/// too long, submission counts that no longer count against their address, and
/// submissions whose retention ended (each with an audit entry).
fn spawn_housekeeping(state: Arc<AppState>, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = state.clock.now();
            let mut failed = false;
            if let Some(login) = &state.login
                && let Err(err) = login.sessions.sweep(now).await
            {
                tracing::warn!(error = %err, "cannot delete idle sessions");
                failed = true;
            }
            let old_counts = crate::store::Op::DeleteSubmissionCountsBefore {
                before: crate::limit::counted_since(now),
            };
            if let Err(err) = state.store.write(vec![old_counts]).await {
                tracing::warn!(error = %err, "cannot delete old submission counts");
                failed = true;
            }
            if let Err(err) = crate::newsletter::delete_ended(&state.store, now).await {
                tracing::warn!(error = %err, "cannot delete ended subscriptions");
                failed = true;
            }
            match crate::privacy::retention::delete_expired(&state.store, now).await {
                Ok(0) => {}
                Ok(deleted) => {
                    tracing::info!(deleted, "deleted submissions whose retention ended");
                    let deleted = deleted as u64;
                    crate::metrics::add(crate::metrics::RETENTION_DELETED, &[], deleted);
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot delete expired submissions");
                    failed = true;
                }
            }
            let outcome = if failed { "failed" } else { "ok" };
            crate::metrics::count(crate::metrics::HOUSEKEEPING_RUNS, &[("outcome", outcome)]);
            if !failed {
                let at = crate::metrics::seconds(now);
                crate::metrics::set(crate::metrics::HOUSEKEEPING_DONE, &[], at);
            }
        }
    });
}

/// How often newsletters waiting to be mailed are looked for without being woken (one
/// sent through another server, or one a stopped server left half done).
const DELIVERY_POLL: Duration = Duration::from_secs(30);

/// Mails newsletters in the background: when one is sent here, and every
/// [`DELIVERY_POLL`].
fn spawn_delivery(state: Arc<AppState>) {
    let Some(newsletters) = state.newsletters.clone() else {
        return;
    };
    tokio::spawn(async move {
        loop {
            if let Err(err) = newsletters
                .deliver(&state.store, state.clock.as_ref())
                .await
            {
                tracing::warn!(error = %err, "cannot deliver newsletters now");
            }
            tokio::select! {
                _ = state.wake_delivery.notified() => {}
                _ = tokio::time::sleep(DELIVERY_POLL) => {}
            }
        }
    });
}

/// Takes in changed schema files and a renewed TLS certificate while the server runs,
/// on SIGHUP or when one of their files changes. Schemas only if the whole folder passes
/// the check, the certificate only if it loads and fits its key; otherwise the last good
/// version keeps serving and the log says what is wrong.
fn spawn_reload(
    state: Arc<AppState>,
    dir: std::path::PathBuf,
    dev_recipients: Option<BTreeMap<String, Recipient>>,
    certificate: Arc<tls::Certificate>,
) {
    tokio::spawn(async move {
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let mut schemas_seen = crate::schema::fingerprint(&dir);
        let mut certificate_seen = certificate.fingerprint();
        let mut certificate_reported = std::time::Instant::now();
        loop {
            let signalled = match hangup.as_mut() {
                Some(signal) => tokio::select! {
                    _ = signal.recv() => true,
                    _ = tokio::time::sleep(RELOAD_POLL) => false,
                },
                None => {
                    tokio::time::sleep(RELOAD_POLL).await;
                    false
                }
            };
            let now = crate::schema::fingerprint(&dir);
            if signalled || now != schemas_seen {
                schemas_seen = now;
                reload_schemas(&state, &dir, dev_recipients.as_ref());
            }
            let now = certificate.fingerprint();
            let mut reloaded = false;
            if signalled || now != certificate_seen {
                certificate_seen = now;
                match certificate.reload() {
                    Ok(()) => {
                        tracing::info!("TLS certificate reloaded");
                        reloaded = true;
                    }
                    Err(error) => tracing::warn!(
                        error = %error,
                        "TLS certificate not reloaded: the last good one keeps serving"
                    ),
                }
            }
            if reloaded || certificate_reported.elapsed() >= CERTIFICATE_REPORT {
                certificate_reported = std::time::Instant::now();
                report_certificate(&certificate, state.clock.now());
            }
        }
    });
}

/// How often the certificate's end is logged while the server runs (also at start and
/// on each reload).
const CERTIFICATE_REPORT: Duration = Duration::from_secs(24 * 60 * 60);
/// From how many days before its end the certificate is logged as a warning.
const CERTIFICATE_WARNING_DAYS: i64 = 14;

/// Logs when the certificate being served ends: as a warning from
/// [`CERTIFICATE_WARNING_DAYS`] before, so that a renewal that failed is noticed in time,
/// and as an error once it has ended, when browsers refuse the site.
fn report_certificate(certificate: &tls::Certificate, now: crate::clock::Timestamp) {
    let Some(until) = certificate.valid_until() else {
        tracing::warn!("the TLS certificate's end of validity cannot be read");
        return;
    };
    crate::metrics::set(
        crate::metrics::CERTIFICATE_END,
        &[],
        crate::metrics::seconds(until),
    );
    let days_left = (until.millis() - now.millis()).div_euclid(24 * 60 * 60 * 1000);
    let valid_until = until.rfc3339();
    if until.millis() <= now.millis() {
        tracing::error!(
            valid_until,
            days_left,
            "the TLS certificate has expired: browsers refuse the site until it is renewed"
        );
    } else if days_left < CERTIFICATE_WARNING_DAYS {
        tracing::warn!(
            valid_until,
            days_left,
            "the TLS certificate ends soon: renew it"
        );
    } else {
        tracing::info!(valid_until, days_left, "TLS certificate");
    }
}

fn reload_schemas(
    state: &AppState,
    dir: &std::path::Path,
    dev_recipients: Option<&BTreeMap<String, Recipient>>,
) {
    match load_catalog(dir, dev_recipients) {
        Ok(catalog) => {
            let forms = catalog.forms().count();
            state.replace_catalog(catalog);
            tracing::info!(forms, "form schemas reloaded");
            crate::metrics::count(crate::metrics::SCHEMA_RELOADS, &[("outcome", "ok")]);
        }
        Err(errors) => {
            crate::metrics::count(crate::metrics::SCHEMA_RELOADS, &[("outcome", "refused")]);
            for error in &errors {
                tracing::warn!(error = %error, "schema error");
            }
            tracing::warn!(
                errors = errors.len(),
                "form schemas not reloaded: the last good version keeps serving"
            );
        }
    }
}

impl App {
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the process ends (for tests and benchmarks that run it in their
    /// own process).
    pub async fn serve(self) {
        self.serve_until(std::future::pending()).await;
    }

    /// Serves both ports until `stop` resolves and both ports' connections are
    /// drained: the one stop reaches each.
    async fn serve_until(self, stop: impl Future<Output = ()>) {
        let (stopping, stopped) = tokio::sync::watch::channel(false);
        let when_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            // An error means the sender is gone, which is a stop too.
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        let plain_stop = when_stopped(stopped.clone());
        let plain = async {
            if let Some((listener, router)) = self.redirect {
                tls::serve(listener, tls::Port::Plain, router, self.idle, plain_stop).await;
            }
        };
        let secure = tls::serve(
            self.listener,
            tls::Port::Tls(self.tls),
            self.router,
            self.idle,
            when_stopped(stopped),
        );
        let signal = async {
            stop.await;
            stopping.send_replace(true);
        };
        tokio::join!(signal, plain, secure);
    }

    /// The address of the plain port that only redirects, if there is one.
    pub fn redirect_addr(&self) -> Option<std::io::Result<SocketAddr>> {
        self.redirect
            .as_ref()
            .map(|(listener, _)| listener.local_addr())
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully: no new connections, the
    /// requests in progress finish (a submission being sent gets its receipt), and the
    /// database is closed cleanly (SQLite checkpoints its WAL into the database file).
    pub async fn run(self) {
        let stop = async {
            let signal = stop_signal().await;
            tracing::info!(signal, "stopping");
            // A second signal while requests finish: stop at once. Whatever got a
            // receipt is committed already.
            tokio::spawn(async {
                let signal = stop_signal().await;
                tracing::warn!(signal, "stopping at once");
                std::process::exit(1);
            });
        };
        let store = self.state.store.clone();
        self.serve_until(stop).await;
        store.close().await;
        tracing::info!("stopped");
    }
}

/// Waits for SIGTERM (what service managers send) or SIGINT (Ctrl-C); names which.
async fn stop_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        },
        _ => {
            tracing::warn!("cannot listen for signals: stop the server with SIGKILL");
            std::future::pending().await
        }
    }
}

/// Every route of the server.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(citizen::index))
        .route(
            "/skjema/{form}",
            get(citizen::show_form).post(citizen::submit_form),
        )
        .route("/skjema/{form}/utskrift", get(citizen::print_form))
        .route("/skjema/{form}/personvern", get(citizen::privacy_notice))
        .route("/static/forms.css", get(citizen::stylesheet))
        .route("/innlogging", get(login::begin))
        .route("/innlogging/tilbake", get(login::callback))
        .route("/innlogging/frontkanal", get(login::front_channel))
        .route("/utlogging", post(login::logout))
        .route("/utlogget", get(login::logged_out))
        .route("/mine-innsendinger", get(mine::list))
        .route("/mine-innsendinger/{reference}", get(mine::detail))
        .route(
            "/mine-innsendinger/{reference}/slett",
            get(mine::confirm_erase).post(mine::erase),
        )
        .route(
            "/nyhetsbrev/{token}",
            get(subscriber::show).post(subscriber::act),
        )
        .route(
            "/nyhetsbrev/{token}/avmeld",
            get(subscriber::show).post(subscriber::one_click),
        )
        .route("/livez", get(api::live))
        .route("/healthz", get(api::health))
        .route("/metrics", get(api::metrics))
        .route("/api/v1/forms/{form}/submissions", post(api::submit))
        .route(
            "/api/v1/forms/{form}/newsletters",
            get(api::newsletters).post(api::send_newsletter),
        )
        .route("/api/v1/newsletters/{id}", get(api::newsletter_status))
        .route("/api/v1/caseworker/me", get(api::me))
        .route("/api/v1/queues/{queue}/submissions", get(api::list_queue))
        .route(
            "/api/v1/queues/{queue}/deleted",
            get(api::deleted_from_queue),
        )
        .route(
            "/api/v1/queues/{queue}/recipients",
            get(api::queue_recipients),
        )
        .route(
            "/api/v1/submissions/{id}/sealed",
            get(api::sealed).put(api::replace_sealed),
        )
        .route("/api/v1/submissions/{id}/done", post(api::done))
        .route("/api/v1/submissions/{id}/forward", post(api::forward))
        .route("/api/v1/submissions/{id}/reply", post(api::reply))
        .route(
            "/api/v1/submissions/{id}/consent",
            post(api::record_consent),
        )
        .route("/api/v1/submissions/{id}/handover", post(api::hand_over))
        .route("/api/v1/submissions/{id}/take", post(api::take))
        .route(
            "/api/v1/submissions/{id}/subject-access",
            get(api::subject_access),
        )
        .route(
            "/api/v1/submissions/{id}/subject-erasure",
            post(api::subject_erasure),
        )
        .route("/api/v1/submissions/{id}", delete(api::erase))
        .route(
            "/api/v1/submissions/{id}/notes",
            get(api::notes).post(api::add_note),
        )
        .fallback(citizen::fallback)
        .layer(middleware::from_fn(frame))
        .with_state(state)
}

const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=()",
    ),
];

pub const REQUEST_ID: &str = "x-request-id";

/// Compares secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Marks a response that ID-porten may show in a frame (front-channel logout): the
/// origin allowed as `frame-ancestors` instead of `'none'`.
#[derive(Debug, Clone)]
pub struct FramedBy(pub String);

/// Request id, security headers and the access log, around every response.
async fn frame(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = crate::submission::random_id()
        .map(|id| id[..16].to_string())
        .unwrap_or_default();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "(no route)".into());
    let mut response = next.run(request).await;
    let framed_by = response.extensions().get::<FramedBy>().cloned();
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        let value = match (&framed_by, *name) {
            (None, _) => HeaderValue::from_static(value),
            (Some(_), "x-frame-options") => continue,
            (Some(FramedBy(origin)), "content-security-policy") => {
                let csp = value.replace(
                    "frame-ancestors 'none'",
                    &format!("frame-ancestors {origin}"),
                );
                match HeaderValue::from_str(&csp) {
                    Ok(value) => value,
                    Err(_) => HeaderValue::from_static(value),
                }
            }
            (Some(_), _) => HeaderValue::from_static(value),
        };
        headers.insert(HeaderName::from_static(name), value);
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(HeaderName::from_static(REQUEST_ID), value);
    }
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    tracing::info!(
        request_id = %request_id,
        method = %method,
        route = %route,
        status,
        micros = elapsed.as_micros() as u64,
        "request"
    );
    let route = [("method", method.as_str()), ("route", route.as_str())];
    crate::metrics::observe(crate::metrics::HTTP_DURATION, &route, elapsed.as_secs_f64());
    let status = status.to_string();
    let counted = [route[0], route[1], ("status", status.as_str())];
    crate::metrics::count(crate::metrics::HTTP_REQUESTS, &counted);
    response
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The caseworker operations the router serves, read from this file's routes.
    fn routed() -> BTreeSet<(String, String)> {
        let source = include_str!("mod.rs");
        let methods = regex::Regex::new(r"\b(get|post|put|delete)\(api::").unwrap();
        let mut found = BTreeSet::new();
        for (i, _) in source.match_indices("\"/api/v1/") {
            let rest = &source[i + 1..];
            let path = &rest[..rest.find('"').unwrap()];
            if path.starts_with("/api/v1/forms/") && path.ends_with("/submissions") {
                continue; // the citizens' API, not the caseworkers'
            }
            let end = rest.find(".route(").unwrap_or(rest.len());
            for m in methods.captures_iter(&rest[..end]) {
                found.insert((m[1].to_uppercase(), path.to_string()));
            }
        }
        found
    }

    /// The operations forms-server/caseworker-api.yaml documents.
    fn documented() -> BTreeSet<(String, String)> {
        let text = include_str!("../../caseworker-api.yaml");
        let spec: serde_json::Value = serde_saphyr::from_str(text).unwrap();
        let mut found = BTreeSet::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                found.insert((method.to_uppercase(), path.clone()));
            }
        }
        found
    }

    #[test]
    fn the_openapi_file_documents_every_caseworker_route_and_no_other() {
        let routed = routed();
        let documented = documented();
        assert!(routed.len() >= 13, "{routed:?}");
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty(),
            "add to caseworker-api.yaml: {undocumented:?}"
        );
        assert!(
            unrouted.is_empty(),
            "documented but not served: {unrouted:?}"
        );
    }
}
